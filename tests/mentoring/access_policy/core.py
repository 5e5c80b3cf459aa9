POLICY = {
    "dashboard.index": "public",
    "dashboard.set_language": "public",
    "mentorships.index": "login",
}
