"""Access decisions for every route.

Each view is wrapped by exactly one of the decorators below. The decorator both enforces the rule
and records it on the view as ``access_rule``, so a test can check that every route of the
application has a declared decision (SECURITY.md, family A).

Rules: ``public``, ``login``, ``coordinator`` (coordinators and administrators), ``admin``, and
``owner:<what>`` — signed-in users whose relation to the object in the URL is checked by a
function of the blueprint (a city's members, a mentorship's two cities…; coordinators pass too
unless the check says otherwise).
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, current_app, request
from flask_login import current_user

__all__ = ["public", "login_required", "coordinator_required", "admin_required", "owner_required"]


def _mark(view: Callable, rule: str) -> Callable:
    view.access_rule = rule
    return view


def _require_login():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def public(view: Callable) -> Callable:
    """Anyone, signed in or not."""
    return _mark(view, "public")


def login_required(view: Callable) -> Callable:
    """Any signed-in, active user."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        denied = _require_login()
        if denied is not None:
            return denied
        return view(*args, **kwargs)

    return _mark(wrapped, "login")


def coordinator_required(view: Callable) -> Callable:
    """Coordinators and administrators."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        denied = _require_login()
        if denied is not None:
            return denied
        if not current_user.is_coordinator:
            abort(403)
        return view(*args, **kwargs)

    return _mark(wrapped, "coordinator")


def admin_required(view: Callable) -> Callable:
    """Administrators only."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        denied = _require_login()
        if denied is not None:
            return denied
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return _mark(wrapped, "admin")


def owner_required(what: str, check: Callable[..., bool]) -> Callable[[Callable], Callable]:
    """Signed-in users for whom ``check(user, **view_args)`` is true.

    ``check`` should ``abort(404)`` itself when the object does not exist; a false answer gives
    403. ``what`` names the kind of ownership in the policy table, e.g. ``"city"``.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            denied = _require_login()
            if denied is not None:
                return denied
            if not check(current_user, **request.view_args):
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapped, f"owner:{what}")

    return decorator
