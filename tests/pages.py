"""The main pages each role reaches: followed from the home page by links, one address per endpoint.

Shared by the browser audit (widths, axe) and the translation audit, so a page added later is checked
by both without editing a list. Runs on Flask's test client (fast); the browser only measures.
"""
from __future__ import annotations

from collections import deque
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

from tests.html import parse

DEPTH = 3
# Not pages: actions that change state when followed.
NOT_PAGES = {"auth.logout", "dashboard.set_language", "static"}
ROLES = {  # role → demo account (None: not signed in)
    "anonymous": None,
    "mentee-representative": "rep.dakar",
    "mentor-representative": "rep.medellin",
    "coordinator": "coordinator",
    "administrator": "admin",
}
BASE = "http://localhost"


def sign_in(app, client, email: str) -> None:
    """Sign the account ``email`` in on ``client`` (a real session record, without the login form)."""
    from sqlalchemy import func, select

    from mentoring.extensions import db
    from mentoring.models import User
    from tests.conftest import login

    with app.app_context():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    login(client, user)


def endpoint_of(app, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return endpoint


def main_pages(app, client) -> dict[str, str]:
    """``{endpoint: path with query}`` of the HTML pages reachable from ``/`` for ``client``'s user."""
    found: dict[str, str] = {}
    queue = deque([("/", 0)])
    seen = set()
    while queue:
        path, depth = queue.popleft()
        endpoint = endpoint_of(app, urlsplit(path).path)
        if endpoint is None or endpoint in found or endpoint in NOT_PAGES or path in seen:
            continue
        seen.add(path)
        response = client.get(path, base_url=BASE)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        found[endpoint] = path
        if depth < DEPTH:
            for link in parse(response.get_data(as_text=True)).select("a"):
                href = link.attrs.get("href") or ""
                parts = urlsplit(href)
                if href.startswith("/") and not href.startswith("//") and not parts.fragment:
                    queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), depth + 1))
    return found
