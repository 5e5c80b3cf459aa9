"""The signed-in home page: what needs the user's attention, and the programme's health.

Everything the page shows is gathered here in a fixed number of queries (whatever the number of
cities, proposals or mentorships): lists are eager-loaded, counts are grouped in the database.

- :func:`personal` — for every signed-in user: their cities (status, share of areas assessed),
  proposals waiting for their endorsement, their active mentorships with the next planned
  session in their own city's local time, unread notifications.
- :func:`programme` — for coordinators: cities pending verification, verified cities, potential
  mentors, mentees wanting a mentor, latest rounds, proposals waiting for an endorsement for
  more than 14 days, silent mentorships, goals past their date, and figures by UCLG region.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, distinct, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityMember,
    Goal,
    MatchRound,
    MentoringSession,
    Mentorship,
    MentorshipMentor,
    Proposal,
    User,
    utcnow,
)
from mentoring.models.cities import REGIONS
from mentoring.services import messages, workspace
from mentoring.services import proposals as proposal_service

LATEST_ROUNDS = 5
LIST_LIMIT = 8  # rows shown per attention list; the page links to the full list


# --- Every signed-in user -------------------------------------------------------------------

@dataclass
class MyCity:
    city: City
    role: str  # "representative" or "mentor"
    assessed: int
    area_count: int

    @property
    def share(self) -> float:
        return self.assessed / self.area_count if self.area_count else 0.0

    @property
    def complete(self) -> bool:
        return self.area_count > 0 and self.assessed >= self.area_count


@dataclass
class PendingEndorsement:
    proposal: Proposal
    side: str  # the side the user endorses for: "mentor" or "mentee"

    @property
    def own_city(self) -> City:
        return self.proposal.mentor_city if self.side == "mentor" else self.proposal.mentee_city

    @property
    def other_city(self) -> City:
        return self.proposal.mentee_city if self.side == "mentor" else self.proposal.mentor_city


@dataclass
class MyMentorship:
    mentorship: Mentorship
    side: str
    next_session: MentoringSession | None
    zone: ZoneInfo  # the user's own city's zone: the next session is shown in it

    @property
    def own_city(self) -> City:
        return workspace.city_of_side(self.mentorship, self.side)

    @property
    def other_city(self) -> City:
        return workspace.city_of_side(self.mentorship, "mentee" if self.side == "mentor" else "mentor")


@dataclass
class Personal:
    cities: list[MyCity]
    endorsements: list[PendingEndorsement]
    mentorships: list[MyMentorship]
    unread: int

    @property
    def represents_a_city(self) -> bool:
        return any(c.role == "representative" for c in self.cities)


# The statements of :func:`personal`, built once with parameters (building a statement and its cache key
# cost more than running it on these few rows); ``cities`` and ``ids`` are expanding lists.
_CITIES = bindparam("cities", expanding=True)


@cache
def _memberships_statement():
    return (select(CityMember).where(CityMember.user_id == bindparam("user_id"))
            .options(joinedload(CityMember.city)).order_by(CityMember.created_at, CityMember.city_id))


@cache
def _area_count_statement():
    return select(func.count(CapabilityArea.id)).where(CapabilityArea.active)


@cache
def _assessed_statement():
    return (select(Assessment.city_id, func.count(Assessment.id))
            .join(CapabilityArea, CapabilityArea.id == Assessment.area_id)
            .where(Assessment.city_id.in_(_CITIES), Assessment.is_current, CapabilityArea.active)
            .group_by(Assessment.city_id))


@cache
def _waiting_statement():
    return (select(Proposal).where(
        Proposal.state == "approved",
        or_(and_(Proposal.mentor_city_id.in_(_CITIES), Proposal.mentor_endorsed_at.is_(None)),
            and_(Proposal.mentee_city_id.in_(_CITIES), Proposal.mentee_endorsed_at.is_(None))))
        .options(joinedload(Proposal.mentor_city), joinedload(Proposal.mentee_city))
        .order_by(Proposal.decided_at, Proposal.id))


@cache
def _mine_statement():
    assigned = select(MentorshipMentor.mentorship_id).where(MentorshipMentor.user_id == bindparam("user_id"))
    return (select(Mentorship).where(
        Mentorship.state == "active",
        or_(Mentorship.mentor_city_id.in_(_CITIES), Mentorship.mentee_city_id.in_(_CITIES),
            Mentorship.id.in_(assigned)))
        .options(joinedload(Mentorship.mentor_city), joinedload(Mentorship.mentee_city),
                 selectinload(Mentorship.mentors))
        .order_by(Mentorship.start_date.desc(), Mentorship.id.desc()))


def personal(user: User, now: datetime | None = None) -> Personal:
    """What the signed-in ``user`` has to do or follow (6 queries)."""
    now = now or utcnow()
    memberships = list(db.session.scalars(_memberships_statement(), {"user_id": user.id}))
    city_ids = [m.city_id for m in memberships]
    represented = {m.city_id for m in memberships if m.role == "representative"}
    area_count = db.session.scalar(_area_count_statement()) or 0
    assessed = dict(db.session.execute(_assessed_statement(), {"cities": city_ids}).all()) if city_ids else {}
    cities = [MyCity(m.city, m.role, int(assessed.get(m.city_id, 0)), int(area_count)) for m in memberships]

    endorsements: list[PendingEndorsement] = []
    if represented:
        for proposal in db.session.scalars(_waiting_statement(), {"cities": sorted(represented)}):
            for side, city_id, stamp in (("mentor", proposal.mentor_city_id, proposal.mentor_endorsed_at),
                                         ("mentee", proposal.mentee_city_id, proposal.mentee_endorsed_at)):
                if city_id in represented and stamp is None:
                    endorsements.append(PendingEndorsement(proposal, side))

    mine = list(db.session.scalars(_mine_statement(), {"cities": city_ids, "user_id": user.id}))
    upcoming = _next_sessions([m.id for m in mine], now)
    mentorships = []
    for mentorship in mine:
        side = _side(user.id, set(city_ids), mentorship)
        zone = workspace.city_zone(workspace.city_of_side(mentorship, side))
        mentorships.append(MyMentorship(mentorship, side, upcoming.get(mentorship.id), zone))
    mentorships.sort(key=lambda m: (m.next_session is None,
                                    m.next_session.starts_at if m.next_session else now))

    unread, _messages = messages.unread_counts(user)  # the bell asks too: one query for both
    return Personal(cities, endorsements, mentorships, unread)


def _side(user_id: int, city_ids: set[int], mentorship: Mentorship) -> str:
    """Like :func:`mentorships.side_of`, from data already loaded (no query per mentorship)."""
    for assignment in mentorship.mentors:
        if assignment.user_id == user_id:
            return assignment.side
    if mentorship.mentor_city_id in city_ids:
        return "mentor"
    return "mentee"


@cache
def _next_sessions_statement():
    first = (
        select(MentoringSession.mentorship_id, func.min(MentoringSession.starts_at).label("starts_at"))
        .where(MentoringSession.mentorship_id.in_(bindparam("ids", expanding=True)),
               MentoringSession.held.is_(False), MentoringSession.starts_at >= bindparam("now"))
        .group_by(MentoringSession.mentorship_id)
        .subquery()
    )
    return (select(MentoringSession)
            .join(first, and_(first.c.mentorship_id == MentoringSession.mentorship_id,
                              first.c.starts_at == MentoringSession.starts_at))
            .where(MentoringSession.held.is_(False))
            .order_by(MentoringSession.id))


def _next_sessions(mentorship_ids: list[int], now: datetime) -> dict[int, MentoringSession]:
    """The first planned (not yet held) session to come of each mentorship, in one query."""
    if not mentorship_ids:
        return {}
    result: dict[int, MentoringSession] = {}
    for session in db.session.scalars(_next_sessions_statement(), {"ids": mentorship_ids, "now": now}):
        result.setdefault(session.mentorship_id, session)
    return result


# --- Coordinators ---------------------------------------------------------------------------

@dataclass
class RegionFigures:
    region: str
    verified: int = 0
    mentors: int = 0
    wanting: int = 0  # verified cities wanting a mentor
    active: int = 0  # active mentorships whose mentee city is in the region
    covered: int = 0  # cities wanting a mentor that have an active mentorship

    @property
    def coverage(self) -> float | None:
        return self.covered / self.wanting if self.wanting else None


@dataclass
class Overdue:
    mentorship: Mentorship
    goals: list[Goal]


@dataclass
class Programme:
    pending: int
    verified: int
    potential_mentors: int
    wanting_mentor: int
    active_mentorships: int
    rounds: list[MatchRound]
    stale: list[Proposal]
    silent: list[Mentorship]
    overdue: list[Overdue]
    regions: list[RegionFigures] = field(default_factory=list)

    @property
    def coverage(self) -> float | None:
        wanting = sum(r.wanting for r in self.regions)
        return sum(r.covered for r in self.regions) / wanting if wanting else None


@cache
def _figures_statements():
    """The programme's figures by region: cities by status, and active mentorships (built once)."""
    cities = select(
        City.region, City.status, func.count(City.id),
        func.sum(case((City.mentor_capacity > 0, 1), else_=0)),
        func.sum(case((City.wants_mentor, 1), else_=0)),
    ).group_by(City.region, City.status)
    wanting_covered = case((and_(City.status == "verified", City.wants_mentor), Mentorship.mentee_city_id),
                           else_=None)
    mentorships = (select(City.region, func.count(Mentorship.id), func.count(distinct(wanting_covered)))
                   .join(City, City.id == Mentorship.mentee_city_id)
                   .where(Mentorship.state == "active")
                   .group_by(City.region))
    rounds = (select(MatchRound).options(selectinload(MatchRound.commissions))
              .order_by(MatchRound.created_at.desc(), MatchRound.id.desc()).limit(LATEST_ROUNDS))
    return cities, mentorships, rounds


def programme(user: User, now: datetime | None = None) -> Programme:
    """The programme's health for a coordinator (a fixed number of queries)."""
    now = now or utcnow()
    regions = {key: RegionFigures(key) for key in REGIONS}
    pending = 0
    cities, mentorships, latest_rounds = _figures_statements()
    for region, status, n, mentors, wanting in db.session.execute(cities):
        if status == "pending":
            pending += n
        if status != "verified":
            continue
        figures = regions.setdefault(region, RegionFigures(region))
        figures.verified += n
        figures.mentors += int(mentors or 0)
        figures.wanting += int(wanting or 0)
    for region, active, covered in db.session.execute(mentorships):
        figures = regions.setdefault(region, RegionFigures(region))
        figures.active += int(active)
        figures.covered += int(covered)

    rounds = list(db.session.scalars(latest_rounds))
    stale = proposal_service.waiting_for_endorsement()
    silent = _listed(workspace.filtered_mentorships(user, state="active", silent=True, now=now))
    overdue = [
        Overdue(m, workspace.overdue_goals(m, now.date()))
        for m in _listed(workspace.filtered_mentorships(user, overdue=True, now=now), "goals")
    ]
    figures = [regions[key] for key in regions]
    return Programme(
        pending=pending,
        verified=sum(r.verified for r in figures),
        potential_mentors=sum(r.mentors for r in figures),
        wanting_mentor=sum(r.wanting for r in figures),
        active_mentorships=sum(r.active for r in figures),
        rounds=rounds, stale=stale, silent=silent, overdue=overdue, regions=figures,
    )


def _listed(filtered, *also: str) -> list[Mentorship]:
    """The mentorships of the workspace's ``filtered`` (statement, parameters) with what the home lists
    show: both cities (joined: one row each, no query more) and the relations named ``also``, not every
    session and goal the mentorships have — a silent mentorship of a year has hundreds of sessions."""
    statement, params = filtered
    return list(db.session.scalars(_listed_statement(statement, also), params))


@lru_cache(maxsize=16)
def _listed_statement(filtered, also: tuple):
    ids = filtered.with_only_columns(Mentorship.id).order_by(None)
    return (select(Mentorship).where(Mentorship.id.in_(ids))
            .options(joinedload(Mentorship.mentor_city), joinedload(Mentorship.mentee_city),
                     *(selectinload(getattr(Mentorship, name)) for name in also))
            .order_by(Mentorship.state, Mentorship.start_date.desc(), Mentorship.id.desc()))


def region_chart_data(figures: list[RegionFigures], labels: dict[str, str], texts: dict[str, str]) -> dict:
    """The JSON the home page's chart script reads (the table next to it shows the same numbers)."""
    return {
        "labels": [str(labels.get(r.region, r.region)) for r in figures],
        "active": [r.active for r in figures],
        "coverage": [round(r.coverage * 100, 1) if r.coverage is not None else None for r in figures],
        "texts": texts,
    }


__all__ = ["LIST_LIMIT", "Personal", "Programme", "personal", "programme", "region_chart_data"]
