"""Cities' stated preferences: a small, bounded bonus on a pair's score, and weighted needs.

A participant may state ``prefer`` (ids of partner cities it would like), ``prefer_regions``,
``prefer_languages`` (best first) and ``focus`` (area keys, most wanted first). Cities to avoid
are not a preference: they are hard exclusions, passed in ``exclude`` (both ways).

For a mentor ``i`` and a mentee ``j``, each kind ``k`` of preference gives a value in [0, 1]::

    value_k = 0.5 * (what j stated about i) + 0.5 * (what i stated about j)
    partner:  1 when the other city's id is in ``prefer``
    region:   1 when the other city's region is in ``prefer_regions``
    language: sum of the rank weights of the other city's languages in ``prefer_languages``,
              weights (n, n-1, ..., 1) / (n (n+1) / 2): 1 when it speaks them all, the first counts most

so one city's wish counts half and a mutual wish counts fully, and::

    preference_k = priority[j] * w_k * value_k       (score component ``preference_<k>``)
    0 <= sum_k preference_k <= priority[j] * (w_partner + w_region + w_language)

with ``w = MatchParams.preference_weights``; their sum may not exceed the complementarity weight
(checked by :class:`~matching.params.MatchParams`), so a stated wish never outweighs a clearly
better fit of strengths and needs. ``focus`` multiplies the mentee's need in its r-th focus area
(0-based, of n) by ``1 + w_focus * (n - r) / n`` in both terms of the complementarity ratio: it
stays a share in [0, 1] but counts the areas the city wants most more.

The bonus is one small matrix product (regions and languages, as indicator columns) plus a sparse
list of (mentor, mentee) partner wishes, added to each block of scores, so pruning, pricing and
the optimality certificate see exactly the scores the solver optimises.
"""

import dataclasses

import numpy as np

__all__ = ["COMPONENT_PREFIX", "KINDS", "PreferenceModel", "build_preferences"]

KINDS = ("partner", "region", "language")
COMPONENT_PREFIX = "preference_"


def _stated(p):
    return bool(p.prefer or p.prefer_regions or p.prefer_languages or p.focus)


def _rank_weights(codes):
    n = len(codes)
    total = n * (n + 1) / 2
    return {code: (n - r) / total for r, code in enumerate(codes)}


@dataclasses.dataclass
class PreferenceModel:
    """Arrays adding the preference bonus to a block of mentor x mentee scores."""

    left: np.ndarray            # (n_mentors, q) float32
    right: np.ndarray           # (n_mentees, q) float32, weighted, times priority
    kind_cols: dict             # kind -> column slice of left/right
    partner_keys: np.ndarray    # int64 keys mentor * n_mentees + mentee, sorted
    partner_values: np.ndarray  # float32 bonus of each key (weighted, times priority)
    need_weight: np.ndarray     # (n_mentees, A) float64 multipliers of the need, or None
    bound: float                # the largest bonus of any pair, divided by its priority

    def add(self, score, start, stop, cols, n_mentees, tmp=None):
        """Add the bonus of mentors ``start:stop`` x mentees ``cols`` to ``score`` in place."""
        if self.left.shape[1]:
            score += np.matmul(self.left[start:stop], self.right[cols].T, out=tmp)
        if len(self.partner_keys):
            lo, hi = np.searchsorted(self.partner_keys, [start * n_mentees, stop * n_mentees])
            keys, values = self.partner_keys[lo:hi], self.partner_values[lo:hi]
            if isinstance(cols, slice) and cols == slice(None):
                np.add.at(score, (keys // n_mentees - start, keys % n_mentees), values)
            else:
                where = np.full(n_mentees, -1, dtype=np.int64)
                where[np.arange(n_mentees)[cols]] = np.arange(score.shape[1])
                at = where[keys % n_mentees]
                sel = at >= 0
                np.add.at(score, (keys[sel] // n_mentees - start, at[sel]), values[sel])

    def columns(self, cols):
        """The model restricted to mentees ``cols`` (an index array), as scoring views are."""
        cols = np.asarray(cols, dtype=np.int64)
        n, m = self.right.shape[0], len(cols)
        where = np.full(n, -1, dtype=np.int64)
        where[cols] = np.arange(m)
        at = where[self.partner_keys % n] if len(self.partner_keys) else np.zeros(0, np.int64)
        sel = at >= 0
        keys = self.partner_keys[sel] // n * m + at[sel]
        order = np.argsort(keys, kind="stable")
        return dataclasses.replace(
            self, right=np.ascontiguousarray(self.right[cols]), partner_keys=keys[order],
            partner_values=self.partner_values[sel][order],
            need_weight=None if self.need_weight is None else self.need_weight[cols])

    def components(self, i, j, priority):
        """Float64 bonus per kind of pairs (mentor ``i``, mentee ``j``) (index arrays)."""
        out = {}
        for kind in ("region", "language"):
            s = self.kind_cols[kind]
            out[kind] = np.sum(self.left[i][:, s].astype(np.float64) * self.right[j][:, s], axis=1)
        n = self.right.shape[0]
        keys = np.asarray(i, dtype=np.int64) * n + np.asarray(j, dtype=np.int64)
        pos = np.searchsorted(self.partner_keys, keys)
        pos = np.minimum(pos, max(len(self.partner_keys) - 1, 0))
        hit = (self.partner_keys[pos] == keys) if len(self.partner_keys) else np.zeros(len(keys), bool)
        out["partner"] = np.where(hit, self.partner_values[pos] if len(self.partner_keys) else 0.0, 0.0)
        return {COMPONENT_PREFIX + k: out[k].astype(np.float64) for k in KINDS}


def build_preferences(participants, mentors, mentees, priority, areas, params):
    """The :class:`PreferenceModel` of a round, or None when no city stated a preference."""
    if not any(_stated(participants[k]) for k in np.r_[mentors, mentees].tolist()):
        return None
    w = params.preference_weights
    left_people = [participants[k] for k in mentors]
    right_people = [participants[k] for k in mentees]
    prio = np.asarray(priority, dtype=np.float64)[:, None]
    regions = sorted({p.region for p in participants} | {r for p in participants for r in p.prefer_regions})
    rcol = {r: c for c, r in enumerate(regions)}
    languages = sorted({c for p in participants for c in p.languages + p.prefer_languages})
    lcol = {c: k for k, c in enumerate(languages)}
    R, L = len(regions), len(languages)
    # Columns: [other's region | my preferred regions] twice (one block per direction), same for
    # languages: left·right sums the two halves of each kind.
    left = np.zeros((len(mentors), 2 * R + 2 * L), dtype=np.float64)
    right = np.zeros((len(mentees), 2 * R + 2 * L), dtype=np.float64)
    for a, p in enumerate(left_people):
        left[a, rcol[p.region]] = 1.0                              # mentor's region ...
        for r in p.prefer_regions:
            left[a, R + rcol[r]] = 1.0                             # ... mentor's wishes
        for c in p.languages:
            left[a, 2 * R + lcol[c]] = 1.0
        for c, weight in _rank_weights(p.prefer_languages).items():
            left[a, 2 * R + L + lcol[c]] = weight
    for b, p in enumerate(right_people):
        for r in p.prefer_regions:
            right[b, rcol[r]] = 0.5 * w["region"]                  # mentee wishes the mentor's region
        right[b, R + rcol[p.region]] = 0.5 * w["region"]           # the mentor wishes the mentee's
        for c, weight in _rank_weights(p.prefer_languages).items():
            right[b, 2 * R + lcol[c]] = 0.5 * w["language"] * weight
        for c in p.languages:
            right[b, 2 * R + L + lcol[c]] = 0.5 * w["language"]
    right *= prio
    kind_cols = {"region": slice(0, 2 * R), "language": slice(2 * R, 2 * R + 2 * L)}
    if w["region"] == 0 and w["language"] == 0:
        left, right = left[:, :0], right[:, :0]
        kind_cols = {"region": slice(0, 0), "language": slice(0, 0)}
    mentor_pos = {participants[k].id: a for a, k in enumerate(mentors)}
    mentee_pos = {participants[k].id: b for b, k in enumerate(mentees)}
    wishes = {}
    if w["partner"] > 0:
        for a, p in enumerate(left_people):
            for other in p.prefer:
                b = mentee_pos.get(other)
                if b is not None:
                    wishes[(a, b)] = wishes.get((a, b), 0.0) + 0.5
        for b, p in enumerate(right_people):
            for other in p.prefer:
                a = mentor_pos.get(other)
                if a is not None:
                    wishes[(a, b)] = wishes.get((a, b), 0.0) + 0.5
    n = len(mentees)
    keys = np.asarray([a * n + b for a, b in wishes], dtype=np.int64)
    values = np.asarray([v * w["partner"] * priority[b] for (a, b), v in wishes.items()], dtype=np.float64)
    order = np.argsort(keys, kind="stable")
    need_weight = None
    if w["focus"] > 0 and any(p.focus for p in right_people):
        index = {a: k for k, a in enumerate(areas)}
        need_weight = np.ones((n, len(areas)), dtype=np.float64)
        for b, p in enumerate(right_people):
            for r, key in enumerate(p.focus):
                if key in index:
                    need_weight[b, index[key]] = 1.0 + w["focus"] * (len(p.focus) - r) / len(p.focus)
    return PreferenceModel(
        left=np.ascontiguousarray(left, dtype=np.float32), right=np.ascontiguousarray(right, dtype=np.float32),
        kind_cols=kind_cols, partner_keys=keys[order], partner_values=values[order].astype(np.float32),
        need_weight=need_weight, bound=float(w["partner"] + w["region"] + w["language"]),
    )


def explain_preferences(mentor, mentee, components):
    """English sentences naming the preferences that added to this pair's score."""
    out = []
    if components.get(COMPONENT_PREFIX + "partner", 0.0) > 0:
        if mentor.id in mentee.prefer:
            out.append(f"{mentee.name} asked for {mentor.name}.")
        if mentee.id in mentor.prefer:
            out.append(f"{mentor.name} asked for {mentee.name}.")
    if components.get(COMPONENT_PREFIX + "region", 0.0) > 0:
        if mentor.region in mentee.prefer_regions:
            out.append(f"{mentee.name} prefers partners in {mentor.region}.")
        if mentee.region in mentor.prefer_regions:
            out.append(f"{mentor.name} prefers partners in {mentee.region}.")
    if components.get(COMPONENT_PREFIX + "language", 0.0) > 0:
        from .explain import language_name

        for a, b in ((mentee, mentor), (mentor, mentee)):
            spoken = [c for c in a.prefer_languages if c in b.languages]
            if spoken:
                out.append(f"{b.name} works in {language_name(spoken[0])}, a language {a.name} prefers.")
    return out
