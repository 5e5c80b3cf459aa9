"""Static assets under content-addressed URLs: cached for a year, never revalidated, never stale.

Every ``url_for("static", filename=…)`` gets ``?v=<first 12 hex digits of the file's SHA-256>``. A
request carrying the file's current digest is answered with ``Cache-Control: public, max-age=1 year,
immutable``: browsers and proxies keep it without asking again. When the file changes its digest and
so its URL change, and pages point to the new one at once. A request without the digest, or with an
old one, gets Flask's default (``no-cache`` with ``ETag`` and ``Last-Modified``: a 304 when unchanged).
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, current_app, request

ONE_YEAR = 365 * 24 * 3600

_digests: dict[str, tuple[float, str]] = {}
#: ``(static folder, filename)`` → the file's real path inside the folder, or None for a path leading out.
_paths: dict[tuple[str, str], str | None] = {}


def _resolve(folder: str, filename: str) -> str | None:
    """The real path of ``filename`` under ``folder`` (resolved once: realpath costs a stat per
    directory level, and a page links five assets), None if it leads outside the folder."""
    key = (folder, filename)
    if key not in _paths:
        path = os.path.realpath(os.path.join(folder, filename))
        _paths[key] = path if path.startswith(os.path.realpath(folder) + os.sep) else None
    return _paths[key]


def digest(filename: str) -> str | None:
    """The file's content digest (re-read only when its modification time changes), or None if absent."""
    path = _resolve(current_app.static_folder, filename)
    if path is None:
        return None
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    known = _digests.get(path)
    if known is None or known[0] != mtime:
        with open(path, "rb") as fh:
            known = (mtime, hashlib.sha256(fh.read()).hexdigest()[:12])
        _digests[path] = known
    return known[1]


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = digest(values["filename"])
        if version:
            values["v"] = version


def _cache_forever(response):
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    version = request.args.get("v")
    if version and version == digest((request.view_args or {}).get("filename", "")):
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_forever)
