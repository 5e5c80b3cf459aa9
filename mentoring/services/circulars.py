"""Circulars: the commission writes to its members.

A coordinator composes a circular (a title and a Markdown body, optionally per language en/fr/es),
chooses its audience, previews it and sends it. Sending fixes the recipient list (one
:class:`CircularDelivery` per person, unique, so a retried batch never mails anyone twice) and
delivers in batches through the outbox: on RQ when Redis is configured, else right away. Each
person receives the text in their language (or the first written one), as a letter with a plain-text
and an HTML part; the counts of delivered and failed messages are kept on the circular. Sent
circulars stay readable in the archive by the members they went to (coordinators read them all).
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.links import external_url
from mentoring.markdown import render_markdown
from mentoring.models import (
    Circular,
    CircularDelivery,
    City,
    CityCommission,
    CityMember,
    Commission,
    MatchRound,
    Proposal,
    User,
    utcnow,
)
from mentoring.models.cities import REGIONS
from mentoring.models.people import AUDIENCES
from mentoring.services import NotAllowed, ServiceError, letters
from mentoring.services.audit import record

LANGUAGES = ("en", "fr", "es")
BATCH_SIZE = 50
TITLE_MAX = 200
BODY_MAX = 20000


def audience_labels() -> dict[str, str]:
    return {
        "representatives": _l("All representatives"),
        "region": _l("Representatives of a region"),
        "commission": _l("Representatives of a commission's cities"),
        "mentors": _l("Mentors"),
        "round": _l("Representatives of the cities in a round"),
    }


def _clean_texts(texts: dict) -> tuple[dict, dict]:
    cleaned, errors = {}, {}
    for code in LANGUAGES:
        item = texts.get(code) or {}
        title, body = (item.get("title") or "").strip(), (item.get("body") or "").replace("\r\n", "\n").strip()
        if not title and not body:
            continue
        if not title:
            errors[f"title_{code}"] = [_("Give a title.")]
        elif len(title) > TITLE_MAX:
            errors[f"title_{code}"] = [_("At most %(num)d characters.", num=TITLE_MAX)]
        if not body:
            errors[f"body_{code}"] = [_("Write the text.")]
        elif len(body) > BODY_MAX:
            errors[f"body_{code}"] = [_("At most %(num)d characters.", num=BODY_MAX)]
        cleaned[code] = {"title": title, "body": body}
    if not cleaned and not errors:
        errors["title_en"] = [_("Write the circular in at least one language.")]
    return cleaned, errors


def _check_audience(audience: str, value: str | None) -> tuple[str, str | None]:
    value = (value or "").strip() or None
    problem = None
    if audience not in AUDIENCES:
        return audience, _("Choose an audience from the list.")
    if audience == "region" and value not in REGIONS:
        problem = _("Choose a region.")
    elif audience == "commission" and not db.session.scalar(
            select(Commission.id).where(Commission.key == (value or ""))):
        problem = _("Choose a commission.")
    elif audience == "round" and not (value and value.isdigit() and db.session.get(MatchRound, int(value))):
        problem = _("Choose a round.")
    elif audience in ("representatives", "mentors"):
        value = None
    if problem:
        raise ServiceError(_("The circular could not be saved."), {"audience_value": [problem]})
    return audience, value


def save(actor, circular: Circular | None, *, texts: dict, audience: str, audience_value: str | None,
         version=None) -> Circular:
    """Create or edit a draft."""
    if not rules.is_coordinator(actor):
        raise NotAllowed(_("Only coordinators write circulars."))
    if circular is not None:
        rules.check_version(circular, version)
        if circular.status != "draft":
            raise NotAllowed(_("A circular that was sent cannot be changed."))
    cleaned, errors = _clean_texts(texts)
    if audience not in AUDIENCES:
        errors["audience"] = [_("Choose an audience from the list.")]
    if errors:
        raise ServiceError(_("The circular could not be saved."), errors)
    audience, audience_value = _check_audience(audience, audience_value)
    created = circular is None
    if created:
        circular = Circular(created_by_id=actor.id)
        db.session.add(circular)
    circular.texts, circular.audience, circular.audience_value = cleaned, audience, audience_value
    db.session.flush()
    record(actor, "circular.create" if created else "circular.update", circular,
           after={"audience": audience, "value": audience_value, "languages": sorted(cleaned)})
    return circular


def recipients_query(circular: Circular):
    """The active, confirmed members the circular goes to."""
    members = select(CityMember.user_id).join(City, City.id == CityMember.city_id).where(City.status == "verified")
    if circular.audience == "mentors":
        members = members.where(CityMember.role == "mentor")
    else:
        members = members.where(CityMember.role == "representative")
    if circular.audience == "region":
        members = members.where(City.region == circular.audience_value)
    elif circular.audience == "commission":
        members = members.where(exists().where(
            CityCommission.city_id == City.id, CityCommission.commission_id == Commission.id,
            Commission.key == circular.audience_value))
    elif circular.audience == "round":
        round_id = int(circular.audience_value)
        in_round = select(Proposal.mentor_city_id).where(Proposal.round_id == round_id).union(
            select(Proposal.mentee_city_id).where(Proposal.round_id == round_id))
        members = members.where(City.id.in_(in_round))
    return select(User).where(User.id.in_(members), User.active, User.email_confirmed_at.is_not(None)).order_by(User.id)


def recipient_count(circular: Circular) -> int:
    return int(db.session.scalar(select(func.count()).select_from(recipients_query(circular).subquery())) or 0)


def text_for(circular: Circular, language: str | None) -> dict:
    texts = circular.texts or {}
    if language in texts:
        return texts[language]
    for code in ("en", *LANGUAGES):
        if code in texts:
            return texts[code]
    return {"title": "", "body": ""}


def send(actor, circular: Circular, version=None) -> int:
    """Fix the recipients and start delivery; returns the number of recipients."""
    if not rules.is_coordinator(actor):
        raise NotAllowed(_("Only coordinators send circulars."))
    rules.check_version(circular, version)
    if circular.status != "draft":
        return circular.recipients_total  # sent already: a repeated click changes nothing
    users = list(db.session.scalars(recipients_query(circular)))
    if not users:
        raise NotAllowed(_("Nobody is in this audience yet."), {"audience": [_("Nobody is in this audience yet.")]})
    for user in users:
        db.session.add(CircularDelivery(circular_id=circular.id, user_id=user.id))
    circular.status = "sending"
    circular.recipients_total = len(users)
    circular.sent_at = utcnow()
    db.session.flush()
    record(actor, "circular.send", circular, after={"recipients": len(users)})
    return len(users)


def start_delivery(circular_id: int) -> str:
    """After the sending request committed: queue the batches on RQ, or deliver them now."""
    from mentoring import jobs

    queue = jobs.rq_queue()
    if queue is not None:
        job = queue.enqueue(jobs.rq_deliver_circular, circular_id, job_timeout=jobs.JOB_TIMEOUT)
        return job.id
    while deliver_batch(circular_id):
        pass
    return "inline"


def deliver_batch(circular_id: int, size: int = BATCH_SIZE) -> int:
    """Send the next ``size`` queued deliveries; returns how many were handled (0: finished)."""
    circular = db.session.get(Circular, circular_id)
    if circular is None:
        return 0
    batch = list(db.session.scalars(select(CircularDelivery).where(
        CircularDelivery.circular_id == circular_id, CircularDelivery.status == "queued")
        .order_by(CircularDelivery.id).limit(size)))
    url = external_url("people.circular", circular_id=circular.id)
    for delivery in batch:
        user = db.session.get(User, delivery.user_id)
        text = text_for(circular, letters.language_of(user))

        def compose(text=text):
            return letters.Letter(subject=text["title"], paragraphs=[text["body"]],
                                  html_extra=render_markdown(text["body"]), link=url,
                                  link_label=_("Read it in the archive"))

        try:
            message = letters.send(user, "circulars", compose)
        except Exception as error:  # noqa: BLE001 - one bad address must not stop the batch
            current_app.logger.warning("circular %s to user %s failed: %s", circular_id, user.id, error)
            message, delivery.status = None, "failed"
        else:
            if message is None:
                delivery.status = "skipped"  # their choice: digest or no e-mail
            elif message.error:
                delivery.status = "failed"
            else:
                delivery.status = "sent"
        delivery.outbox_id = getattr(message, "id", None)
        delivery.at = utcnow()
    db.session.flush()
    _count(circular)
    return len(batch)


def _count(circular: Circular) -> None:
    rows = dict(db.session.execute(select(CircularDelivery.status, func.count()).where(
        CircularDelivery.circular_id == circular.id).group_by(CircularDelivery.status)).all())
    circular.delivered = int(rows.get("sent", 0)) + int(rows.get("skipped", 0))
    circular.failed = int(rows.get("failed", 0))
    if not rows.get("queued"):
        circular.status = "sent"
    db.session.flush()


def archive(user) -> list[Circular]:
    """Sent circulars the user received (every one for coordinators), newest first."""
    statement = select(Circular).where(Circular.status != "draft")
    if not rules.is_coordinator(user):
        statement = statement.where(exists().where(
            CircularDelivery.circular_id == Circular.id, CircularDelivery.user_id == user.id))
    return list(db.session.scalars(statement.order_by(Circular.sent_at.desc(), Circular.id.desc())))


def drafts() -> list[Circular]:
    return list(db.session.scalars(select(Circular).where(Circular.status == "draft").order_by(Circular.id.desc())))


def can_read(user, circular: Circular) -> bool:
    if rules.is_coordinator(user):
        return True
    if circular.status == "draft":
        return False
    return bool(db.session.scalar(select(exists().where(
        CircularDelivery.circular_id == circular.id, CircularDelivery.user_id == user.id))))
