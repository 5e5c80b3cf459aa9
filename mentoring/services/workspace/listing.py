"""The list of mentorships (``/mentorships/``) a page at a time, each row's figures summed in SQL.

A mentorship of two years has a hundred sessions: the list asks the database for each row's sessions
held, hours, last held session and overdue goals (correlated aggregates), never loads the sessions, and
runs statements built once per kind of filter with the user, state and moment bound.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import joinedload

from mentoring.extensions import db
from mentoring.models import Goal, MentoringSession, Mentorship, User
from mentoring.services.workspace.reminders import (
    filter_kind,
    filter_params,
    filtered_statement,
    last_held_column,
    overdue_goal,
    went_silent,
)

S = MentoringSession


@dataclass(frozen=True)
class ListedMentorship:
    mentorship: Mentorship
    sessions_held: int
    hours: float
    last: datetime | None  # the start of the last held session
    silent: bool
    overdue: int  # open goals past their date


@lru_cache(maxsize=32)
def _page_statement(filters: tuple):
    def of_this(*conditions):
        return and_(S.mentorship_id == Mentorship.id, *conditions)

    held = select(func.count()).where(of_this(S.held)).scalar_subquery()
    minutes = select(func.coalesce(func.sum(S.duration_minutes), 0)).where(of_this(S.held)).scalar_subquery()
    last = last_held_column()
    overdue = select(func.count()).where(Goal.mentorship_id == Mentorship.id,
                                         overdue_goal(bindparam("today"))).scalar_subquery()
    return (filtered_statement(*filters).add_columns(held, minutes, last, overdue)
            .options(joinedload(Mentorship.mentor_city), joinedload(Mentorship.mentee_city))
            .limit(bindparam("limit")).offset(bindparam("offset")))


@lru_cache(maxsize=32)
def _count_statement(filters: tuple):
    ids = filtered_statement(*filters).with_only_columns(Mentorship.id).order_by(None).subquery()
    return select(func.count()).select_from(ids)


class MentorshipPage(Pagination):
    """One page of the list (Flask-SQLAlchemy's pager; the page number from ``?page=``)."""

    def __init__(self, filters: tuple, params: dict, now: datetime, per_page: int):
        super().__init__(page=None, per_page=per_page, max_per_page=None, error_out=False,
                         filters=filters, params=params, now=now)

    def _query_items(self) -> list[ListedMentorship]:
        args = self._query_args
        rows = db.session.execute(_page_statement(args["filters"]),
                                  {**args["params"], "limit": self.per_page, "offset": self._query_offset})
        return [ListedMentorship(m, int(held), round(int(minutes) / 60, 1), last,
                                 went_silent(m, last, args["now"]), int(overdue))
                for m, held, minutes, last, overdue in rows]

    def _query_count(self) -> int:
        args = self._query_args
        return int(db.session.scalar(_count_statement(args["filters"]), args["params"]))


def mentorship_page(user: User, *, state: str | None, silent: bool, overdue: bool, now: datetime,
                    per_page: int = 25) -> MentorshipPage:
    """The page of the mentorships ``user`` sees (all for coordinators), filtered, newest first."""
    return MentorshipPage(filter_kind(user, state, silent, overdue), filter_params(user, state, now), now, per_page)
