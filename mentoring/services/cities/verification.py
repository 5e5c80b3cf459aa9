"""Verification of cities by coordinators: verify, reject, suspend, reinstate."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from mentoring import rules
from mentoring.extensions import db
from mentoring.links import external_url, notification_link
from mentoring.models import City, Notification, utcnow
from mentoring.services import NotAllowed, ServiceError, audit
from mentoring.services.cities.directory import display_name
from mentoring.services.cities.validation import REASON_MAX, flush
from mentoring.services.mail import send_mail

# action: (statuses it starts from, status it leads to, reason required)
STATUS_ACTIONS = {
    "verify": (("pending",), "verified", False),
    "reject": (("pending",), "rejected", True),
    "suspend": (("verified",), "suspended", True),
    "reinstate": (("suspended", "rejected"), None, False),  # suspended → verified, rejected → pending
}


def change_status(city: City, actor, action: str, reason: str | None = None) -> City:
    """Apply a verification ``action``; refuses transitions that do not exist."""
    if action not in STATUS_ACTIONS:
        raise ServiceError(_("Unknown action."), {"action": [_("Unknown action.")]})
    sources, target, needs_reason = STATUS_ACTIONS[action]
    reason = (reason or "").strip() or None
    if city.status not in sources:
        raise NotAllowed(
            _("This city cannot be %(action)s: its status is %(status)s.",
              action=_action_done(action), status=status_label(city.status))
        )
    if needs_reason and not reason:
        raise ServiceError(_("Please give a reason."),
                           {"reason": [_("Please give a reason; the city's representatives will read it.")]})
    if reason and len(reason) > REASON_MAX:
        raise ServiceError(_("The reason is too long."), {"reason": [_("Use at most %(n)d characters.", n=REASON_MAX)]})
    if target is None:
        target = "verified" if city.status == "suspended" else "pending"
    before = {"status": city.status, "status_reason": city.status_reason}
    city.status = target
    city.status_reason = reason
    if target == "verified":
        city.verified_at = utcnow()
        city.verified_by_id = getattr(actor, "id", None)
    flush()
    audit.record(actor, f"city.{action}", city, before=before,
                 after={"status": city.status, "status_reason": city.status_reason}, reason=reason)
    _notify_representatives(city, action, reason)
    return city


def status_label(status: str) -> str:
    return {
        "pending": _("pending verification"),
        "verified": _("verified"),
        "rejected": _("rejected"),
        "suspended": _("suspended"),
    }.get(status, status)


def _action_done(action: str) -> str:
    return {"verify": _("verified"), "reject": _("rejected"), "suspend": _("suspended"),
            "reinstate": _("reinstated")}.get(action, action)


def _notify_representatives(city: City, action: str, reason: str | None) -> None:
    link = notification_link("cities.profile", city_id=city.id)
    external = external_url("cities.profile", city_id=city.id)
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for user in rules.representatives([city.id]):
        with force_locale(user.locale or default):
            message = {
                "verify": _("%(city)s is verified: it can now take part in matching rounds.", city=display_name(city)),
                "reject": _("The registration of %(city)s was not accepted.", city=display_name(city)),
                "suspend": _("%(city)s is suspended from the programme.", city=display_name(city)),
                "reinstate": _("%(city)s is reinstated (status: %(status)s).",
                               city=display_name(city), status=status_label(city.status)),
            }[action]
            body = message
            if reason:
                body += "\n\n" + _("Reason: %(reason)s", reason=reason)
            body += "\n\n" + _("City profile: %(url)s", url=external)
            send_mail(user.email, _("City profile: %(city)s", city=display_name(city)), body)
        db.session.add(Notification(user_id=user.id, message=message, link=link))
    db.session.flush()


