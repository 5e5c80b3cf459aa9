"""Accounts: creating users, passwords, sessions."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import User, utcnow
from mentoring.models.accounts import ROLES, new_token
from mentoring.security import hash_password
from mentoring.services import ServiceError
from mentoring.services.audit import record


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def password_problems(password: str) -> list[str]:
    """Reasons a new password is refused (ASVS: length matters, composition rules do not)."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > 256:
        problems.append(_("Use at most 256 characters."))
    return problems


def create_user(
    email: str,
    name: str,
    password: str,
    *,
    role: str | None = None,
    locale: str | None = None,
    confirmed: bool = False,
    actor: User | None = None,
) -> User:
    """Create an account; raises :class:`ServiceError` with field messages when refused."""
    errors: dict[str, list[str]] = {}
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        errors["email"] = [_("An account with this e-mail address already exists.")]
    if not name.strip():
        errors["name"] = [_("Please give your name.")]
    problems = password_problems(password)
    if problems:
        errors["password"] = problems
    if role is not None and role not in ROLES:
        errors["role"] = [_("Unknown role.")]
    if errors:
        raise ServiceError(_("The account could not be created."), errors)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        locale=locale,
        session_token=new_token(),
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    record(actor or user, "user.create", user, after={"email": email, "role": role})
    return user
