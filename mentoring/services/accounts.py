"""Accounts: registration, e-mail confirmation, passwords, sessions, roles.

Promises kept here:
- no account enumeration: registering a taken address, or asking a reset for an unknown one,
  gives the visitor the same answer as the normal case; the owner of a taken address gets a mail;
- confirmation and reset links are signed with ``SECRET_KEY`` and expire; a reset link is bound to
  the current password hash, so it dies once used (or once the password changes otherwise);
- a password change, a reset, "log out everywhere" and a deactivation rotate the session token,
  which ends every session and remember-me cookie of the user.

What an unconfirmed user may not do: anything that speaks for a city or the programme. Services
of other areas call :func:`ensure_confirmed` before registering a city, accepting an invitation to
a city, endorsing or declining a proposal; administrators cannot give a role to an unconfirmed
account. Unconfirmed users may sign in, read, and edit their own account.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from mentoring.database import LIKE_ESCAPE, contains_pattern
from mentoring.extensions import db
from mentoring.links import external_url
from mentoring.models import AuditEvent, Notification, User, utcnow
from mentoring.models.accounts import ROLES, UserSession, new_token
from mentoring.security import (
    fingerprint,
    hash_password,
    make_token,
    read_token,
    verify_password,
)
from mentoring.services import NotAllowed, ServiceError
from mentoring.services.audit import changes, record
from mentoring.services.mail import send_mail

# A small list of very common passwords of 10+ characters (from public breach top lists); the
# length rule already refuses the short ones. Compared case-insensitively.
COMMON_PASSWORDS = frozenset({
    "1234567890", "12345678910", "123456789a", "1234567890a", "0123456789", "0987654321",
    "1111111111", "0000000000", "1q2w3e4r5t", "1qaz2wsx3edc", "qwertyuiop", "qwertyuiop1",
    "qwerty12345", "qwerty123456", "asdfghjkl1", "zaq12wsxcde", "password12", "password123",
    "password1234", "passw0rd123", "p@ssw0rd123", "iloveyou12", "iloveyou123", "welcome123",
    "welcome1234", "letmein123", "football123", "baseball123", "princess123", "sunshine123",
    "monkey12345", "dragon12345", "superman123", "trustno1234", "administrator", "admin12345",
    "admin123456", "changeme123", "mentoring123", "mentoring2024", "mentoring2025",
    "abcdefghij", "abcd123456", "a1b2c3d4e5", "aaaaaaaaaa", "azertyuiop", "azerty12345",
    "motdepasse", "motdepasse1", "contrasena1", "contraseña1", "contraseña123",
})
LANGUAGE_CODES = ("en", "fr", "es")


def normalize_email(email: str) -> str:
    """The form in which addresses are stored and compared (trimmed, lower-cased)."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def password_problems(password: str, *, email: str | None = None, name: str | None = None) -> list[str]:
    """Reasons a new password is refused (ASVS: length matters, composition rules do not)."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > 256:
        problems.append(_("Use at most 256 characters."))
    lowered = password.strip().lower()
    if lowered in COMMON_PASSWORDS:
        problems.append(_("This password is one of the most common ones; please choose another."))
    personal = {normalize_email(email or ""), normalize_email(email or "").split("@")[0],
                (name or "").strip().lower()}
    if lowered and lowered in personal - {""}:
        problems.append(_("Do not use your e-mail address or your name as password."))
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
    errors = _registration_errors(email, name, password, locale)
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        errors["email"] = [_("An account with this e-mail address already exists.")]
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


def _registration_errors(email: str, name: str, password: str, locale: str | None) -> dict:
    errors: dict[str, list[str]] = {}
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        errors["email"] = [_("Please give a valid e-mail address.")]
    if not (name or "").strip():
        errors["name"] = [_("Please give your name.")]
    elif len(name.strip()) > 120:
        errors["name"] = [_("Use at most %(n)d characters.", n=120)]
    problems = password_problems(password, email=email, name=name)
    if problems:
        errors["password"] = problems
    if locale is not None and locale not in LANGUAGE_CODES:
        errors["locale"] = [_("Unknown language.")]
    return errors


def register(email: str, name: str, password: str, *, locale: str | None = None) -> User | None:
    """Self-registration. Returns the new user, or ``None`` when the address is already taken.

    The caller shows the same "check your mail" page in both cases; the owner of a taken address
    receives a mail saying someone tried to register with it (no enumeration).
    """
    errors = _registration_errors(email, name, password, locale)
    if errors:
        raise ServiceError(_("The account could not be created."), errors)
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(password)  # spend the same time as a real registration
        with force_locale(existing.locale or locale or "en"):
            send_mail(
                existing.email,
                _("Someone tried to register with your address"),
                _(
                    "Hello %(name)s,\n\nsomeone (perhaps you) tried to create an account for "
                    "mentoring with this e-mail address, which already has one.\n\nIf it was you, "
                    "sign in here: %(login)s\nForgot your password? Reset it here: %(reset)s\n\n"
                    "If it was not you, you can ignore this message.",
                    name=existing.name,
                    login=external_url("auth.login"),
                    reset=external_url("auth.forgot_password"),
                ),
            )
        return None
    user = create_user(email, name, password, locale=locale)
    send_confirmation(user)
    return user


# --- E-mail confirmation ------------------------------------------------------------------------


def confirmation_token(user: User) -> str:
    return make_token("confirm-email", {"u": user.id, "e": user.email})


def send_confirmation(user: User) -> None:
    """Mail ``user`` a link that confirms their address (valid ``TOKEN_MAX_AGE``)."""
    link = external_url("auth.confirm_email", token=confirmation_token(user))
    hours = int(current_app.config["TOKEN_MAX_AGE"].total_seconds() // 3600)
    with force_locale(user.locale or "en"):
        send_mail(
            user.email,
            _("Confirm your e-mail address"),
            _(
                "Hello %(name)s,\n\nplease confirm your e-mail address for mentoring by opening "
                "this link (valid for %(hours)d hours):\n\n%(link)s\n\nIf you did not create an "
                "account, you can ignore this message.",
                name=user.name, hours=hours, link=link,
            ),
        )


def user_for_confirmation(token: str) -> User | None:
    """The user a valid, unexpired confirmation token was made for (and still has that address)."""
    payload = read_token("confirm-email", token, current_app.config["TOKEN_MAX_AGE"].total_seconds())
    if not payload or not isinstance(payload.get("u"), int):
        return None
    user = db.session.get(User, payload["u"])
    if user is None or user.email != payload.get("e") or not user.active:
        return None
    return user


def confirm_email(token: str) -> User:
    """Mark the address as confirmed; confirming twice is harmless."""
    user = user_for_confirmation(token)
    if user is None:
        raise ServiceError(_("This confirmation link is not valid or has expired."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        record(user, "user.confirm_email", user)
    return user


def ensure_confirmed(user: User) -> None:
    """Refuse the operation for a user whose e-mail address is not confirmed yet."""
    if not user.is_confirmed:
        raise NotAllowed(_("Please confirm your e-mail address first: use the link we sent you."))


# --- Passwords ----------------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password, else ``None`` (same work either way)."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def reset_token(user: User) -> str:
    # Bound to the current hash: once the password changes, every earlier link is dead.
    return make_token("reset-password", {"u": user.id, "h": fingerprint(user.password_hash)})


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has this address; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    link = external_url("auth.reset_password", token=reset_token(user))
    minutes = int(current_app.config["RESET_TOKEN_MAX_AGE"].total_seconds() // 60)
    with force_locale(user.locale or "en"):
        send_mail(
            user.email,
            _("Reset your password"),
            _(
                "Hello %(name)s,\n\nto choose a new password for mentoring, open this link "
                "(valid for %(minutes)d minutes, once):\n\n%(link)s\n\nIf you did not ask for "
                "this, you can ignore this message: your password stays as it is.",
                name=user.name, minutes=minutes, link=link,
            ),
        )
    record(user, "user.password_reset_requested", user)


def user_for_reset(token: str) -> User | None:
    """The user of a valid, unexpired, unused reset token."""
    payload = read_token(
        "reset-password", token, current_app.config["RESET_TOKEN_MAX_AGE"].total_seconds()
    )
    if not payload or not isinstance(payload.get("u"), int):
        return None
    user = db.session.get(User, payload["u"])
    if user is None or not user.active or payload.get("h") != fingerprint(user.password_hash):
        return None
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link, and every session, die with it."""
    user = user_for_reset(token)
    if user is None:
        raise ServiceError(_("This reset link is not valid, was already used or has expired."))
    _set_password(user, new_password, "user.password_reset")
    # Following the link proves control of the mailbox.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a password knowing the current one; ends every other session."""
    if not verify_password(user.password_hash, current_password):
        raise ServiceError(
            _("The password could not be changed."),
            {"current_password": [_("This is not your current password.")]},
        )
    _set_password(user, new_password, "user.password_change")


def _set_password(user: User, new_password: str, action: str) -> None:
    problems = password_problems(new_password, email=user.email, name=user.name)
    if problems:
        raise ServiceError(_("The password could not be changed."), {"password": problems})
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    record(user, action, user)
    with force_locale(user.locale or "en"):
        send_mail(
            user.email,
            _("Your password was changed"),
            _(
                "Hello %(name)s,\n\nthe password of your mentoring account was just changed, and "
                "every device was signed out. If this was not you, reset your password at once: "
                "%(reset)s",
                name=user.name, reset=external_url("auth.forgot_password"),
            ),
        )


# --- Sessions and profile -----------------------------------------------------------------------


def end_all_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user``, on every device."""
    user.rotate_session_token()
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def logout_everywhere(user: User) -> None:
    """End every session of ``user`` on every device (this one included)."""
    end_all_sessions(user)
    record(user, "user.logout_everywhere", user)


def update_profile(user: User, *, name: str, locale: str | None) -> None:
    """Change the fields a user may change on their own account: name and language."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Please give your name.")]
    elif len(name) > 120:
        errors["name"] = [_("Use at most %(n)d characters.", n=120)]
    if locale is not None and locale not in LANGUAGE_CODES:
        errors["locale"] = [_("Unknown language.")]
    if errors:
        raise ServiceError(_("Your account could not be saved."), errors)
    before = {"name": user.name, "locale": user.locale}
    user.name, user.locale = name, locale
    old, new = changes(before, {"name": name, "locale": locale})
    if new:
        record(user, "user.update", user, before=old, after=new)


def personal_data(user: User) -> dict:
    """Everything the service keeps about ``user`` as a person (for the personal-data page)."""
    events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == user.id))
    return {
        "name": user.name,
        "email": user.email,
        "language": user.locale,
        "role": user.role,
        "email_confirmed_at": user.email_confirmed_at.isoformat() if user.email_confirmed_at else None,
        "created_at": user.created_at.isoformat() if user.created_at else None,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        "cities": [{"city": m.city.name, "role": m.role} for m in user.memberships],
        "audit_events_as_actor": events,
    }


# --- Notifications ------------------------------------------------------------------------------


def mark_notifications_read(user: User) -> int:
    """Mark every unread notification of ``user`` as read; returns how many."""
    unread = list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ))
    now = utcnow()
    for notification in unread:
        notification.read_at = now
    db.session.flush()
    return len(unread)


# --- Administration -----------------------------------------------------------------------------


def search_users(query: str | None = None, role: str | None = None):
    """A ``select`` of users matching a text (name or e-mail) and a role filter, by name."""
    statement = select(User).order_by(func.lower(User.name), User.id)
    query = (query or "").strip()
    if query:
        pattern = contains_pattern(query.lower())
        statement = statement.where(or_(
            func.lower(User.name).like(pattern, escape=LIKE_ESCAPE), User.email.like(pattern, escape=LIKE_ESCAPE)
        ))
    if role == "none":
        statement = statement.where(User.role.is_(None))
    elif role in ROLES:
        statement = statement.where(User.role == role)
    return statement


def set_role(actor: User | None, user: User, role: str | None, *, reason: str | None = None) -> None:
    """Give ``user`` a programme role (``admin``, ``coordinator``) or none."""
    if role is not None and role not in ROLES:
        raise ServiceError(_("Unknown role."), {"role": [_("Unknown role.")]})
    if actor is not None and actor.id == user.id:
        raise NotAllowed(_("You cannot change your own role; ask another administrator."))
    if role is not None and not user.is_confirmed:
        raise NotAllowed(_("This person has not confirmed their e-mail address yet."))
    if user.role == role:
        return
    before = {"role": user.role}
    user.role = role
    record(actor, "user.set_role", user, before=before, after={"role": role}, reason=reason)


def set_active(actor: User | None, user: User, active: bool, *, reason: str | None = None) -> None:
    """Deactivate (every session ends, sign-in refused) or reactivate an account."""
    if actor is not None and actor.id == user.id:
        raise NotAllowed(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    end_all_sessions(user)
    record(actor, "user.activate" if active else "user.deactivate", user,
           before={"active": not active}, after={"active": active}, reason=reason)
