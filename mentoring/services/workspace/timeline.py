"""The workspace's sessions a page at a time: what is coming up, the log newest first, filters.

A mentorship that meets every week has a hundred sessions after two years; the workspace shows the
next few planned ones and the last logged ones, and older sessions a page at a time (``?page=``),
or one kind of session (``?sessions=upcoming|held|to_log|cancelled|all``). The page costs the same
queries whatever the number of sessions: one of aggregates (the totals, each kind's count, the last
held session), one for the sessions coming up and one for the page of the log.

What the page only shows is read as rows (attribute access like the models: ``s.starts_at``), by
statements built once per process (:func:`.reads.prepared`): building an ORM query and loading its
objects cost more than running it on these small tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, bindparam, case, func, not_, select
from sqlalchemy.engine import Row

from mentoring.models import MentoringSession
from mentoring.services.workspace.reads import prepared, read
from mentoring.services.workspace.sessions import Totals

#: The filters of the sessions list, in the order the page offers them ("" is the default view).
SESSION_VIEWS = ("", "upcoming", "held", "to_log", "cancelled", "all")
UPCOMING_SHOWN = 3  # planned sessions shown above the log on the workspace's first page
PER_PAGE = 10

S = MentoringSession


def _conditions() -> dict[str, object]:
    """Each view's condition on the sessions, ``now`` a bound parameter."""
    planned = and_(not_(S.held), S.cancelled_at.is_(None))
    upcoming = and_(planned, S.starts_at > bindparam("now"))
    return {
        "upcoming": upcoming,
        "held": S.held,
        "to_log": and_(planned, S.starts_at <= bindparam("now")),
        "cancelled": S.cancelled_at.is_not(None),
        "all": None,
        "": not_(upcoming),  # the log under the sessions coming up: held, past, cancelled
    }


@dataclass(frozen=True)
class SessionCounts(Totals):
    """The workspace's totals and the number of sessions of each kind."""

    upcoming: int = 0
    to_log: int = 0
    cancelled: int = 0
    all: int = 0
    last_held_at: datetime | None = None

    def of(self, view: str) -> int:
        """The number of sessions a view lists (the default view: the log under what is coming up)."""
        if view == "held":
            return self.sessions_held
        if view in ("upcoming", "to_log", "cancelled", "all"):
            return getattr(self, view)
        return self.all - self.upcoming


@prepared
def _counts_statement():
    where = _conditions()

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return select(
        count(S.held),
        func.coalesce(func.sum(case((S.held, S.duration_minutes), else_=0)), 0),
        count(and_(S.held, S.format == "study_visit")),
        count(and_(not_(S.held), S.cancelled_at.is_(None))),
        count(where["upcoming"]),
        count(where["to_log"]),
        count(where["cancelled"]),
        func.count(),
        func.max(case((S.held, S.starts_at))),
    ).where(S.mentorship_id == bindparam("mentorship_id"))


def session_counts(mentorship_id: int, now: datetime) -> SessionCounts:
    """Totals and counts of a mentorship's sessions, in one query of aggregates."""
    held, minutes, visits, planned, upcoming, to_log, cancelled, total, last = read(
        _counts_statement(), mentorship_id=mentorship_id, now=now).one()
    return SessionCounts(sessions_held=int(held), hours=round(int(minutes) / 60, 1), study_visits=int(visits),
                         planned=int(planned), upcoming=int(upcoming), to_log=int(to_log),
                         cancelled=int(cancelled), all=int(total), last_held_at=last)


@prepared
def _page_statements() -> dict[str, object]:
    """``{view: statement}``: a page of the view's sessions (``limit``/``offset`` bound)."""
    statements = {}
    for view, condition in _conditions().items():
        statement = select(*S.__table__.c).where(S.mentorship_id == bindparam("mentorship_id"))
        if condition is not None:
            statement = statement.where(condition)
        order = (S.starts_at, S.id) if view == "upcoming" else (S.starts_at.desc(), S.id.desc())
        statements[view] = statement.order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
    return statements


class SessionPage(Pagination):
    """One page of a view of the sessions (Flask-SQLAlchemy's pager over rows); ``upcoming``: the
    planned sessions shown above it on the default view's first page."""

    def __init__(self, mentorship_id: int, counts: SessionCounts, view: str, page: int, per_page: int,
                 now: datetime):
        self.view, self.upcoming = view, []
        super().__init__(page=page, per_page=per_page, max_per_page=None, error_out=False,
                         counts=counts, params={"mentorship_id": mentorship_id, "now": now})
        if view == "" and self.page == 1 and counts.upcoming:
            self.upcoming = read(_page_statements()["upcoming"], **self._query_args["params"],
                                 limit=UPCOMING_SHOWN, offset=0).all()

    def _query_items(self) -> list[Row]:
        if not self._query_count():
            return []
        return read(_page_statements()[self.view], **self._query_args["params"], limit=self.per_page,
                    offset=self._query_offset).all()

    def _query_count(self) -> int:
        return self._query_args["counts"].of(self.view)


def session_page(mentorship_id: int, counts: SessionCounts, *, view: str = "", page: int = 1,
                 now: datetime, per_page: int = PER_PAGE) -> SessionPage:
    """The sessions of ``view`` on ``page`` (beyond the last page: the last page), as rows.

    Planned sessions to come are listed soonest first; every other list newest first.
    """
    view = view if view in SESSION_VIEWS else ""
    last = max(1, -(-counts.of(view) // per_page))
    return SessionPage(mentorship_id, counts, view, min(max(1, page), last), per_page, now)
