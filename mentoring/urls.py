"""URL helpers."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a local path ("/cities?page=2"), else ``None``.

    Refuses absolute URLs, scheme-relative ``//host`` and backslash tricks, so a ``next``
    parameter can never send a user to another site.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
