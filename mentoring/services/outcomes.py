"""What the mentorships achieved: per mentorship, and aggregated per round, region, area, commission.

Maturity before → after follows the close-out re-assessment (the rule is
:func:`mentoring.rules.levels_before_after`). Satisfaction is the mean feedback rating (1–5). Time to
first session counts days from the approval of the proposal (or the mentorship's creation when it
was started outside a round) to the first session held.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    Commission,
    Feedback,
    MatchRound,
    Mentorship,
    Proposal,
)
from mentoring.rules import levels_before_after
from mentoring.services.cities.directory import display_name

DIMENSIONS = ("round", "region", "area", "commission")


@dataclass
class Outcome:
    id: int
    round_id: int | None
    round_name: str | None
    mentor_city: str
    mentee_city: str
    mentor_region: str
    mentee_region: str
    commissions: list[str]
    areas: list[str]
    state: str
    start_date: str
    closed_at: str | None
    withdraw_reason: str | None
    maturity: dict[str, dict] = field(default_factory=dict)  # area → {"before", "after"}
    goals: int = 0
    goals_achieved: int = 0
    sessions: int = 0
    hours: float = 0.0
    study_visits: int = 0
    ratings: list[int] = field(default_factory=list)
    days_to_first_session: int | None = None

    @property
    def satisfaction(self) -> float | None:
        return round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None

    @property
    def maturity_gain(self) -> float | None:
        gains = [m["after"] - m["before"] for m in self.maturity.values()
                 if m["before"] is not None and m["after"] is not None]
        return round(sum(gains) / len(gains), 2) if gains else None


def mentorship_outcomes() -> list[Outcome]:
    """One :class:`Outcome` per mentorship (every state), oldest first."""
    mentorships = list(db.session.scalars(
        select(Mentorship).options(selectinload(Mentorship.goals), selectinload(Mentorship.sessions))
        .order_by(Mentorship.start_date, Mentorship.id)))
    if not mentorships:
        return []
    city_ids = {m.mentor_city_id for m in mentorships} | {m.mentee_city_id for m in mentorships}
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(city_ids)))}
    commissions: dict[int, set[str]] = defaultdict(set)
    for city_id, key in db.session.execute(
        select(CityCommission.city_id, Commission.key).join(Commission, Commission.id == CityCommission.commission_id)
        .where(CityCommission.city_id.in_(city_ids))
    ):
        commissions[city_id].add(key)
    proposals = {p.id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.id.in_({m.proposal_id for m in mentorships if m.proposal_id})))}
    rounds = dict(db.session.execute(select(MatchRound.id, MatchRound.name)).all())
    ratings: dict[int, list[int]] = defaultdict(list)
    for mentorship_id, rating in db.session.execute(
        select(Feedback.mentorship_id, Feedback.rating).where(Feedback.rating.is_not(None))
        .order_by(Feedback.id)
    ):
        ratings[mentorship_id].append(rating)
    area_ids = dict(db.session.execute(select(CapabilityArea.key, CapabilityArea.id)).all())
    history: dict[tuple[int, int], list[Assessment]] = defaultdict(list)
    for a in db.session.scalars(
        select(Assessment).where(Assessment.city_id.in_({m.mentee_city_id for m in mentorships}))
        .order_by(Assessment.assessed_at, Assessment.id)
    ):
        history[(a.city_id, a.area_id)].append(a)

    out = []
    for m in mentorships:
        mentor, mentee = cities[m.mentor_city_id], cities[m.mentee_city_id]
        proposal = proposals.get(m.proposal_id)
        round_id = proposal.round_id if proposal else None
        held = sorted((s for s in m.sessions if s.held), key=lambda s: s.starts_at)
        approved = (proposal.decided_at if proposal and proposal.decided_at else None) or m.created_at
        outcome = Outcome(
            id=m.id, round_id=round_id, round_name=rounds.get(round_id),
            mentor_city=display_name(mentor), mentee_city=display_name(mentee),
            mentor_region=mentor.region, mentee_region=mentee.region,
            commissions=sorted(commissions[mentor.id] | commissions[mentee.id]),
            areas=list(m.areas or []), state=m.state, start_date=m.start_date.isoformat(),
            closed_at=m.closed_at.date().isoformat() if m.closed_at else None,
            withdraw_reason=m.withdraw_reason,
            goals=len(m.goals), goals_achieved=sum(1 for g in m.goals if g.status == "achieved"),
            sessions=len(held), hours=round(sum(s.duration_minutes for s in held) / 60, 1),
            study_visits=sum(1 for s in held if s.format == "study_visit"),
            ratings=ratings.get(m.id, []),
            days_to_first_session=(held[0].starts_at - approved).days if held else None,
        )
        for key in outcome.areas:
            before, after = levels_before_after(history.get((mentee.id, area_ids.get(key)), []), m.closed_at)
            outcome.maturity[key] = {"before": before, "after": after}
        out.append(outcome)
    return out


def _keys(outcome: Outcome, dimension: str) -> list:
    if dimension == "round":
        return [outcome.round_id]
    if dimension == "region":
        return [outcome.mentee_region]
    if dimension == "area":
        return list(outcome.areas)
    return list(outcome.commissions)


def aggregate(outcomes: list[Outcome], dimension: str) -> list[dict]:
    """Figures per round, (mentee) region, focus area or commission; a mentorship counts in each of its groups."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    groups: dict = defaultdict(list)
    for o in outcomes:
        for key in _keys(o, dimension):
            groups[key].append(o)
    return [_summary(items, key, items[0].round_name if dimension == "round" else key,
                     area=key if dimension == "area" else None)
            for key, items in sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0])))]


def _summary(items: list[Outcome], key, label, *, area: str | None = None) -> dict:
    """The figures of a group of mentorships (``area``: count only that area's maturity change)."""
    closed = [o for o in items if o.state in ("completed", "withdrawn")]
    completed = [o for o in items if o.state == "completed"]
    ratings = [r for o in items for r in o.ratings]
    pairs = [o.maturity.get(area) for o in items] if area else [m for o in items for m in o.maturity.values()]
    pairs = [p for p in pairs if p and p["before"] is not None and p["after"] is not None]
    waits = [o.days_to_first_session for o in items if o.days_to_first_session is not None]
    return {
        "key": key,
        "label": label,
        "mentorships": len(items),
        "active": sum(1 for o in items if o.state == "active"),
        "completed": len(completed),
        "withdrawn": len(closed) - len(completed),
        "completion_rate": round(len(completed) / len(closed), 4) if closed else None,
        "withdraw_reasons": sorted({o.withdraw_reason for o in items if o.state == "withdrawn" and o.withdraw_reason}),
        "maturity_before": _mean(p["before"] for p in pairs),
        "maturity_after": _mean(p["after"] for p in pairs),
        "reassessed_areas": len(pairs),
        "goals": sum(o.goals for o in items),
        "goals_achieved": sum(o.goals_achieved for o in items),
        "sessions": sum(o.sessions for o in items),
        "hours": round(sum(o.hours for o in items), 1),
        "study_visits": sum(o.study_visits for o in items),
        "satisfaction": _mean(ratings),
        "days_to_first_session": _mean(waits),
    }


def _mean(values) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 2) if values else None


def totals(outcomes: list[Outcome]) -> dict:
    """The programme's contribution in one row (used by the study and the public page)."""
    return _summary(outcomes, "all", None)


CSV_COLUMNS = ("id", "round_id", "round_name", "mentor_city", "mentee_city", "mentor_region", "mentee_region",
               "commissions", "areas", "state", "start_date", "closed_at", "withdraw_reason", "goals",
               "goals_achieved", "sessions", "hours", "study_visits", "satisfaction", "days_to_first_session",
               "maturity_gain", "maturity")


def to_csv(outcomes: list[Outcome]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for o in outcomes:
        row = asdict(o)
        row["satisfaction"], row["maturity_gain"] = o.satisfaction, o.maturity_gain
        row["commissions"], row["areas"] = ";".join(o.commissions), ";".join(o.areas)
        row["maturity"] = ";".join(f"{k}:{v['before']}->{v['after']}" for k, v in o.maturity.items())
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _cell(value):
    """Empty for None; a leading =, +, - or @ is quoted so a spreadsheet never runs it as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
