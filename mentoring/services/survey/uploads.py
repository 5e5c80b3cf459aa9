"""Uploads kept on the server between a survey's preview and its confirmation."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import time

from flask import current_app

UPLOAD_MAX_AGE = 3600  # seconds
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def upload_dir() -> str:
    path = os.path.join(current_app.instance_path, "survey_uploads")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def store_upload(data: bytes) -> tuple[str, str]:
    """Keep an uploaded file server-side until it is confirmed; returns ``(token, sha256)``.

    The preview page then confirms *this* content (checked against the hash), never a re-upload.
    Files older than an hour are removed on the way.
    """
    directory = upload_dir()
    cutoff = time.time() - UPLOAD_MAX_AGE
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass
    token = secrets.token_urlsafe(32)
    with open(os.path.join(directory, f"{token}.csv"), "xb") as handle:
        handle.write(data)
    return token, hashlib.sha256(data).hexdigest()


def load_upload(token: str, sha256: str) -> bytes | None:
    """The stored file for ``token`` if it still exists and still has the hash given at upload."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    path = os.path.join(upload_dir(), f"{token}.csv")
    try:
        if os.path.getmtime(path) < time.time() - UPLOAD_MAX_AGE:
            return None
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if not secrets.compare_digest(hashlib.sha256(data).hexdigest(), sha256 or ""):
        return None
    return data


def discard_upload(token: str) -> None:
    if _TOKEN.fullmatch(token or ""):
        try:
            os.remove(os.path.join(upload_dir(), f"{token}.csv"))
        except OSError:
            pass

