"""The consent gate: every approved pair has someone on each side who is asked, and reminded,
to endorse it — and a pair nobody answers expires instead of waiting forever.

* Before approval, :func:`gaps` tells which side has no confirmed representative (no one could
  endorse it) and what fixes it: invite a representative (the city invitation flow), or ask one of
  the city's programme contacts, who endorses or declines through a signed, single-use, expiring
  link without an account (:func:`request_by_contact`, :func:`use_link`). Everything is audited.
* After ``ENDORSEMENT_EXPIRES_AFTER`` (config, 21 days by default) an approved pair expires
  (:func:`expire_and_remind`): the mentor's place is freed, the mentee is back in the pool, and the
  coordinators see it under "Needs a nudge". Halfway, those who have not answered are reminded.
* :func:`next_step` says, for any proposal, who is expected to act next; there is always someone.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, cached_property

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from mentoring import rules
from mentoring.cache import per_request
from mentoring.extensions import db
from mentoring.links import external_url
from mentoring.models import (
    City,
    CityMember,
    EndorsementLink,
    ProgrammeContact,
    Proposal,
    User,
    utcnow,
)
from mentoring.services import NotAllowed, ServiceError, letters
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name

DEFAULT_EXPIRY = timedelta(days=21)
SIDES = ("mentor", "mentee")


def expires_after() -> timedelta:
    value = current_app.config.get("ENDORSEMENT_EXPIRES_AFTER", DEFAULT_EXPIRY)
    return value if isinstance(value, timedelta) else timedelta(days=float(value))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def city_of(proposal: Proposal, side: str) -> City:
    return proposal.mentor_city if side == "mentor" else proposal.mentee_city


def city_id_of(proposal: Proposal, side: str) -> int:
    return proposal.mentor_city_id if side == "mentor" else proposal.mentee_city_id


def _side_representatives(proposal: Proposal, side: str) -> list[User]:
    """The confirmed representatives of one side, both sides read in one query."""
    return _confirmed_by_city((proposal.mentor_city_id, proposal.mentee_city_id))[city_id_of(proposal, side)]


def _confirmed_by_city(city_ids) -> dict[int, list[User]]:
    """``{city id: its confirmed active representatives}``, in one query for the cities, asked once per request
    until the request writes (the consent gaps and the next step of a proposal read both of its cities)."""
    ids = tuple(sorted(set(city_ids)))

    def read() -> dict[int, list[User]]:
        return {city_id: [user for user in users if user.is_confirmed]
                for city_id, users in rules.representatives_by_city(ids).items()}

    return per_request(("confirmed representatives", ids), read)


def open_links(proposal: Proposal, side: str | None = None) -> list[EndorsementLink]:
    """The proposal's unused, unexpired links (of one ``side``), read once per request until it writes."""
    def read() -> list[EndorsementLink]:
        return list(db.session.scalars(select(EndorsementLink).where(
            EndorsementLink.proposal_id == proposal.id, EndorsementLink.used_at.is_(None),
            EndorsementLink.expires_at > utcnow()).order_by(EndorsementLink.id)))

    links = per_request(("open endorsement links", proposal.id), read)
    return [link for link in links if side is None or link.side == side]


@dataclass
class Gap:
    side: str
    city: City
    contacts: list[ProgrammeContact]
    link_sent: bool

    @property
    def reason(self) -> str:
        if self.link_sent:
            return _("%(city)s has no confirmed representative; its programme contact was asked by e-mail.",
                     city=display_name(self.city))
        return _("%(city)s has no confirmed representative: nobody can endorse the pair for it.",
                 city=display_name(self.city))


def gaps(proposal: Proposal) -> list[Gap]:
    """The sides of the pair that nobody with an account can endorse."""
    from mentoring.services import contacts

    missing = [side for side in SIDES
               if not getattr(proposal, f"{side}_endorsed_at") and not _side_representatives(proposal, side)]
    if not missing:
        return []
    people = contacts.contacts_of_cities([city_id_of(proposal, side) for side in missing])
    return [Gap(side, city_of(proposal, side), people[city_id_of(proposal, side)], bool(open_links(proposal, side)))
            for side in missing]


def gaps_by_proposal(proposals) -> dict[int, list[Gap]]:
    return {p.id: g for p in proposals if (g := gaps(p))}


# --- Signed links for programme contacts --------------------------------------------------------

def request_by_contact(actor, proposal: Proposal, contact_id: int) -> tuple[EndorsementLink, str]:
    """E-mail a programme contact a link to endorse or decline their city's side (approved pairs)."""
    if not rules.is_coordinator(actor):
        raise NotAllowed(_("Only a coordinator can ask a programme contact to endorse."))
    if proposal.state not in ("proposed", "approved"):
        raise NotAllowed(_("This pair is no longer waiting for an endorsement."))
    contact = db.session.get(ProgrammeContact, contact_id) if isinstance(contact_id, int) else None
    if contact is None or contact.city_id not in (proposal.mentor_city_id, proposal.mentee_city_id):
        raise ServiceError(_("Choose one of the two cities' programme contacts."),
                           {"contact": [_("Choose one of the two cities' programme contacts.")]})
    side = "mentor" if contact.city_id == proposal.mentor_city_id else "mentee"
    for old in open_links(proposal, side):
        old.used_at, old.outcome = utcnow(), "replaced"
    token = secrets.token_urlsafe(32)
    link = EndorsementLink(proposal_id=proposal.id, contact_id=contact.id, side=side, token_hash=_hash(token),
                           created_by_id=actor.id, expires_at=deadline(proposal))
    db.session.add(link)
    db.session.flush()
    record(actor, "endorsement.link", proposal, after={"side": side, "contact": contact.id, "link": link.id})
    if proposal.state == "approved":
        send_link(link, token)
    return link, token


def after_approval(actor, proposal: Proposal) -> None:
    """Right after approval: contacts asked beforehand receive their link now (fresh, with the
    request's deadline); a side nobody can endorse is put before the coordinators."""
    from mentoring.services import notifications

    for side in SIDES:
        for link in open_links(proposal, side):
            _reissue(link)
    stuck = [gap.city for gap in gaps(proposal) if not gap.link_sent]
    if stuck:
        notifications.nobody_to_endorse(proposal, stuck)


def _reissue(link: EndorsementLink, *, reminder: bool = False) -> EndorsementLink:
    """Replace a link by a fresh one (only hashes are kept, so a token cannot be mailed twice)."""
    link.used_at, link.outcome = utcnow(), "replaced"
    token = secrets.token_urlsafe(32)
    fresh = EndorsementLink(proposal_id=link.proposal_id, contact_id=link.contact_id, side=link.side,
                            token_hash=_hash(token), created_by_id=link.created_by_id,
                            expires_at=deadline(link.proposal))
    db.session.add(fresh)
    db.session.flush()
    send_link(fresh, token, reminder=reminder)
    return fresh


def deadline(proposal: Proposal) -> datetime:
    start = proposal.decided_at if proposal.state == "approved" and proposal.decided_at else utcnow()
    return start + expires_after()


def send_link(link: EndorsementLink, token: str, *, reminder: bool = False) -> None:
    proposal, contact = link.proposal, link.contact
    url = external_url("people.endorse", token=token)
    mentor, mentee = display_name(proposal.mentor_city), display_name(proposal.mentee_city)
    city = display_name(city_of(proposal, link.side))
    role = link.side

    def compose():
        subject = (_("Reminder: endorse the pairing %(mentor)s → %(mentee)s", mentor=mentor, mentee=mentee)
                   if reminder else
                   _("Please endorse the pairing %(mentor)s → %(mentee)s", mentor=mentor, mentee=mentee))
        role_text = _("mentor") if role == "mentor" else _("mentee")
        return letters.Letter(
            subject=subject,
            paragraphs=[
                _("The city-to-city mentoring programme proposes that %(mentor)s mentors %(mentee)s. "
                  "You are %(city)s's programme contact (%(role)s side): please endorse or decline the "
                  "pairing for your city.", mentor=mentor, mentee=mentee, city=city, role=role_text),
                _("The link works once, without an account, until %(date)s (UTC).",
                  date=format_date(link.expires_at, "long")),
            ],
            link=url, link_label=_("Endorse or decline"))

    letters.send_to_address(contact.email, contact.languages, compose)


def find_link(token: str) -> EndorsementLink | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(EndorsementLink).where(EndorsementLink.token_hash == _hash(token)))


def link_problem(link: EndorsementLink | None) -> str | None:
    """Why a link cannot be used, or None."""
    if link is None:
        return _("This link is not valid.")
    if link.used_at is not None:
        return _("This link was already used.")
    if link.expires_at <= utcnow():
        return _("This link has expired. Ask the programme's coordinators for a new one.")
    if link.proposal.state != "approved":
        return _("This pair is no longer waiting for an endorsement.")
    return None


def use_link(token: str, decision: str, reason: str = "") -> EndorsementLink:
    """Endorse (``decision="endorse"``) or decline the side the link is for, once."""
    from mentoring.services import proposals

    link = find_link(token)
    problem = link_problem(link)
    if problem:
        raise NotAllowed(problem)
    if decision not in ("endorse", "decline"):
        raise ServiceError(_("Choose to endorse or to decline."), {"decision": [_("Choose to endorse or to decline.")]})
    proposal = link.proposal
    if decision == "endorse":
        proposals.endorse_by_contact(link)
    else:
        proposals.decline_by_contact(link, reason)
    link.used_at = utcnow()
    link.outcome = "endorsed" if decision == "endorse" else "declined"
    db.session.flush()
    record(None, f"endorsement.link_{link.outcome}", proposal,
           after={"side": link.side, "contact": link.contact_id, "email": link.contact.email}, reason=reason or None)
    return link


# --- Expiry and the halfway reminder ---------------------------------------------------------------

@dataclass
class ExpiryReport:
    reminded: int = 0
    expired: int = 0


def expire_and_remind(now: datetime | None = None) -> ExpiryReport:
    """Remind halfway, expire at the deadline (run daily by ``flask people daily``)."""
    from mentoring.services import proposals
    from mentoring.services.workspace.reminders import _claim

    now = now or utcnow()
    after = expires_after()
    report = ExpiryReport()
    waiting = db.session.scalars(select(Proposal).where(Proposal.state == "approved",
                                                        Proposal.decided_at.is_not(None)).order_by(Proposal.id))
    for proposal in list(waiting):
        age = now - proposal.decided_at
        if age >= after:
            proposals.expire(proposal)
            report.expired += 1
        elif age >= after / 2 and _claim(f"endorse-halfway:{proposal.id}:{proposal.decided_at:%Y%m%d%H%M}"):
            remind(proposal)
            report.reminded += 1
    db.session.flush()
    return report


def remind(proposal: Proposal) -> None:
    """Whoever still has to answer: representatives by e-mail, contacts with a fresh link."""
    mentor, mentee = display_name(proposal.mentor_city), display_name(proposal.mentee_city)
    url = external_url("rounds.proposal", proposal_id=proposal.id)
    due = deadline(proposal)

    def compose():
        return letters.Letter(
            subject=_("Reminder: endorse the pairing %(mentor)s → %(mentee)s", mentor=mentor, mentee=mentee),
            paragraphs=[_("The pairing waits for your city's answer. Without one by %(date)s it expires and "
                          "the mentee goes back to the pool.", date=format_date(due, "long"))],
            link=url, link_label=_("Endorse or decline"))

    for side in SIDES:
        if getattr(proposal, f"{side}_endorsed_at"):
            continue
        for user in _side_representatives(proposal, side):
            letters.send(user, "endorsements", compose)
        for link in open_links(proposal, side):
            _reissue(link, reminder=True)


def expired_recently(days: int = 30) -> list[Proposal]:
    """Pairs that expired without an answer (the coordinator's "Needs a nudge"), with both cities."""
    return list(db.session.scalars(_expired_statement(), {"cutoff": utcnow() - timedelta(days=days)}))


@cache
def _expired_statement():
    return (select(Proposal).where(Proposal.state == "expired", Proposal.updated_at >= bindparam("cutoff"))
            .options(selectinload(Proposal.mentor_city), selectinload(Proposal.mentee_city))
            .order_by(Proposal.updated_at.desc()))


# --- Who acts next -----------------------------------------------------------------------------

@dataclass
class Step:
    what: str
    #: Reads who is expected to act (asked only when ``who`` is: pages show ``what``).
    _who: Callable[[], list[str]] = field(repr=False)

    @cached_property
    def who(self) -> list[str]:
        """E-mail addresses of the people expected to act."""
        return self._who()


def _coordinators() -> list[str]:
    return [u.email for u in rules.coordinators()]


def next_step(proposal: Proposal) -> Step:
    """Who must act next on this proposal, and what (never empty: nothing waits silently)."""
    if proposal.state == "proposed":
        return Step(_("Approve or reject the proposed pair."), _coordinators)
    if proposal.state == "approved":
        def endorsers() -> list[str]:
            who: list[str] = []
            for side in SIDES:
                if getattr(proposal, f"{side}_endorsed_at"):
                    continue
                reps = [u.email for u in _side_representatives(proposal, side)]
                contacts = [link.contact.email for link in open_links(proposal, side)]
                who += reps + contacts or _coordinators()  # nobody on that side: the coordinators must fix it
            return list(dict.fromkeys(who))

        return Step(_("Endorse or decline the pair before %(date)s.", date=format_date(deadline(proposal), "long")),
                    endorsers)
    if proposal.state == "endorsed":
        from mentoring.models import Mentorship

        mentorship = db.session.scalar(select(Mentorship).where(Mentorship.proposal_id == proposal.id))
        if mentorship is not None and mentorship.state == "active":
            def members() -> list[str]:
                return list(db.session.scalars(select(User.email).join(CityMember, CityMember.user_id == User.id)
                                               .where(CityMember.city_id.in_((proposal.mentor_city_id,
                                                                              proposal.mentee_city_id)),
                                                      User.active))) or _coordinators()

            return Step(_("Plan the first session in the workspace."), members)
        return Step(_("Review the closed mentorship."), _coordinators)
    # rejected, declined, expired: the mentee is back in the pool
    return Step(_("Find another mentor for %(city)s (the mentee is back in the pool).",
                  city=display_name(proposal.mentee_city)), _coordinators)
