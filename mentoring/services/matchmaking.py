"""Matching rounds: cities' profiles → engine records → stored proposals.

With :mod:`mentoring.services.suggestions` (a city's best mentors for its home page), the only module of
the application that imports :mod:`matching`.

Who takes part in a round: *verified* cities that belong to one of the round's commissions (and to
one of its regions, when regions are given), whose profile is complete enough (at least one
working language and one current assessment).

- **Mentor** records: capacity = ``mentor_capacity`` − places already used
  (:func:`mentoring.rules.places_used`), areas offered = current assessments with
  ``can_mentor``.
- **Mentee** records: cities that want a mentor and have no live mentor yet (no active
  mentorship as mentee, no approved or endorsed proposal).
- **Exclusions**: any pair that ever had a mentorship, pairs already approved or endorsed,
  pairs rejected or declined in this round (so a re-run proposes something else), and pairs where
  either city asked to avoid the other (:mod:`mentoring.services.preferences`).
- **Preferences**: each city's preferred partners, regions, working languages and focus areas
  (``matching.Participant.prefer*``, ``focus``): a bounded bonus, see ``matching.preferences``.
- **Programme rules** (``rule_reasons.RULE_PARAMS``): each record carries its commission and, with a
  priority floor, the less-favoured countries' priority (``rule_reasons.commissions_of``, ``priority``).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

import matching
from mentoring import jobs
from mentoring.extensions import db
from mentoring.models import (
    City,
    CityCommission,
    Commission,
    MatchRound,
    MentorRequest,
    Mentorship,
    Proposal,
    RoundCommission,
    utcnow,
)
from mentoring.models.cities import REGIONS
from mentoring.rules import HOLDING_STATES, holding_requests, places_by_city
from mentoring.services import NotAllowed, ServiceError, preferences, rule_reasons
from mentoring.services.audit import record
from mentoring.services.rule_reasons import RULE_PARAMS, conflict_message
from mentoring.services.taxonomy import area_labels

PARAM_DEFAULTS = matching.MatchParams().to_dict()
# The parameters a coordinator may set; the rest keep the engine's defaults.
EDITABLE_PARAMS = (
    "require_shared_language", "allow_same_country", "objective", "weights", "min_score",
    "mentors_per_mentee", *RULE_PARAMS,
)


@dataclasses.dataclass
class Eligibility:
    """Who would take part in a round, and whose profile is too incomplete to."""

    mentors: list[City]
    mentees: list[City]
    incomplete: list[tuple[City, list[str]]]  # (city, reasons)
    capacity_left: dict[int, int]

    @property
    def size(self) -> int:
        return len({c.id for c in self.mentors} | {c.id for c in self.mentees})


# --- Opening a round ------------------------------------------------------------------------

def clean_params(raw: dict | None) -> dict:
    """Validate a coordinator's parameters with the engine; field errors become a ServiceError."""
    values = {k: v for k, v in (raw or {}).items() if k in EDITABLE_PARAMS}
    try:
        params = matching.MatchParams(**values)
    except matching.InvalidInput as error:
        raise _refusal(error, _("The parameters are not valid.")) from None
    out = params.to_dict()
    out.pop("area_labels", None)
    return out


def _refusal(error: matching.InvalidInput, message: str) -> ServiceError:
    """The engine's refusal as a ServiceError on the field of the parameter it names."""
    if isinstance(error, matching.RulesConflict):
        text = conflict_message(error.rule, error.other_rule, error.group, error.other)
        return ServiceError(message, {error.rule: [text]})
    return ServiceError(message, {error.field or "params": [error.problem]})


def check_rules(round_: MatchRound) -> None:
    """Refuse rules that cannot be combined on the round's current mentees (a field error)."""
    params = engine_params(round_)
    if not params.network_rules:
        return
    try:
        matching.check_rules(participants(round_), params)
    except matching.InvalidInput as error:
        raise _refusal(error, _("The round could not be opened.")) from None


def open_round(actor, *, name: str, commission_ids: list[int], regions: list[str] | None = None,
               params: dict | None = None, seed: int = 0) -> MatchRound:
    """Create a round in state ``draft`` (nothing runs yet)."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Please give the round a name.")]
    commission_ids = list(dict.fromkeys(int(c) for c in commission_ids or []))
    known = set(db.session.scalars(select(Commission.id).where(Commission.id.in_(commission_ids))))
    if not commission_ids or len(known) != len(commission_ids):
        errors["commissions"] = [_("Choose at least one commission.")]
    regions = list(dict.fromkeys(regions or []))
    if any(r not in REGIONS for r in regions):
        errors["regions"] = [_("Unknown region.")]
    try:
        cleaned = clean_params(params)
    except ServiceError as error:
        errors.update(error.errors)
    if errors:
        raise ServiceError(_("The round could not be opened."), errors)
    cleaned["random_state"] = int(seed)
    round_ = MatchRound(name=name, regions=regions, params=cleaned, seed=int(seed), status="draft",
                        created_by_id=getattr(actor, "id", None))
    round_.commissions = [RoundCommission(commission_id=c) for c in commission_ids]
    db.session.add(round_)
    db.session.flush()
    check_rules(round_)  # a refusal rolls the request (and the round) back
    record(actor, "round.open", round_, after={"name": name, "commissions": commission_ids,
                                               "regions": regions, "params": cleaned})
    return round_


def _scope_query(round_: MatchRound):
    query = (
        select(City)
        .where(City.status == "verified")
        .where(City.id.in_(
            select(CityCommission.city_id).where(CityCommission.commission_id.in_(round_.commission_ids))
        ))
        .options(selectinload(City.languages), selectinload(City.assessments))
        .order_by(City.name, City.id)
    )
    if round_.regions:
        query = query.where(City.region.in_(round_.regions))
    return query


def mentees_with_a_mentor(city_ids) -> set[int]:
    taken = set(db.session.scalars(
        select(Mentorship.mentee_city_id).where(Mentorship.state == "active",
                                                Mentorship.mentee_city_id.in_(city_ids))
    ))
    taken |= set(db.session.scalars(
        select(Proposal.mentee_city_id).where(Proposal.state.in_(HOLDING_STATES),
                                              Proposal.mentee_city_id.in_(city_ids))
    ))
    taken |= set(db.session.scalars(  # a request its mentor city accepted
        select(MentorRequest.mentee_city_id).where(holding_requests(), MentorRequest.mentee_city_id.in_(city_ids))
    ))
    return taken


def eligibility(round_: MatchRound) -> Eligibility:
    """Mentors and mentees a run of ``round_`` would use now, and incomplete profiles."""
    cities = list(db.session.scalars(_scope_query(round_)))
    ids = [c.id for c in cities]
    places = places_by_city(cities)
    with_mentor = mentees_with_a_mentor(ids)
    mentors, mentees, incomplete = [], [], []
    capacity_left = {}
    for city in cities:
        reasons = []
        if not city.languages:
            reasons.append(_("no working language"))
        if not city.assessments:
            reasons.append(_("no capability assessment"))
        elif city.wants_mentor and not any(a.need > 0 for a in city.assessments) and city.id not in with_mentor:
            reasons.append(_("asks for a mentor but records no need"))
        if reasons:
            incomplete.append((city, reasons))
            if not city.languages or not city.assessments:
                continue
        left = places[city.id].free
        capacity_left[city.id] = left
        if left > 0 and any(a.can_mentor for a in city.assessments):
            mentors.append(city)
        if city.wants_mentor and city.id not in with_mentor and any(a.need > 0 for a in city.assessments):
            mentees.append(city)
    return Eligibility(mentors, mentees, incomplete, capacity_left)


def _exclusions(round_: MatchRound, city_ids: list[int]) -> dict[int, set[int]]:
    pairs: set[tuple[int, int]] = set()
    pairs |= {tuple(row) for row in db.session.execute(
        select(Mentorship.mentor_city_id, Mentorship.mentee_city_id).where(
            or_(Mentorship.mentor_city_id.in_(city_ids), Mentorship.mentee_city_id.in_(city_ids))
        )
    ).all()}
    pairs |= {tuple(row) for row in db.session.execute(
        select(Proposal.mentor_city_id, Proposal.mentee_city_id).where(
            or_(
                Proposal.state.in_(HOLDING_STATES),
                (Proposal.round_id == round_.id) & Proposal.state.in_(("rejected", "declined")),
            ),
            or_(Proposal.mentor_city_id.in_(city_ids), Proposal.mentee_city_id.in_(city_ids)),
        )
    ).all()}
    out: dict[int, set[int]] = {}
    for a, b in pairs:
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def participants(round_: MatchRound, elig: Eligibility | None = None) -> list[matching.Participant]:
    """The engine records of the round's cities (see the module docstring)."""
    elig = elig or eligibility(round_)
    mentor_ids = {c.id for c in elig.mentors}
    mentee_ids = {c.id for c in elig.mentees}
    cities = {c.id: c for c in elig.mentors + elig.mentees}
    excluded = _exclusions(round_, list(cities))
    for a, b in preferences.avoided_pairs(cities):  # avoid-lists: hard exclusions, both ways
        excluded.setdefault(a, set()).add(b)
        excluded.setdefault(b, set()).add(a)
    stated = preferences.engine_fields(cities)
    commission_of = rule_reasons.commissions_of(getattr(round_, "commission_ids", None), cities)
    floor = bool((getattr(round_, "params", None) or {}).get("priority_floor"))
    records = []
    for city in cities.values():
        assessments = city.assessments
        records.append(matching.Participant(
            id=str(city.id),
            name=city.name,
            country=city.country,
            region=city.region or "",
            population=int(city.population or 0),
            languages=tuple(city.language_codes),
            maturity={a.area.key: a.maturity for a in assessments},
            need={a.area.key: a.need for a in assessments} if city.id in mentee_ids else {},
            can_mentor=tuple(a.area.key for a in assessments if a.can_mentor) if city.id in mentor_ids else (),
            capacity=elig.capacity_left.get(city.id, 0) if city.id in mentor_ids else 0,
            wants_mentor=city.id in mentee_ids,
            practices=city.practices or "",
            needs_text=city.needs or "",
            priority=rule_reasons.priority(city, floor),
            commission=commission_of.get(city.id, ""),
            exclude=tuple(str(x) for x in sorted(excluded.get(city.id, ()))),
            **stated.get(city.id, {}),
        ))
    return records


def engine_params(round_: MatchRound) -> matching.MatchParams:
    values = {k: v for k, v in (round_.params or {}).items() if k in PARAM_DEFAULTS and k != "area_labels"}
    values["random_state"] = round_.seed
    values["area_labels"] = area_labels("en", active_only=True)  # stored with the pairs: English
    return matching.MatchParams.from_dict(values)


# --- Running --------------------------------------------------------------------------------

def stale_after() -> timedelta:
    """``ROUND_STALE_AFTER`` (default 15 minutes)."""
    return jobs.duration_setting("ROUND_STALE_AFTER", timedelta(minutes=15))


def last_sign_of_life(round_: MatchRound) -> datetime | None:
    return jobs.last_sign_of_life(round_)


def is_stale(round_: MatchRound, now: datetime | None = None) -> bool:
    """A queued or running round whose progress has not moved for longer than ROUND_STALE_AFTER: it
    is shown as failed and may be run again (:func:`mentoring.jobs.is_stale`)."""
    return jobs.is_stale(round_, stale_after(), now)


def display_status(round_: MatchRound, now: datetime | None = None) -> str:
    """The status to show and act on: a stale run counts as ``failed``."""
    return "failed" if is_stale(round_, now) else round_.status


def stale_message() -> str:
    minutes = max(1, int(stale_after().total_seconds() // 60))
    return _("The run stopped reporting progress more than %(minutes)d minutes ago: its process probably "
             "stopped (for example a server restart). You can run the round again.", minutes=minutes)


def check_can_run(round_: MatchRound) -> None:
    if round_.is_busy and not is_stale(round_):
        raise NotAllowed(_("This round is already running."))


def solve(records: list[matching.Participant], params: matching.MatchParams,
          progress: Callable[[float, str], None] | None = None,
          labels: dict[str, str] | None = None) -> matching.MatchResult:
    """Run the engine (no database access); its errors become a ServiceError."""
    try:
        return matching.propose(records, params, progress=progress, area_labels=labels)
    except matching.Infeasible as error:
        raise ServiceError(_("The round cannot be run: %(problem)s", problem=str(error))) from None
    except matching.RulesConflict as error:
        text = conflict_message(error.rule, error.other_rule, error.group, error.other)
        raise ServiceError(_("The round cannot be run: %(problem)s", problem=text), {error.rule: [text]}) from None
    except matching.InvalidInput as error:
        raise ServiceError(_("The engine refused the data: %(problem)s", problem=str(error))) from None


def store_result(actor, round_: MatchRound, result: matching.MatchResult) -> list[Proposal]:
    """Replace the round's undecided proposals by the engine's; decided ones stay untouched."""
    db.session.execute(
        delete(Proposal).where(Proposal.round_id == round_.id, Proposal.state == "proposed")
        .execution_options(synchronize_session=False)
    )
    params = round_.params or {}
    ids = {int(x) for p in result.pairs if p.rules for x in (p.mentor, p.mentee)}
    ids |= {int(u.mentee) for u in result.unmatched if u.reason.startswith("rule_")}
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(ids)))} if ids else {}
    commission_of = rule_reasons.commissions_of(round_.commission_ids, cities) \
        if any(p.rules for p in result.pairs) else {}
    proposals = []
    for pair in result.pairs:
        proposal = Proposal(
            round_id=round_.id,
            mentor_city_id=int(pair.mentor),
            mentee_city_id=int(pair.mentee),
            areas=list(pair.areas),
            score=float(pair.score),
            components={k: float(v) for k, v in pair.components.items()},
            explanation=pair.explanation,
            rules=rule_reasons.pair_rules(pair.rules, params, cities.get(int(pair.mentor)),
                                          cities.get(int(pair.mentee)), commission_of) or None,
            state="proposed",
        )
        db.session.add(proposal)
        proposals.append(proposal)
    metrics = dict(result.metrics)
    round_.metrics = metrics
    round_.unmatched = [u.to_dict() for u in result.unmatched]
    round_.status = "done"
    round_.progress = 1.0
    round_.progress_message = None
    round_.error = None
    round_.finished_at = utcnow()
    db.session.flush()
    record(actor, "round.done", round_, after={
        "proposals": len(proposals), "coverage": metrics.get("coverage"),
        "certified": metrics.get("certified"),
    })
    return proposals


def mark_failed(round_: MatchRound, message: str) -> None:
    round_.status = "failed"
    round_.error = message
    round_.progress_message = None
    round_.finished_at = utcnow()
    db.session.flush()
    record(None, "round.failed", round_, reason=message)


def runs_in_background(round_: MatchRound, elig: Eligibility | None = None) -> bool:
    elig = elig or eligibility(round_)
    return elig.size > current_app.config.get("MATCHING_SYNC_LIMIT", 2000)


# --- Manual matching ------------------------------------------------------------------------

def _one_mentee_records(round_: MatchRound, mentee_city_id: int) -> list[matching.Participant] | None:
    elig = eligibility(round_)
    mentee = db.session.get(City, mentee_city_id)
    if mentee is None or mentee.status != "verified" or not mentee.assessments or not mentee.languages:
        return None
    if mentee.id not in {c.id for c in elig.mentees}:
        elig.mentees = elig.mentees + [mentee]
    return participants(round_, elig)


def suggestions(round_: MatchRound, mentee_city_id: int, k: int = 5) -> list[dict]:
    """Ranked mentors with free places for one mentee, from the same engine, with cities.

    Each item: ``{"pair", "mentor", "places", "proposed_to"}``: the mentor's places as the capacity
    rule counts them (``rules.places_by_city``: undecided proposals hold none) and the other mentees
    this round proposed it to, whose pairs could no longer be approved once its places are taken.
    """
    records = _one_mentee_records(round_, mentee_city_id)
    if records is None or not any(r.capacity > 0 for r in records):
        return []
    try:
        pairs = matching.suggest_mentors(records, str(mentee_city_id), engine_params(round_), k=k)
    except matching.MatchingError:
        return []
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_([int(p.mentor) for p in pairs])))}
    places = places_by_city(cities.values())
    others: dict[int, list[Proposal]] = {}
    for proposal in db.session.scalars(select(Proposal).where(
            Proposal.round_id == round_.id, Proposal.state == "proposed", Proposal.mentor_city_id.in_(list(cities)),
            Proposal.mentee_city_id != mentee_city_id).order_by(Proposal.id)):
        others.setdefault(proposal.mentor_city_id, []).append(proposal)
    return [{"pair": p, "mentor": cities[int(p.mentor)], "places": places[int(p.mentor)],
             "proposed_to": [o.mentee_city for o in others.get(int(p.mentor), [])]}
            for p in pairs if int(p.mentor) in cities]


def score_pair(round_: MatchRound, mentee_city_id: int, mentor_city_id: int):
    """The engine's pair for this mentor and mentee, or None when the rules forbid it."""
    records = _one_mentee_records(round_, mentee_city_id)
    if records is None:
        return None
    try:
        pairs = matching.suggest_mentors(records, str(mentee_city_id), engine_params(round_), k=len(records))
    except matching.MatchingError:
        return None
    for pair in pairs:
        if pair.mentor == str(mentor_city_id):
            return pair
    return None


def request_run(actor, round_: MatchRound) -> bool:
    """Mark the round ``queued`` for a (re-)run; returns True when it should run in the background.

    Approved and endorsed pairs are kept; undecided proposals are replaced by the new run.
    """
    check_can_run(round_)
    if is_stale(round_):
        # Recorded as the failure it was, then run again below.
        record(actor, "round.stale", round_, before={"status": round_.status},
               after={"status": "failed"}, reason=f"no progress since {last_sign_of_life(round_).isoformat()}")
    before = {"status": round_.status}
    round_.status = "queued"
    round_.progress = 0.0
    round_.progress_message = None
    round_.error = None
    round_.started_at = None
    round_.progress_at = utcnow()
    db.session.flush()
    record(actor, "round.run", round_, before=before, after={"status": "queued"})
    return runs_in_background(round_)
