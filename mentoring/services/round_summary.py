"""A round's summary for its page, computed once per state of the round and kept until a write changes it.

The summary: the round's proposals by state (the state filter's counts and the pager's total), the stated
preferences its pairs honour (:func:`mentoring.services.preferences.met`) and the mentees left without a
mentor with their reasons (:func:`mentoring.services.unmatched.unmatched_reasons`). Computing the last two
reads every pair and every unmatched mentee of the round: for a 2,000-city round that was most of the
page's time on every request.

It is kept per process (:class:`mentoring.cache.Memo`) under a key read in two queries of aggregates that
any write changing the figures changes:

- per state, the number of the round's proposals and their largest id (a decision moves a proposal to a
  state further down ``proposed → approved → endorsed | declined | expired``, ``proposed → rejected``, so
  the counts never come back to an earlier value; a manual match or a run adds rows with new ids);
- the round's creation time and ``version`` (a run replaces undecided proposals and rewrites the unmatched
  list; a round deleted and its id reused has another creation time);
- the stated preferences' fingerprint (count, largest key, newest write, sum of versions).

The "preferences met" figures also read the region and languages of the cities involved: one more query
checks the sum of those cities' versions (every update of a city, languages included, increments it).
The summary holds ids and numbers only; the page loads the cities of the rows it shows.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from mentoring import cache
from mentoring.extensions import db
from mentoring.models import City, CityPreference, MatchRound, Proposal
from mentoring.services import preferences, unmatched
from mentoring.services.proposal_filters import LIVE_STATES, TRANSITIONS

STATES = tuple(TRANSITIONS)
_memo = cache.Memo(maxsize=64)


@dataclass(frozen=True)
class Summary:
    by_state: dict[str, int]
    met: preferences.MetReport
    #: ``(mentee city id, reason)`` by name: every mentee of the round without a live pair.
    unmatched: tuple[tuple[int, dict], ...]
    #: The sum of the versions of the cities ``met`` read, when it was computed.
    cities_version: int
    #: The stated preferences' fingerprint it was computed under (the rows' explanations name them too).
    preferences: tuple

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def _key(round_: MatchRound) -> tuple:
    """``(database, round, its version, (state, count, largest id) per state, preferences' fingerprint)``."""
    by_state = tuple(sorted(tuple(row) for row in db.session.execute(
        select(Proposal.state, func.count(), func.max(Proposal.id))
        .where(Proposal.round_id == round_.id).group_by(Proposal.state))))
    return (cache.database_key(), round_.id, round_.created_at, round_.version, by_state,
            cache.fingerprint(CityPreference))


def _cities_version(city_ids) -> int:
    if not city_ids:
        return 0
    return int(db.session.scalar(select(func.coalesce(func.sum(City.version), 0))
                                 .where(City.id.in_(sorted(city_ids)))) or 0)


def _compute(round_: MatchRound, key: tuple) -> Summary:
    counts = {state: int(count) for state, count, _largest in key[4]}
    by_state = {state: counts.get(state, 0) for state in STATES}
    pairs = db.session.execute(select(Proposal.mentor_city_id, Proposal.mentee_city_id).where(
        Proposal.round_id == round_.id, Proposal.state.in_(LIVE_STATES))).all()
    mentees = [int(u["mentee"]) for u in (round_.unmatched or []) if str(u.get("mentee", "")).isdigit()]
    met = preferences.met(pairs, mentees)
    return Summary(by_state, met, tuple(unmatched.unmatched_reasons(round_)), _cities_version(met.depends_on),
                   preferences=key[-1])


def summary(round_: MatchRound) -> Summary:
    """The round's summary: two small queries when it is kept, computed again after any change."""
    key = _key(round_)
    kept = _memo.get_or_compute(key, lambda: _compute(round_, key))
    if kept.met.depends_on:
        version = _cities_version(kept.met.depends_on)
        if version != kept.cities_version:  # a city it read changed (region, languages): computed again
            kept = _memo.get_or_compute((key, version), lambda: _compute(round_, key))
    return kept


def clear() -> None:
    """Forget every kept summary (tests)."""
    _memo.clear()
