"""A city's members: invitations by e-mail (single-use, hashed tokens), joining, removal."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.links import external_url
from mentoring.models import City, CityInvitation, CityMember, User, utcnow
from mentoring.models.cities import MEMBER_ROLES
from mentoring.services import NotAllowed, ServiceError, accounts, audit
from mentoring.services.cities.access import can_edit
from mentoring.services.cities.directory import display_name
from mentoring.services.cities.validation import flush
from mentoring.services.mail import send_mail

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_member(city: City, actor, email: str, role: str) -> tuple[CityInvitation, str]:
    """Invite ``email`` to join ``city`` as ``role``; returns the invitation and its token.

    The token travels only in the e-mail; the database keeps its SHA-256 hash. It expires after
    ``TOKEN_MAX_AGE`` and can be used once.
    """
    if not can_edit(city, actor):
        raise NotAllowed(_("Only the city's representatives can invite colleagues."))
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if role not in MEMBER_ROLES:
        errors["role"] = [_("Choose a role from the list.")]
    if not errors:
        already = db.session.scalar(
            select(CityMember).join(User).where(CityMember.city_id == city.id, User.email == email)
        )
        if already is not None:
            errors["email"] = [_("This person is already a member of the city.")]
    if errors:
        raise ServiceError(_("The invitation could not be sent."), errors)
    token = secrets.token_urlsafe(32)
    invitation = CityInvitation(
        city_id=city.id, email=email, role=role, token_hash=_token_hash(token),
        invited_by_id=getattr(actor, "id", None),
        expires_at=utcnow() + current_app.config.get("TOKEN_MAX_AGE", timedelta(hours=24)),
    )
    db.session.add(invitation)
    flush()
    audit.record(actor, "city.invite", city, after={"email": email, "role": role, "invitation": invitation.id})
    role_name = _("representative") if role == "representative" else _("mentor")
    send_mail(
        email,
        _("Invitation to join %(city)s on City mentoring", city=display_name(city)),
        _("%(name)s invites you to join %(city)s as %(role)s on the city-to-city mentoring programme.\n\n"
          "Open this link to accept (it works once, until %(expires)s UTC):\n%(url)s\n\n"
          "Sign in, or create an account, with this e-mail address (%(email)s).",
          name=getattr(actor, "name", "") or _("A coordinator"), city=display_name(city), role=role_name,
          expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
          url=external_url("cities.invitation", token=token), email=email),
    )
    return invitation, token


def find_invitation(token: str) -> CityInvitation | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(CityInvitation).where(CityInvitation.token_hash == _token_hash(token)))


def invitation_problem(invitation: CityInvitation | None) -> str | None:
    """Why an invitation cannot be used (unknown, used, expired), or ``None``."""
    if invitation is None:
        return _("This invitation link is not valid. Ask your colleague to invite you again.")
    if invitation.accepted_at is not None:
        return _("This invitation was already used.")
    if invitation.expires_at <= utcnow():
        return _("This invitation has expired. Ask your colleague to invite you again.")
    return None


def accept_invitation(token: str, user) -> CityMember:
    """Make ``user`` a member of the inviting city; the invitation must be for their e-mail.

    The user's own e-mail address must be confirmed (proof they own the invited address).
    """
    accounts.ensure_confirmed(user)
    invitation = find_invitation(token)
    problem = invitation_problem(invitation)
    if problem:
        raise NotAllowed(problem)
    if (user.email or "").lower() != invitation.email.lower():
        raise NotAllowed(
            _("This invitation was sent to another e-mail address. Sign in with the account of "
              "that address to accept it.")
        )
    invitation.accepted_at = utcnow()
    member = db.session.get(CityMember, (invitation.city_id, user.id))
    if member is None:
        member = CityMember(city_id=invitation.city_id, user_id=user.id, role=invitation.role)
        db.session.add(member)
    elif invitation.role == "representative" and member.role != "representative":
        member.role = "representative"
    flush()
    audit.record(user, "city.join", invitation.city,
                 after={"user": user.id, "role": member.role, "invitation": invitation.id})
    return member


def remove_member(city: City, actor, user_id: int) -> None:
    """Remove a member from the city; the last representative cannot be removed."""
    if not can_edit(city, actor):
        raise NotAllowed(_("Only the city's representatives can remove members."))
    member = db.session.get(CityMember, (city.id, user_id))
    if member is None:
        raise ServiceError(_("This person is not a member of the city."))
    if member.role == "representative":
        count = len([m for m in city.members if m.role == "representative"])
        if count <= 1:
            raise NotAllowed(
                _("The last representative cannot be removed: invite another representative first.")
            )
    db.session.delete(member)
    flush()
    audit.record(actor, "city.remove_member", city, before={"user": user_id, "role": member.role})
