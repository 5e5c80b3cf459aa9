"""Rank the eligible mentors of one mentee (for a manual match or a city's own request)."""

import numpy as np

from .exceptions import Infeasible, InvalidInput
from .params import MatchParams
from .reasons import make_pairs
from .records import read_participants
from .scoring import build_model

__all__ = ["suggest_mentors"]


def suggest_mentors(participants, mentee_id, params=None, k=5):
    """Rank the eligible mentors of one mentee, for a manual match.

    Every rule of ``params`` applies (languages, country, exclusions, minimum
    score); mentors with capacity 0 are not mentors. Remaining capacity in a
    current round is not known here.

    Parameters
    ----------
    participants : sequence of Participant or dict, or a JSON Lines path
    mentee_id : str
    params : MatchParams, optional
    k : int, default 5

    Returns
    -------
    list of Pair
        Best first (ties by mentor id).

    Examples
    --------
    >>> from matching import Participant
    >>> cities = [
    ...     Participant(id="lyon", name="Lyon", country="FR", languages=["fr"],
    ...                 maturity={"open_data": 4}, can_mentor=["open_data"], capacity=1),
    ...     Participant(id="dakar", name="Dakar", country="SN", languages=["fr"],
    ...                 need={"open_data": 3})]
    >>> [p.mentor for p in suggest_mentors(cities, "dakar")]
    ['lyon']
    """
    participants = read_participants(participants)
    params = params or MatchParams()
    if mentee_id not in {p.id for p in participants}:
        raise InvalidInput(f"no participant has id {mentee_id!r}", field="mentee_id")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidInput(f"must be a whole number >= 1, got {k!r}", field="k")
    try:
        model = build_model(participants, params, mentee_ids={mentee_id})
    except Infeasible:
        return []
    score, ok = model.block(0, model.n_mentors)
    rows = np.flatnonzero(ok[:, 0])
    ids = [participants[model.mentors[i]].id for i in rows]
    order = sorted(range(len(rows)), key=lambda e: (-float(score[rows[e], 0]), ids[e]))[:k]
    rows = rows[order]
    pairs = make_pairs(model, params, rows, np.zeros(len(rows), dtype=np.int64))
    return sorted(pairs, key=lambda p: (-p.score, p.mentor))
