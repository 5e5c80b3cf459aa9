"""Pair scores: mentor strength where the mentee needs it, text relevance, context.

For a mentor ``i`` and a mentee ``j``::

    complementarity = sum_a need[j, a] * max(0, teach[i, a] - maturity[j, a])
                      / sum_a need[j, a] * (4 - maturity[j, a])
    text            = max(0, cos(needs_text[j], practices[i]))
    context         = 0.5 * same_region + 0.5 * population_similarity
    score           = priority[j] * (w_c * complementarity + w_t * text + w_x * context)

``teach`` is the mentor's maturity in the areas it can mentor in at level 3-4, else
0. Complementarity is the share of the mentee's weighted capability gap that the
mentor can close; it is one matrix product over threshold features
(:class:`~matching.features.LevelThresholds`), so all pairs are scored with BLAS,
block by block to bound memory.
"""

import dataclasses

import numpy as np

from .features import N_LEVELS, CityFeatures
from .exceptions import Infeasible

__all__ = ["ScoringModel", "build_model", "COMPONENTS"]

COMPONENTS = ("complementarity", "text", "context")

# The rules a pair must pass, in the order used to explain an ineligible mentee.
RULES = ("needs", "language", "country", "exclusion", "min_score")


@dataclasses.dataclass
class ScoringModel:
    """Everything needed to score and check mentor x mentee pairs of one round.

    Built by :func:`build_model`; rows are mentors, columns are mentees, both
    indexing into ``participants``.
    """

    participants: list
    params: object
    features: CityFeatures
    mentors: np.ndarray          # participant index of each mentor
    mentees: np.ndarray          # participant index of each mentee
    capacity: np.ndarray         # int64, per mentor
    demand: np.ndarray           # int64, per mentee
    teach_thr: np.ndarray        # (n_mentors, 4A) float32
    gap_thr: np.ndarray          # (n_mentees, 4A) float32, need-weighted and normalised
    practices: np.ndarray        # (n_mentors, d)
    needs_text: np.ndarray       # (n_mentees, d)
    ctx_left: np.ndarray
    ctx_right: np.ndarray
    lang_left: np.ndarray        # (n_mentors, n_languages) float32 indicators
    lang_right: np.ndarray
    country_left: np.ndarray     # int codes
    country_right: np.ndarray
    priority: np.ndarray         # float64, per mentee
    excluded: np.ndarray         # int64 keys mentor * n_mentees + mentee, sorted
    raw: np.ndarray              # (n_participants, n_features) features of everybody

    @property
    def n_mentors(self):
        return len(self.mentors)

    @property
    def n_mentees(self):
        return len(self.mentees)

    def block(self, start, stop, cols=None):
        """Scores and eligibility for mentors ``start:stop`` against mentees ``cols``.

        Returns
        -------
        score : ndarray of float32, shape (stop - start, n_cols)
        eligible : ndarray of bool, same shape

        Cost O(rows * cols * (4A + d + c)) in BLAS.
        """
        p = self.params
        cols = slice(None) if cols is None else cols
        w = p.weights
        comp = self.teach_thr[start:stop] @ self.gap_thr[cols].T
        score = comp * np.float32(w["complementarity"])
        if w["text"] > 0 and self.practices.shape[1]:
            text = self.practices[start:stop] @ self.needs_text[cols].T
            np.maximum(text, 0, out=text)
            score += np.float32(w["text"]) * text
        if w["context"] > 0:
            score += np.float32(w["context"]) * (self.ctx_left[start:stop] @ self.ctx_right[cols].T)
        score *= self.priority[cols].astype(np.float32)[None, :]
        eligible = comp > 0
        if p.require_shared_language:
            eligible &= (self.lang_left[start:stop] @ self.lang_right[cols].T) > 0
        if not p.allow_same_country:
            eligible &= self.country_left[start:stop, None] != self.country_right[None, cols]
        if p.min_score > 0:
            eligible &= score >= np.float32(p.min_score)
        if len(self.excluded) and isinstance(cols, slice) and cols == slice(None):
            n = self.n_mentees
            lo, hi = np.searchsorted(self.excluded, [start * n, stop * n])
            keys = self.excluded[lo:hi]
            eligible[keys // n - start, keys % n] = False
        elif len(self.excluded):
            n = self.n_mentees
            lo, hi = np.searchsorted(self.excluded, [start * n, stop * n])
            keys = self.excluded[lo:hi]
            where = np.full(n, -1, dtype=np.int64)
            where[np.arange(n)[cols]] = np.arange(eligible.shape[1])
            at = where[keys % n]
            sel = at >= 0
            eligible[keys[sel] // n - start, at[sel]] = False
        return score, eligible

    def pair_components(self, i, j):
        """Float64 components of pair (mentor ``i``, mentee ``j``) (index arrays).

        Returns a dict of arrays that sum to the score, and the per-area
        contributions ``need * gap`` (shape (n, A)) used to explain the pair.
        """
        f = self.features.feature_slices_
        raw = self.raw.astype(np.float64)
        li, lj = self.mentors[i], self.mentees[j]
        teach = raw[li][:, f["teach"]]
        mat = raw[lj][:, f["maturity"]]
        need = raw[lj][:, f["need"]]
        contrib = need * np.maximum(0.0, teach - mat)
        denom = np.sum(need * (N_LEVELS - mat), axis=1)
        comp = np.divide(contrib.sum(axis=1), denom, out=np.zeros(len(li)), where=denom > 0)
        text = np.maximum(0.0, np.sum(raw[li][:, f["practices"]] * raw[lj][:, f["needs_text"]], axis=1))
        ctx = np.sum(raw[li][:, f["context"]] * raw[lj][:, f["context"]], axis=1)
        w, prio = self.params.weights, self.priority[j]
        parts = {"complementarity": prio * w["complementarity"] * comp,
                 "text": prio * w["text"] * text,
                 "context": prio * w["context"] * ctx}
        return parts, contrib

    def rule_counts(self, j):
        """For mentee ``j``, how many mentors pass each rule cumulatively (see RULES)."""
        p = self.params
        comp = self.teach_thr @ self.gap_thr[j]
        ok = (comp > 0) & (self.mentees[j] != self.mentors)
        counts = {"needs": int(ok.sum())}
        if p.require_shared_language:
            ok &= (self.lang_left @ self.lang_right[j]) > 0
        counts["language"] = int(ok.sum())
        if not p.allow_same_country:
            ok &= self.country_left != self.country_right[j]
        counts["country"] = int(ok.sum())
        if len(self.excluded):
            keys = np.arange(self.n_mentors) * self.n_mentees + j
            ok &= ~np.isin(keys, self.excluded)
        counts["exclusion"] = int(ok.sum())
        if p.min_score > 0:
            score, _ = self.block(0, self.n_mentors, cols=np.asarray([j]))
            ok &= score[:, 0] >= np.float32(p.min_score)
        counts["min_score"] = int(ok.sum())
        return counts


def build_model(participants, params, mentee_ids=None):
    """Fit the features of a round and prepare the scoring arrays.

    Parameters
    ----------
    participants : list of Participant
    params : MatchParams
    mentee_ids : collection of str or None
        Mentees to consider instead of every city with ``wants_mentor``.

    Returns
    -------
    ScoringModel

    Raises
    ------
    Infeasible
        When the round has no potential mentor or no potential mentee.
    """
    mentors = np.asarray([i for i, p in enumerate(participants)
                          if p.is_mentor], dtype=np.int64)
    mentees = np.asarray([i for i, p in enumerate(participants)
                          if (p.is_mentee if mentee_ids is None else p.id in mentee_ids)], dtype=np.int64)
    if len(mentees) == 0:
        raise Infeasible("no city asks for a mentor (set wants_mentor to true for mentees)")
    if len(mentors) == 0:
        raise Infeasible("no city can mentor: a mentor needs capacity > 0 and a can_mentor area "
                         "where its maturity is 3 or 4")
    features = CityFeatures(random_state=params.random_state).fit(participants)
    raw = features.transform(participants)
    f = features.feature_slices_
    teach, mat, need = raw[:, f["teach"]], raw[:, f["maturity"]], raw[:, f["need"]]
    teach_thr = np.hstack([(teach[mentors] >= t) for t in range(1, N_LEVELS + 1)]).astype(np.float32)
    denom = np.sum(need[mentees] * (N_LEVELS - mat[mentees]), axis=1, keepdims=True)
    scale = np.divide(1.0, denom, out=np.zeros_like(denom), where=denom > 0)
    gap_thr = np.hstack([need[mentees] * (mat[mentees] < t) * scale
                         for t in range(1, N_LEVELS + 1)]).astype(np.float32)
    languages = sorted({lang for p in participants for lang in p.languages})
    lcol = {lang: k for k, lang in enumerate(languages)}
    lang = np.zeros((len(participants), max(len(languages), 1)), dtype=np.float32)
    for i, p in enumerate(participants):
        for code in p.languages:
            lang[i, lcol[code]] = 1.0
    countries = {c: k for k, c in enumerate(sorted({p.country for p in participants}))}
    country = np.asarray([countries[p.country] for p in participants], dtype=np.int64)
    index = {p.id: i for i, p in enumerate(participants)}
    mentor_pos = np.full(len(participants), -1)
    mentor_pos[mentors] = np.arange(len(mentors))
    mentee_pos = np.full(len(participants), -1)
    mentee_pos[mentees] = np.arange(len(mentees))
    from .graph import exclusion_graph
    keys = []
    for a, b in exclusion_graph(participants).edges():
        ia, ib = index[a], index[b]
        for x, y in ((ia, ib), (ib, ia)):
            if mentor_pos[x] >= 0 and mentee_pos[y] >= 0:
                keys.append(mentor_pos[x] * len(mentees) + mentee_pos[y])
    for i in np.intersect1d(mentors, mentees):     # never paired with itself
        keys.append(mentor_pos[i] * len(mentees) + mentee_pos[i])
    capacity = np.asarray([participants[i].capacity for i in mentors], dtype=np.int64)
    return ScoringModel(
        participants=participants, params=params, features=features,
        mentors=mentors, mentees=mentees, capacity=capacity,
        demand=np.full(len(mentees), params.mentors_per_mentee, dtype=np.int64),
        teach_thr=teach_thr, gap_thr=gap_thr,
        practices=np.ascontiguousarray(raw[mentors][:, f["practices"]]),
        needs_text=np.ascontiguousarray(raw[mentees][:, f["needs_text"]]),
        ctx_left=np.ascontiguousarray(raw[mentors][:, f["context"]]),
        ctx_right=np.ascontiguousarray(raw[mentees][:, f["context"]]),
        lang_left=lang[mentors], lang_right=lang[mentees],
        country_left=country[mentors], country_right=country[mentees],
        priority=np.asarray([participants[i].priority for i in mentees], dtype=np.float64),
        excluded=np.unique(np.asarray(keys, dtype=np.int64)), raw=raw)
