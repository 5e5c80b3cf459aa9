POLICY = {
    "auth.login": "public",
    "auth.logout": "login",
}
