"""The demo programme's history: two finished rounds and a dozen closed mentorships with outcomes, so
the programme pages (network, outcomes, study, library) have something to show."""
from __future__ import annotations

import random
from datetime import UTC

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    City,
    Commission,
    MatchRound,
    Proposal,
    User,
)
from mentoring.services.demo import DemoSummary, area_name
from mentoring.services.demo_data import (
    DEMO_CITIES,
    DEMO_DOMAIN,
    DEMO_HISTORY,
    DEMO_MEMBERS_SINCE,
    DEMO_NOTE,
    DEMO_WITHDRAW_REASON,
)

# --- Demo history: two finished rounds and a dozen closed mentorships with outcomes -------------------

def add_history(summary: DemoSummary) -> None:
    """Two finished rounds whose mentorships are closed, with sessions, goals, feedback, re-assessments
    and Peer-Learning Notes, so the programme pages (network, outcomes, study, library) have a history.

    Built directly on the models with fixed dates and a fixed seed: the same history on every fresh load.
    """
    from datetime import datetime, timedelta

    from mentoring.models import (
        CapabilityArea,
        Feedback,
        Goal,
        LearningNote,
        MentoringSession,
        Mentorship,
        NotePublication,
        RoundCommission,
    )

    coordinator = db.session.scalar(select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
    by_name = {name: summary.city_ids[(name, country)] for name, country, _m, _l in DEMO_CITIES}
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(by_name.values())))}
    areas = {a.id: a for a in db.session.scalars(select(CapabilityArea))}
    assessments = list(db.session.scalars(select(Assessment).where(Assessment.city_id.in_(by_name.values()))))
    levels = {(a.city_id, areas[a.area_id].key): a for a in assessments}
    rng = random.Random(2025)

    def at(day: str, hour: int = 9) -> datetime:
        return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)

    # Membership and first assessments are dated before the history (one late joiner per six cities).
    joined = at(DEMO_MEMBERS_SINCE)
    in_history = {by_name[n] for _r, _d, pairs in DEMO_HISTORY for pair in pairs for n in pair[:2]}
    late = {city_id for i, city_id in enumerate(sorted(cities)) if i % 6 == 5 and city_id not in in_history}
    for city in cities.values():
        if city.status == "verified":
            city.verified_at = at("2026-03-02") if city.id in late else joined
    for a in assessments:
        a.assessed_at = at("2026-03-02") if a.city_id in late else joined

    commission = db.session.scalar(select(Commission).where(Commission.key == "digital_cities"))
    taken: set[tuple[int, str]] = set()  # (mentee, area): one mentorship per area, so histories stay linear
    for number, (name, day, pairs) in enumerate(DEMO_HISTORY):
        created = at(day)
        round_ = MatchRound(name=name, regions=[], params={}, seed=2025 + number, status="done", progress=1.0,
                            metrics=_history_metrics(pairs, cities, by_name), unmatched=[],
                            created_by_id=coordinator.id if coordinator else None, created_at=created,
                            started_at=created, finished_at=created,
                            progress_at=created)
        if commission is not None:
            round_.commissions = [RoundCommission(commission_id=commission.id)]
        db.session.add(round_)
        db.session.flush()
        for index, (mentor_name, mentee_name, state) in enumerate(pairs):
            mentor, mentee = cities[by_name[mentor_name]], cities[by_name[mentee_name]]
            ranked = sorted(areas.values(), key=lambda a: (
                -(levels[(mentor.id, a.key)].maturity >= 3) * levels[(mentee.id, a.key)].need,
                -levels[(mentor.id, a.key)].maturity, a.position))
            focus = [a.key for a in ranked if (mentee.id, a.key) not in taken][:2]
            taken.update((mentee.id, key) for key in focus)
            decided = created + timedelta(days=4 + index)
            start = (decided + timedelta(days=10)).date()
            proposal = Proposal(round_id=round_.id, mentor_city_id=mentor.id, mentee_city_id=mentee.id, areas=focus,
                                score=round(0.9 - index * 0.04, 2), components={}, explanation="", state="endorsed",
                                decided_by_id=coordinator.id if coordinator else None, decided_at=decided,
                                mentor_endorsed_at=decided + timedelta(days=2),
                                mentee_endorsed_at=decided + timedelta(days=3), created_at=created)
            db.session.add(proposal)
            db.session.flush()
            months = 2 if state == "withdrawn" else 6 + index % 2
            closed = at((start + timedelta(days=30 * months)).isoformat(), 16)
            mentorship = Mentorship(proposal_id=proposal.id, mentor_city_id=mentor.id, mentee_city_id=mentee.id,
                                    areas=focus, start_date=start, planned_end=start + timedelta(days=365 // 2 + 30),
                                    state=state, closed_at=closed,
                                    created_by_id=coordinator.id if coordinator else None,
                                    created_at=at(start.isoformat(), 8),
                                    withdraw_reason=DEMO_WITHDRAW_REASON if state == "withdrawn" else None,
                                    outcome=None if state == "withdrawn" else
                                    f"{mentee.name} adopted a roadmap for {focus[0].replace('_', ' ')}.")
            db.session.add(mentorship)
            db.session.flush()
            # Sessions: monthly calls, one study visit; the first one week after the start.
            count = 2 if state == "withdrawn" else 5 + index % 2
            for n in range(count):
                visit = state == "completed" and n == 2
                when = at((start + timedelta(days=7 + 30 * n)).isoformat(), 13)
                db.session.add(MentoringSession(
                    mentorship_id=mentorship.id, starts_at=when, timezone="UTC",
                    duration_minutes=480 if visit else rng.choice((60, 75, 90)),
                    format="study_visit" if visit else "video", held=True, areas=focus,
                    travel=f"{mentee.name} → {mentor.name}" if visit else None,
                    notes="Progress review and next steps.", created_at=when))
            for n, key in enumerate(focus):
                achieved = state == "completed" and (n == 0 or index % 3 != 1)
                # A closed mentorship says what became of each goal (the close-out asks).
                status = "achieved" if achieved else "partly" if state == "completed" else "dropped"
                db.session.add(Goal(mentorship_id=mentorship.id, area_key=key, progress=100 if achieved else 40,
                                    statement=f"A first city-wide step in {key.replace('_', ' ')}",
                                    status=status, created_at=at(start.isoformat())))
            for city in (mentor, mentee):
                rating = 2 if state == "withdrawn" else rng.choice((4, 4, 5, 5, 3))
                db.session.add(Feedback(mentorship_id=mentorship.id, city_id=city.id, at_close=True,
                                        fit="poor" if state == "withdrawn" else "good", rating=rating,
                                        comment="", created_at=closed))
            if state == "completed":
                for key in focus:  # the mentee's re-assessment at the close (history kept)
                    current = levels[(mentee.id, key)]
                    level = min(current.maturity + 1 + (index % 2), 4)
                    current.is_current = False
                    db.session.flush()
                    levels[(mentee.id, key)] = Assessment(
                        city_id=mentee.id, area_id=current.area_id, maturity=level, need=max(current.need - 1, 0),
                        can_mentor=False, evidence=f"Re-assessed at the close of mentorship #{mentorship.id}.",
                        is_current=True, assessed_at=closed)
                    db.session.add(levels[(mentee.id, key)])
                    db.session.flush()
                area_label = area_name(next(a for a in areas.values() if a.key == focus[0]), "en")
                note = LearningNote(mentorship_id=mentorship.id, published_at=closed + timedelta(days=14),
                                    markdown=DEMO_NOTE.format(mentor=mentor.name, mentee=mentee.name, area=area_label))
                db.session.add(note)
                db.session.flush()
                # Written in English; both cities agreed to make every other note public.
                agreed = index % 2 == 0
                db.session.add(NotePublication(note_id=note.id, language="en",
                                               mentor_consent_at=closed + timedelta(days=15) if agreed else None,
                                               mentee_consent_at=closed + timedelta(days=16) if agreed else None))
            summary.history.append(f"{mentor.name} → {mentee.name} ({state})")
    db.session.flush()


def _history_metrics(pairs, cities, by_name) -> dict:
    """Round metrics in the engine's shape (the round pages show them) for a demo history round."""
    mentors = {m for m, _e, _s in pairs}
    mentees = {e for _m, e, _s in pairs}
    regions = sorted({cities[by_name[e]].region for e in mentees})
    return {"objective_name": "max_coverage", "objective": float(len(pairs)), "upper_bound": float(len(pairs)),
            "certified": True, "total_score": float(len(pairs)), "n_pairs": len(pairs), "n_mentors": len(mentors),
            "n_mentees": len(mentees), "n_matched_mentees": len(mentees), "coverage": 1.0,
            "coverage_by_region": dict.fromkeys(regions, 1.0), "coverage_by_priority": {"1": 1.0},
            "mentor_load": {"mean": round(len(pairs) / len(mentors), 2), "max": 1, "n_used": len(mentors),
                            "n_full": 0, "utilisation": 1.0},
            "solve_time": 0.0, "total_time": 0.0}
