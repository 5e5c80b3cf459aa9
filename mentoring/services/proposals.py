"""Proposals: the coordinator's decisions, the cities' endorsements, and mentor capacity.

States and transitions (ARCHITECTURE.md §2) — no other transition exists::

    proposed ─► approved ─► endorsed (both cities) ─► a Mentorship is created
        │           └─────► declined (either city, with a reason)
        └─────────► rejected (coordinator, with a reason)

**Capacity used** by a mentor city is, precisely::

    active mentorships where the city is the mentor
  + proposals where the city is the mentor, in state ``approved``, or ``endorsed`` without a
    mentorship yet (in practice none: endorsement creates the mentorship in the same transaction)

It must stay ``<= City.mentor_capacity``. :func:`reserve_mentor_place` is the ONE place that
checks it, always inside a transaction holding the mentor city's lock (:func:`lock_city`); approve,
bulk approve, manual match and endorse all go through it.

Optimistic locking: a caller passes the ``version`` it displayed; a different current version
means someone else decided first, and :class:`~mentoring.services.Conflict` (409) is raised.
Repeating the decision that was already taken (double click, retried request) is a no-op success:
nothing is written, audited or notified twice.
"""
from __future__ import annotations

import json
import math
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import selectinload

from mentoring.database import _write_intent
from mentoring.extensions import db
from mentoring.models import City, CityMember, MatchRound, Mentorship, MentorshipMentor, Proposal, utcnow
from mentoring.services import Conflict, NotAllowed, ServiceError
from mentoring.services import accounts, notifications
from mentoring.services.audit import record

# Proposal states that hold one of the mentor's places.
HOLDING_STATES = ("approved", "endorsed")
# Proposal states in which the pair is still "live" (the mentee is not back in the pool).
LIVE_STATES = ("proposed", "approved", "endorsed")
TRANSITIONS = {
    "proposed": ("approved", "rejected"),
    "approved": ("endorsed", "declined"),
    "rejected": (),
    "endorsed": (),
    "declined": (),
}
STALE_AFTER = timedelta(days=14)


# --- Locking and capacity -------------------------------------------------------------------

def lock_city(city_id: int) -> None:
    """Serialise capacity decisions on one city until the end of the current transaction.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the city's row. SQLite locks the whole database for
    writing when the transaction begins (``BEGIN IMMEDIATE``, see :mod:`mentoring.database`); a
    transaction begun deferred could interleave, so that is refused as a programming error.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        if not _write_intent.get():
            raise RuntimeError("capacity decisions need a write transaction (BEGIN IMMEDIATE)")
        # Make sure the transaction (and with it the database write lock) has begun.
        db.session.execute(select(City.id).where(City.id == city_id))
        return
    db.session.execute(select(City.id).where(City.id == city_id).with_for_update())


def capacity_used(city_id: int) -> int:
    """Places of ``city_id`` taken: active mentorships as mentor + holding proposals (see above)."""
    active = db.session.scalar(
        select(func.count(Mentorship.id)).where(
            Mentorship.mentor_city_id == city_id, Mentorship.state == "active"
        )
    )
    holding = db.session.scalar(
        select(func.count(Proposal.id)).where(
            Proposal.mentor_city_id == city_id,
            Proposal.state.in_(HOLDING_STATES),
            ~exists().where(Mentorship.proposal_id == Proposal.id),
        )
    )
    return int(active or 0) + int(holding or 0)


def capacity_used_by_city(city_ids: list[int] | None = None) -> dict[int, int]:
    """:func:`capacity_used` for many cities in two queries (for rounds and lists)."""
    used: dict[int, int] = {}
    active = select(Mentorship.mentor_city_id, func.count()).where(Mentorship.state == "active")
    holding = select(Proposal.mentor_city_id, func.count()).where(
        Proposal.state.in_(HOLDING_STATES), ~exists().where(Mentorship.proposal_id == Proposal.id)
    )
    if city_ids is not None:
        active = active.where(Mentorship.mentor_city_id.in_(city_ids))
        holding = holding.where(Proposal.mentor_city_id.in_(city_ids))
    for statement in (
        active.group_by(Mentorship.mentor_city_id), holding.group_by(Proposal.mentor_city_id)
    ):
        for city_id, n in db.session.execute(statement):
            used[city_id] = used.get(city_id, 0) + n
    return used


def _before_insert_hook() -> None:
    """Called between the capacity count and the write; tests replace it to widen the race."""


def reserve_mentor_place(mentor_city_id: int, *, releasing: Proposal | None = None) -> None:
    """Lock the mentor city and refuse when all its places are taken.

    ``releasing`` is a proposal that already holds one of the places and is about to hand it to
    something else (an endorsed proposal becoming a mentorship): it is not counted twice.
    The caller's write must follow in the same transaction.
    """
    lock_city(mentor_city_id)
    city = db.session.get(City, mentor_city_id, populate_existing=True)
    used = capacity_used(mentor_city_id)
    if releasing is not None and releasing.state in HOLDING_STATES:
        used -= 1
    if used >= city.mentor_capacity:
        raise NotAllowed(
            _(
                "%(city)s has no free mentor place: %(used)d of %(capacity)d taken.",
                city=city.name,
                used=used,
                capacity=city.mentor_capacity,
            ),
            {"capacity": [_("The mentor city's capacity is reached.")]},
        )
    _before_insert_hook()


# --- Reading --------------------------------------------------------------------------------

def get_for_update(proposal_id: int) -> Proposal:
    """The proposal, reloaded from the database (inside the caller's transaction)."""
    proposal = db.session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        raise ServiceError(_("This proposal does not exist."))
    return proposal


def is_representative(user, city_id: int) -> bool:
    return db.session.scalar(
        select(
            exists().where(
                CityMember.user_id == user.id,
                CityMember.city_id == city_id,
                CityMember.role == "representative",
            )
        )
    )


def representative_sides(user, proposal: Proposal) -> list[str]:
    """Which sides (``"mentor"``, ``"mentee"``) of the proposal ``user`` represents."""
    sides = []
    if is_representative(user, proposal.mentor_city_id):
        sides.append("mentor")
    if is_representative(user, proposal.mentee_city_id):
        sides.append("mentee")
    return sides


def proposals_for_user(user) -> list[Proposal]:
    """Proposals approved for (or decided by) the cities ``user`` represents, newest first."""
    city_ids = select(CityMember.city_id).where(
        CityMember.user_id == user.id, CityMember.role == "representative"
    )
    return list(
        db.session.scalars(
            select(Proposal)
            .where(
                or_(Proposal.mentor_city_id.in_(city_ids), Proposal.mentee_city_id.in_(city_ids)),
                Proposal.state.in_(("approved", "endorsed", "declined")),
            )
            .options(selectinload(Proposal.mentor_city).selectinload(City.languages),
                     selectinload(Proposal.mentee_city).selectinload(City.languages))
            .order_by(Proposal.decided_at.desc(), Proposal.id.desc())
        )
    )


def waiting_for_endorsement(older_than: timedelta = STALE_AFTER) -> list[Proposal]:
    """Approved proposals still waiting for an endorsement after ``older_than`` (14 days)."""
    cutoff = utcnow() - older_than
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.state == "approved", Proposal.decided_at < cutoff)
            .options(selectinload(Proposal.mentor_city), selectinload(Proposal.mentee_city))
            .order_by(Proposal.decided_at)
        )
    )


# --- Filtering a round's proposals -----------------------------------------------------------

FILTER_KEYS = ("region", "area", "state", "min_score")


def parse_filters(args, *, regions, area_keys) -> tuple[dict, dict[str, list[str]]]:
    """Clean the round page's (and the API's) filters: ``(filters, errors)``.

    Unknown values are dropped from ``filters`` and reported in ``errors`` (the HTML page ignores
    them, the API answers 422).
    """
    filters: dict = {"region": "", "area": "", "state": "", "min_score": None}
    errors: dict[str, list[str]] = {}
    region = (args.get("region") or "").strip()
    if region:
        if region in regions:
            filters["region"] = region
        else:
            errors["region"] = [_("Unknown region.")]
    area = (args.get("area") or "").strip()
    if area:
        if area in area_keys:
            filters["area"] = area
        else:
            errors["area"] = [_("Unknown focus area.")]
    state = (args.get("state") or "").strip()
    if state:
        if state in TRANSITIONS:
            filters["state"] = state
        else:
            errors["state"] = [_("Unknown state.")]
    raw = (args.get("min_score") or "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            errors["min_score"] = [_("Give a number, e.g. 0.5.")]
        else:
            filters["min_score"] = value
    return filters, errors


def area_json_pattern(area_key: str) -> str:
    """The text an area key has inside the stored JSON list: the key in JSON quotes."""
    return json.dumps(area_key)


def round_proposals_query(round_id: int, filters: dict):
    """The SELECT of a round's proposals with every filter applied in the database, best first.

    The focus areas are a JSON list on the proposal. They are filtered portably by a LIKE on the
    JSON text (SQLite and PostgreSQL both render the list as ``["a", "b"]``): the key is searched
    *with its JSON quotes*, so ``data`` never matches ``open_data``, and LIKE's wildcards (``_``
    is common in keys) are escaped (``autoescape``). Keys are checked against the taxonomy first.
    """
    query = (
        select(Proposal)
        .where(Proposal.round_id == round_id)
        .options(
            selectinload(Proposal.mentor_city).selectinload(City.languages),
            selectinload(Proposal.mentee_city).selectinload(City.languages),
        )
        .order_by(Proposal.score.desc(), Proposal.id)
    )
    if filters.get("state"):
        query = query.where(Proposal.state == filters["state"])
    if filters.get("min_score") is not None:
        query = query.where(Proposal.score >= filters["min_score"])
    if filters.get("region"):
        query = query.where(
            Proposal.mentee_city_id.in_(select(City.id).where(City.region == filters["region"]))
        )
    if filters.get("area"):
        query = query.where(
            cast(Proposal.areas, String).contains(area_json_pattern(filters["area"]), autoescape=True)
        )
    return query


# --- Transitions ----------------------------------------------------------------------------

def _snapshot(proposal: Proposal) -> dict:
    return {"state": proposal.state, "areas": list(proposal.areas or []), "version": proposal.version}


def _check_version(proposal: Proposal, version: int | None) -> None:
    if version is not None and int(version) != proposal.version:
        raise Conflict(
            _(
                "Someone else changed this proposal in the meantime (it is now %(state)s). "
                "Reload the page to see the latest version.",
                state=state_label(proposal.state),
            )
        )


def _check_transition(proposal: Proposal, target: str) -> None:
    if target not in TRANSITIONS.get(proposal.state, ()):
        raise NotAllowed(
            _(
                "A proposal that is %(state)s cannot become %(target)s.",
                state=state_label(proposal.state),
                target=state_label(target),
            )
        )


def state_label(state: str) -> str:
    labels = {
        "proposed": _("proposed"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "endorsed": _("endorsed"),
        "declined": _("declined"),
    }
    return labels.get(state, state)


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
            _("%(city)s already has its mentor.", city=proposal.mentee_city.name),
            {"mentee": [_("The mentee city already has a mentor.")]},
        )


def approve(actor, proposal_id: int, version: int | None = None) -> tuple[Proposal, bool]:
    """Approve a proposal; returns ``(proposal, changed)``. ``changed`` is False for a repeat."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise ServiceError(_("This proposal does not exist."))
    # Lock first, then re-read: the state we decide on is the one no one else can change now.
    reserve_lock = proposal.mentor_city_id
    lock_city(reserve_lock)
    proposal = get_for_update(proposal_id)
    if proposal.state == "approved":
        return proposal, False
    _check_version(proposal, version)
    _check_transition(proposal, "approved")
    _check_mentee_free(proposal)
    reserve_mentor_place(proposal.mentor_city_id)
    before = _snapshot(proposal)
    proposal.state = "approved"
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    proposal.decision_reason = None
    db.session.flush()
    record(actor, "proposal.approve", proposal, before=before, after=_snapshot(proposal))
    notifications.proposal_approved(proposal)
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


def reject(actor, proposal_id: int, reason: str, version: int | None = None) -> tuple[Proposal, bool]:
    """Reject a proposed pair with a reason; the mentee goes back to the pool."""
    reason = (reason or "").strip()
    proposal = get_for_update(proposal_id)
    if proposal.state == "rejected":
        return proposal, False
    _check_version(proposal, version)
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


def change_areas(actor, proposal_id: int, areas: list[str], version: int | None = None) -> tuple[Proposal, bool]:
    """Change the focus areas while the pair is not yet endorsed by any city."""
    from mentoring.services.taxonomy import active_areas

    known = {area.key for area in active_areas()}
    areas = list(dict.fromkeys(a for a in areas if a))
    proposal = get_for_update(proposal_id)
    if list(proposal.areas or []) == areas:
        return proposal, False
    _check_version(proposal, version)
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


def manual_match(actor, round_: MatchRound, mentee_city_id: int, mentor_city_id: int) -> Proposal:
    """Create a pair chosen by the coordinator (scored by the engine) and approve it."""
    from mentoring.services import matchmaking

    pair = matchmaking.score_pair(round_, mentee_city_id, mentor_city_id)
    if pair is None:
        raise NotAllowed(
            _("This mentor is not eligible for this mentee under the round's rules."),
            {"mentor": [_("Choose one of the suggested mentors.")]},
        )
    lock_city(mentor_city_id)
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


def endorse(actor, proposal_id: int, side: str, version: int | None = None) -> tuple[Proposal, bool]:
    """One city's endorsement; the second one makes the pair ``endorsed`` and a Mentorship."""
    accounts.ensure_confirmed(actor)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise ServiceError(_("This proposal does not exist."))
    lock_city(proposal.mentor_city_id)
    proposal = get_for_update(proposal_id)
    if side not in representative_sides(actor, proposal):
        raise NotAllowed(_("Only a representative of the city can endorse for it."))
    stamp = "mentor_endorsed_at" if side == "mentor" else "mentee_endorsed_at"
    if getattr(proposal, stamp) is not None and proposal.state in ("approved", "endorsed"):
        return proposal, False
    _check_version(proposal, version)
    _check_transition(proposal, "endorsed")
    before = _snapshot(proposal)
    setattr(proposal, stamp, utcnow())
    setattr(proposal, f"{side}_endorsed_by_id", actor.id)
    action = "proposal.endorse_" + side
    if proposal.mentor_endorsed_at and proposal.mentee_endorsed_at:
        # The place held by the approval passes to the mentorship: checked under the same lock.
        reserve_mentor_place(proposal.mentor_city_id, releasing=proposal)
        proposal.state = "endorsed"
        db.session.flush()
        mentorship = _create_mentorship(actor, proposal)
        record(actor, action, proposal, before=before, after=_snapshot(proposal))
        record(actor, "mentorship.create", mentorship, after={"proposal": proposal.id, "areas": mentorship.areas})
        notifications.mentorship_created(proposal, mentorship)
    else:
        db.session.flush()
        record(actor, action, proposal, before=before, after=_snapshot(proposal))
    return proposal, True


def _create_mentorship(actor, proposal: Proposal) -> Mentorship:
    mentorship = Mentorship(
        proposal_id=proposal.id,
        mentor_city_id=proposal.mentor_city_id,
        mentee_city_id=proposal.mentee_city_id,
        areas=list(proposal.areas or []),
        start_date=utcnow().date(),
        state="active",
        created_by_id=actor.id,
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


def decline(actor, proposal_id: int, side: str, reason: str, version: int | None = None) -> tuple[Proposal, bool]:
    """One city declines an approved pair with a reason; the mentee goes back to the pool."""
    accounts.ensure_confirmed(actor)
    reason = (reason or "").strip()
    proposal = get_for_update(proposal_id)
    if side not in representative_sides(actor, proposal):
        raise NotAllowed(_("Only a representative of the city can decline for it."))
    city_id = proposal.mentor_city_id if side == "mentor" else proposal.mentee_city_id
    if proposal.state == "declined" and proposal.declined_by_city_id == city_id:
        return proposal, False
    _check_version(proposal, version)
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


def unmatched_mentees(round_: MatchRound) -> list[dict]:
    """Mentees of the round without a live pair, each with the reason they are unmatched.

    From the engine (no eligible mentor, capacity) and from decisions (rejected, declined).
    """
    live = {
        row
        for row in db.session.scalars(
            select(Proposal.mentee_city_id).where(
                Proposal.round_id == round_.id, Proposal.state.in_(LIVE_STATES)
            )
        )
    }
    reasons: dict[int, dict] = {}
    for item in round_.unmatched or []:
        reasons[int(item["mentee"])] = {
            "reason": item["reason"],
            "detail": item.get("detail", ""),
        }
    for proposal in db.session.scalars(
        select(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.state.in_(("rejected", "declined")))
        .order_by(Proposal.updated_at)
    ):
        if proposal.state == "rejected":
            reasons[proposal.mentee_city_id] = {"reason": "rejected", "detail": proposal.decision_reason or ""}
        else:
            reasons[proposal.mentee_city_id] = {"reason": "declined", "detail": proposal.decline_reason or ""}
    ids = [city_id for city_id in reasons if city_id not in live]
    cities = {
        c.id: c for c in db.session.scalars(select(City).where(City.id.in_(ids)))
    } if ids else {}
    out = []
    for city_id in ids:
        if city_id in cities:
            out.append({"city": cities[city_id], **reasons[city_id]})
    out.sort(key=lambda item: item["city"].name)
    return out


__all__ = [
    "HOLDING_STATES", "LIVE_STATES", "TRANSITIONS", "approve", "bulk_approve", "capacity_used",
    "capacity_used_by_city", "change_areas", "decline", "endorse", "lock_city", "manual_match",
    "proposals_for_user", "reject", "representative_sides", "reserve_mentor_place",
    "unmatched_mentees", "waiting_for_endorsement",
]
