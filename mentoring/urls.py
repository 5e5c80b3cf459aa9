"""URL and download helpers."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

from flask import current_app, has_request_context, request, url_for

from mentoring.assets import digest


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


def attachment(stem: str, extension: str) -> str:
    """A ``Content-Disposition`` for a download named ``stem.extension`` that keeps its Unicode letters
    ("peer-learning-note-Medellín-Dakar.md") in ``filename*`` (RFC 6266), with an ASCII fallback
    ("…-Medellin-Dakar.md") for old clients. Anything but letters, digits, ``-`` and ``_`` becomes ``-``."""
    name = re.sub(r"[^\w-]+", "-", stem).strip("-") or "download"
    fallback = re.sub(r"[^A-Za-z0-9_-]+", "-",
                      unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()).strip("-")
    return (f'attachment; filename="{fallback or "download"}.{extension}"; '
            f"filename*=UTF-8''{quote(f'{name}.{extension}')}")


def link_pattern(endpoint: str, key: str):
    """``id → url_for(endpoint, **{key: id})`` for the rows of a page, with one ``url_for``."""
    marker = 987654321
    head, tail = url_for(endpoint, **{key: marker}).split(str(marker), 1)
    return lambda value: f"{head}{int(value)}{tail}"


def template_url_for(endpoint: str, **values) -> str:
    """Flask's ``url_for`` as templates call it; a link without arguments (menus, buttons: a page has a dozen)
    or to a static file is built once per endpoint, file version and application root, not on every page.

    A static file's key holds its digest (:func:`mentoring.assets.digest`, a ``stat``), so a changed file
    gets its new URL at once, as with ``url_for``."""
    if not has_request_context() or endpoint.startswith(".") or (
            values and (endpoint != "static" or values.keys() != {"filename"})):
        return url_for(endpoint, **values)
    filename = values.get("filename")
    key = (request.script_root, endpoint, filename, filename and digest(filename))
    built = current_app.extensions.setdefault("mentoring.template_urls", {})
    url = built.get(key)
    if url is None:
        url = built[key] = url_for(endpoint, **values)
    return url
