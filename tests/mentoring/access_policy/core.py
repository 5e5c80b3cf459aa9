POLICY = {
    "dashboard.index": "public",
    "dashboard.set_language": "public",
}
