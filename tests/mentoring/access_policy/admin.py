POLICY = {
    "admin.index": "admin",
    "admin.user": "admin",
    "admin.set_role": "admin",
    "admin.set_active": "admin",
    "admin.outbox": "admin",
    "admin.outbox_message": "admin",
}
