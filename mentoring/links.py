"""The one link builder for everything that leaves a page: e-mails, notifications, feeds, jobs.

Inside a request the link takes the request's host; anywhere else (CLI commands, background jobs,
the demo loader) it is built from the configured ``PUBLIC_URL`` (e.g. ``https://mentoring.example``),
so every e-mail carries an absolute link whoever sends it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint``, inside or outside a request."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path.rstrip("/") or "/", url_scheme=public.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def notification_link(endpoint: str, **values) -> str:
    """The link a bell notification stores: the page's path, valid whatever the host."""
    url = external_url(endpoint, **values)
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
