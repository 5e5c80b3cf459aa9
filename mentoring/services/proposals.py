"""Proposals: the coordinator's decisions, the cities' endorsements, and mentor capacity.

States and transitions (ARCHITECTURE.md §2) — no other transition exists::

    proposed ─► approved ─► endorsed (both cities) ─► a Mentorship is created
        │           └─────► declined (either city, with a reason)
        └─────────► rejected (coordinator, with a reason)

Capacity, representatives and versions are the programme's rules (:mod:`mentoring.rules`):
approve, bulk approve, manual match and endorse all reserve the mentor city's place through
:func:`mentoring.rules.reserve_mentor_place`, under the city's lock.

Optimistic locking: a caller passes the ``version`` it displayed; a different current version
means someone else decided first, and :class:`~mentoring.services.Conflict` (409) is raised
(:func:`mentoring.rules.check_version`).
Repeating the decision that was already taken (double click, retried request) is a no-op success:
nothing is written, audited or notified twice.
"""
from __future__ import annotations

import functools
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import selectinload

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    City,
    CityMember,
    MatchRound,
    Mentorship,
    MentorshipMentor,
    Proposal,
    utcnow,
)
from mentoring.rules import (
    HOLDING_STATES,
    check_version,
    represented_city_ids,
)
from mentoring.services import (
    NotAllowed,
    ServiceError,
    accounts,
    consent,
    matchmaking,
    notifications,
)
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name
from mentoring.services.proposal_filters import load_cities

# Proposal states in which the pair is still "live" (the mentee is not back in the pool).
LIVE_STATES = ("proposed", "approved", "endorsed")
TRANSITIONS = {
    "proposed": ("approved", "rejected"),
    "approved": ("endorsed", "declined", "expired"),
    "rejected": (),
    "endorsed": (),
    "declined": (),
    # Nobody answered within ENDORSEMENT_EXPIRES_AFTER (services.consent): place freed, mentee back in the pool.
    "expired": (),
}
STALE_AFTER = timedelta(days=14)


# --- Reading --------------------------------------------------------------------------------

def get_for_update(proposal_id: int) -> Proposal:
    """The proposal, reloaded from the database (inside the caller's transaction)."""
    proposal = db.session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        raise ServiceError(_("This proposal does not exist."))
    return proposal


def representative_sides(user, proposal: Proposal) -> list[str]:
    """Which sides (``"mentor"``, ``"mentee"``) of the proposal ``user`` represents (one query)."""
    if user is None or getattr(user, "id", None) is None:
        return []
    cities = set(db.session.scalars(represented_city_ids(user).where(
        CityMember.city_id.in_((proposal.mentor_city_id, proposal.mentee_city_id)))))
    return [side for side, city_id in (("mentor", proposal.mentor_city_id), ("mentee", proposal.mentee_city_id))
            if city_id in cities]


def can_see_proposal(user, proposal_id: int, **_ignored) -> bool:
    """Coordinators, and the representatives of either city of an approved (or later) pair."""
    proposal = db.get_or_404(Proposal, proposal_id)
    if user.is_coordinator:
        return True
    return proposal.state != "proposed" and bool(representative_sides(user, proposal))


def represents_a_city_of(user, proposal_id: int, **_ignored) -> bool:
    """Only a representative of one of the two cities endorses or declines for it."""
    return bool(representative_sides(user, db.get_or_404(Proposal, proposal_id)))


def proposals_for_user(user) -> list[Proposal]:
    """Proposals approved for (or decided by) the cities ``user`` represents, newest first."""
    city_ids = represented_city_ids(user)
    found = list(db.session.scalars(
        select(Proposal)
        .where(or_(Proposal.mentor_city_id.in_(city_ids), Proposal.mentee_city_id.in_(city_ids)),
               Proposal.state.in_(("approved", "endorsed", "declined")))
        .order_by(Proposal.decided_at.desc(), Proposal.id.desc())))
    load_cities(found)  # with their languages (the explanations name them): one query for every pair
    return found


def waiting_for_endorsement(older_than: timedelta = STALE_AFTER) -> list[Proposal]:
    """Approved proposals still waiting for an endorsement after ``older_than`` (14 days)."""
    return list(db.session.scalars(_waiting_statement(), {"cutoff": utcnow() - older_than}))


@functools.cache
def _waiting_statement():
    return (select(Proposal).where(Proposal.state == "approved", Proposal.decided_at < bindparam("cutoff"))
            .options(selectinload(Proposal.mentor_city), selectinload(Proposal.mentee_city))
            .order_by(Proposal.decided_at))


# --- Transitions ----------------------------------------------------------------------------

def _atomic(decision):
    """A refused decision leaves nothing behind (a SAVEPOINT), so the page showing the refusal
    reads the proposal as it was; the request's commit point decides on the rest."""

    @functools.wraps(decision)
    def wrapped(*args, **kwargs):
        with db.session.begin_nested():
            return decision(*args, **kwargs)

    return wrapped


def _snapshot(proposal: Proposal) -> dict:
    return {"state": proposal.state, "areas": list(proposal.areas or []), "version": proposal.version}


def _changed_meanwhile(proposal: Proposal) -> str:
    return _(
        "Someone else changed this proposal in the meantime (it is now %(state)s). "
        "Reload the page to see the latest version.",
        state=state_label(proposal.state),
    )


def _check_transition(proposal: Proposal, target: str) -> None:
    if target not in TRANSITIONS.get(proposal.state, ()):
        message = _(
            "A proposal that is %(state)s cannot become %(target)s.",
            state=state_label(proposal.state),
            target=state_label(target),
        )
        raise NotAllowed(message, {"state": [message]})


#: A proposal's states as pages name them (translated when shown: once per label, not six times).
STATE_LABELS = {"proposed": _l("proposed"), "approved": _l("approved"), "rejected": _l("rejected"),
                "endorsed": _l("endorsed"), "declined": _l("declined"), "expired": _l("expired")}


def state_label(state: str) -> str:
    label = STATE_LABELS.get(state)
    return state if label is None else str(label)


def _mentors_per_mentee(proposal: Proposal) -> int:
    if proposal.round is not None:
        return int((proposal.round.params or {}).get("mentors_per_mentee") or 1)
    return 1


def _check_mentee_free(proposal: Proposal) -> None:
    """A mentee gets at most ``mentors_per_mentee`` live mentors, never the same mentor twice."""
    others = db.session.scalars(
        select(Proposal).where(
            Proposal.mentee_city_id == proposal.mentee_city_id,
            Proposal.state.in_(HOLDING_STATES),
            Proposal.id != proposal.id,
        )
    ).all()
    active = db.session.scalars(
        select(Mentorship).where(
            Mentorship.mentee_city_id == proposal.mentee_city_id, Mentorship.state == "active"
        )
    ).all()
    mentors = {p.mentor_city_id for p in others} | {m.mentor_city_id for m in active}
    if proposal.mentor_city_id in mentors:
        raise NotAllowed(_("These two cities are already paired."))
    if len(mentors) >= _mentors_per_mentee(proposal):
        raise NotAllowed(
            _("%(city)s already has its mentor.", city=display_name(proposal.mentee_city)),
            {"mentee": [_("The mentee city already has a mentor.")]},
        )


@_atomic
def approve(actor, proposal_id: int, version: int | None = None) -> tuple[Proposal, bool]:
    """Approve a proposal; returns ``(proposal, changed)``. ``changed`` is False for a repeat."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise ServiceError(_("This proposal does not exist."))
    # Lock first, then re-read: the state we decide on is the one no one else can change now.
    reserve_lock = proposal.mentor_city_id
    rules.lock_city(reserve_lock)
    proposal = get_for_update(proposal_id)
    if proposal.state == "approved":
        return proposal, False
    check_version(proposal, version, _changed_meanwhile(proposal))
    _check_transition(proposal, "approved")
    _check_mentee_free(proposal)
    rules.reserve_mentor_place(proposal.mentor_city_id)
    before = _snapshot(proposal)
    proposal.state = "approved"
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    proposal.decision_reason = None
    db.session.flush()
    record(actor, "proposal.approve", proposal, before=before, after=_snapshot(proposal))
    notifications.proposal_approved(proposal)
    consent.after_approval(actor, proposal)
    return proposal, True


def bulk_approve(actor, proposal_ids: list[int]) -> tuple[list[Proposal], dict[int, str]]:
    """Approve several proposals; each is decided on its own (savepoint), refusals are reported.

    Returns ``(approved, refused)`` where ``refused`` maps proposal id to the reason.
    """
    approved: list[Proposal] = []
    refused: dict[int, str] = {}
    for proposal_id in dict.fromkeys(proposal_ids):
        try:
            with db.session.begin_nested():
                proposal, changed = approve(actor, proposal_id)
            if changed:
                approved.append(proposal)
        except ServiceError as error:
            refused[proposal_id] = error.message
    return approved, refused


@_atomic
def reject(actor, proposal_id: int, reason: str, version: int | None = None) -> tuple[Proposal, bool]:
    """Reject a proposed pair with a reason; the mentee goes back to the pool."""
    reason = (reason or "").strip()
    proposal = get_for_update(proposal_id)
    if proposal.state == "rejected":
        return proposal, False
    check_version(proposal, version, _changed_meanwhile(proposal))
    _check_transition(proposal, "rejected")
    if not reason:
        raise ServiceError(_("Please give a reason."), {"reason": [_("Please give a reason.")]})
    before = _snapshot(proposal)
    proposal.state = "rejected"
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    proposal.decision_reason = reason
    db.session.flush()
    record(actor, "proposal.reject", proposal, before=before, after=_snapshot(proposal), reason=reason)
    return proposal, True


@_atomic
def change_areas(actor, proposal_id: int, areas: list[str], version: int | None = None) -> tuple[Proposal, bool]:
    """Change the focus areas while the pair is not yet endorsed by any city."""
    from mentoring.services.taxonomy import active_areas

    known = {area.key for area in active_areas()}
    areas = list(dict.fromkeys(a for a in areas if a))
    proposal = get_for_update(proposal_id)
    if list(proposal.areas or []) == areas:
        return proposal, False
    check_version(proposal, version, _changed_meanwhile(proposal))
    if not areas:
        raise ServiceError(_("Choose at least one focus area."), {"areas": [_("Choose at least one focus area.")]})
    unknown = [a for a in areas if a not in known]
    if unknown:
        raise ServiceError(_("Unknown focus area."), {"areas": [_("Unknown focus area.")]})
    if proposal.state not in ("proposed", "approved") or proposal.mentor_endorsed_at or proposal.mentee_endorsed_at:
        raise NotAllowed(_("The focus areas can only change before any city has endorsed the pair."))
    before = _snapshot(proposal)
    proposal.areas = areas
    db.session.flush()
    record(actor, "proposal.areas", proposal, before=before, after=_snapshot(proposal))
    return proposal, True


@_atomic
def manual_match(actor, round_: MatchRound, mentee_city_id: int, mentor_city_id: int) -> Proposal:
    """Create a pair chosen by the coordinator (scored by the engine) and approve it."""
    if db.session.get(City, mentor_city_id) is not None:  # a place taken meanwhile: say so, in the rule's words
        rules.reserve_mentor_place(mentor_city_id, field="mentor")
    pair = matchmaking.score_pair(round_, mentee_city_id, mentor_city_id)
    if pair is None:
        raise NotAllowed(
            _("This mentor is not eligible for this mentee under the round's rules."),
            {"mentor": [_("Choose one of the suggested mentors.")]},
        )
    rules.lock_city(mentor_city_id)
    duplicate = db.session.scalar(
        select(Proposal).where(
            Proposal.round_id == round_.id,
            Proposal.mentor_city_id == mentor_city_id,
            Proposal.mentee_city_id == mentee_city_id,
            Proposal.state.in_(LIVE_STATES),
        )
    )
    if duplicate is not None:
        if duplicate.state == "proposed":
            return approve(actor, duplicate.id)[0]
        return duplicate
    proposal = Proposal(
        round_id=round_.id,
        mentor_city_id=mentor_city_id,
        mentee_city_id=mentee_city_id,
        areas=list(pair.areas),
        score=pair.score,
        components=dict(pair.components),
        explanation=pair.explanation,
        state="proposed",
        manual=True,
    )
    db.session.add(proposal)
    db.session.flush()
    record(actor, "proposal.manual", proposal, after=_snapshot(proposal))
    return approve(actor, proposal.id)[0]


@_atomic
def endorse(actor, proposal_id: int, side: str, version: int | None = None) -> tuple[Proposal, bool]:
    """One city's endorsement; the second one makes the pair ``endorsed`` and a Mentorship."""
    accounts.ensure_confirmed(actor)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise ServiceError(_("This proposal does not exist."))
    rules.lock_city(proposal.mentor_city_id)
    proposal = get_for_update(proposal_id)
    if side not in representative_sides(actor, proposal):
        raise NotAllowed(_("Only a representative of the city can endorse for it."))
    return _endorse_side(actor, proposal, side, version)


@_atomic
def endorse_by_contact(link) -> tuple[Proposal, bool]:
    """A programme contact's endorsement through a signed link (:mod:`mentoring.services.consent`)."""
    rules.lock_city(link.proposal.mentor_city_id)
    proposal = get_for_update(link.proposal_id)
    return _endorse_side(None, proposal, link.side, contact=link.contact)


def _endorse_side(actor, proposal: Proposal, side: str, version: int | None = None, *,
                  contact=None) -> tuple[Proposal, bool]:
    """Stamp one side's endorsement; the second makes the pair ``endorsed`` and a Mentorship.

    ``actor`` is the representative, or None when a programme ``contact`` answered by link.
    """
    stamp = "mentor_endorsed_at" if side == "mentor" else "mentee_endorsed_at"
    if getattr(proposal, stamp) is not None and proposal.state in ("approved", "endorsed"):
        return proposal, False
    check_version(proposal, version, _changed_meanwhile(proposal))
    _check_transition(proposal, "endorsed")
    before = _snapshot(proposal)
    setattr(proposal, stamp, utcnow())
    setattr(proposal, f"{side}_endorsed_by_id", getattr(actor, "id", None))
    action = "proposal.endorse_" + side
    after = {**_snapshot(proposal), **({"contact": contact.id, "email": contact.email} if contact else {})}
    if proposal.mentor_endorsed_at and proposal.mentee_endorsed_at:
        # The place held by the approval passes to the mentorship: checked under the same lock.
        rules.reserve_mentor_place(proposal.mentor_city_id, releasing=proposal)
        proposal.state = "endorsed"
        db.session.flush()
        mentorship = _create_mentorship(actor, proposal)
        record(actor, action, proposal, before=before, after={**after, "state": proposal.state})
        record(actor, "mentorship.create", mentorship, after={"proposal": proposal.id, "areas": mentorship.areas})
        notifications.mentorship_created(proposal, mentorship)
    else:
        db.session.flush()
        record(actor, action, proposal, before=before, after=after)
    return proposal, True


def _create_mentorship(actor, proposal: Proposal) -> Mentorship:
    mentorship = Mentorship(
        proposal_id=proposal.id,
        mentor_city_id=proposal.mentor_city_id,
        mentee_city_id=proposal.mentee_city_id,
        areas=list(proposal.areas or []),
        start_date=utcnow().date(),
        state="active",
        created_by_id=getattr(actor, "id", None),
    )
    # The cities' officials named as mentors join the workspace on their side.
    members = db.session.scalars(
        select(CityMember).where(
            CityMember.city_id.in_((proposal.mentor_city_id, proposal.mentee_city_id)),
            CityMember.role == "mentor",
        )
    ).all()
    mentorship.mentors = [
        MentorshipMentor(user_id=m.user_id, side="mentor" if m.city_id == proposal.mentor_city_id else "mentee")
        for m in members
    ]
    db.session.add(mentorship)
    db.session.flush()
    return mentorship


@_atomic
def decline(actor, proposal_id: int, side: str, reason: str, version: int | None = None) -> tuple[Proposal, bool]:
    """One city declines an approved pair with a reason; the mentee goes back to the pool."""
    accounts.ensure_confirmed(actor)
    proposal = get_for_update(proposal_id)
    if side not in representative_sides(actor, proposal):
        raise NotAllowed(_("Only a representative of the city can decline for it."))
    return _decline_side(actor, proposal, side, reason, version)


@_atomic
def decline_by_contact(link, reason: str) -> tuple[Proposal, bool]:
    """A programme contact declines through a signed link (:mod:`mentoring.services.consent`)."""
    return _decline_side(None, get_for_update(link.proposal_id), link.side, reason)


def _decline_side(actor, proposal: Proposal, side: str, reason: str, version: int | None = None):
    reason = (reason or "").strip()
    city_id = proposal.mentor_city_id if side == "mentor" else proposal.mentee_city_id
    if proposal.state == "declined" and proposal.declined_by_city_id == city_id:
        return proposal, False
    check_version(proposal, version, _changed_meanwhile(proposal))
    _check_transition(proposal, "declined")
    if not reason:
        raise ServiceError(_("Please give a reason."), {"reason": [_("Please give a reason.")]})
    before = _snapshot(proposal)
    proposal.state = "declined"
    proposal.declined_by_city_id = city_id
    proposal.decline_reason = reason
    db.session.flush()
    record(actor, "proposal.decline", proposal, before=before, after=_snapshot(proposal), reason=reason)
    notifications.proposal_declined(proposal, db.session.get(City, city_id))
    return proposal, True


def expire(proposal: Proposal) -> Proposal:
    """Nobody answered in time: the pair expires, the mentor's place is freed (``expired`` holds
    none), the mentee is back in the pool, and the coordinators are told ("Needs a nudge")."""
    rules.lock_city(proposal.mentor_city_id)
    proposal = get_for_update(proposal.id)
    if proposal.state == "expired":
        return proposal
    _check_transition(proposal, "expired")
    before = _snapshot(proposal)
    proposal.state = "expired"
    db.session.flush()
    record(None, "proposal.expire", proposal, before=before, after=_snapshot(proposal))
    notifications.proposal_expired(proposal)
    return proposal


__all__ = [
    "LIVE_STATES",
    "TRANSITIONS",
    "approve",
    "bulk_approve",
    "can_see_proposal",
    "change_areas",
    "decline",
    "endorse",
    "manual_match",
    "proposals_for_user",
    "reject",
    "representative_sides",
    "represents_a_city_of",
    "waiting_for_endorsement",
]
