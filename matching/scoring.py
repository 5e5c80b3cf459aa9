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
import functools
from itertools import chain

import numpy as np

from .exceptions import Infeasible
from .features import N_LEVELS, CityFeatures
from .preferences import build_preferences

__all__ = ["ScoringModel", "build_model", "COMPONENTS"]

COMPONENTS = ("complementarity", "text", "context")

# The rules a pair must pass, in the order used to explain an ineligible mentee.
RULES = ("needs", "language", "country", "exclusion", "commission", "min_score")


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
    # Hot-path arrays (derived from the above in build_model): weights and priority
    # folded into the mentee side, duplicate/empty threshold columns merged, and the
    # language + country rules as a table over (languages, country) classes.
    comp_left: np.ndarray = None     # (n_mentors, q) float32
    comp_right: np.ndarray = None    # (n_mentees, q) float32, times w_c * priority
    text_right: np.ndarray = None    # (n_mentees, d) float32, times w_t * priority
    ctx_right_w: np.ndarray = None   # (n_mentees, c) float32, times w_x * priority
    class_left: np.ndarray = None    # (n_mentors,) int
    class_right: np.ndarray = None   # (n_mentees,) int
    class_ok: np.ndarray = None      # (n_left_classes, n_right_classes) bool
    lang_bits: tuple = None          # (mentor, mentee) language bit masks, if <= 64 languages
    country_code: tuple = None       # (mentor, mentee) small int country codes
    commission_code: tuple = None    # (mentor, mentee) int codes, 0 = no commission
    prefs: object = None             # matching.preferences.PreferenceModel, None: none stated

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

        Cost O(rows * cols * (2A + d + c)) in BLAS plus a few elementwise passes.
        """
        return self._compute(start, stop, cols, None)

    def column_view(self, cols):
        """The same model restricted to mentees ``cols`` (sorted positions).

        Their features are gathered once, so scoring many mentor blocks against the
        same columns never gathers them again (pricing, samples).
        """
        cols = np.asarray(cols, dtype=np.int64)
        view = dataclasses.replace(self)
        view.__dict__.pop("_buffers", None)
        for name in ("mentees", "demand", "gap_thr", "needs_text", "ctx_right", "lang_right",
                     "country_right", "priority", "comp_right", "text_right", "ctx_right_w"):
            value = getattr(self, name)
            if value is not None:
                setattr(view, name, np.ascontiguousarray(value[cols]))
        if self.class_right is not None:
            view.class_right = self.class_right[cols]
        if self.lang_bits is not None:
            view.lang_bits = (self.lang_bits[0], self.lang_bits[1][cols])
        view.country_code = (self.country_code[0], self.country_code[1][cols])
        view.commission_code = (self.commission_code[0], self.commission_code[1][cols])
        if self.prefs is not None:
            view.prefs = self.prefs.columns(cols)
        if len(self.excluded):
            n = self.n_mentees
            where = np.full(n, -1, dtype=np.int64)
            where[cols] = np.arange(len(cols))
            at = where[self.excluded % n]
            sel = at >= 0
            view.excluded = np.sort(self.excluded[sel] // n * len(cols) + at[sel])
        return view

    def masked_block(self, start, stop, cols=None):
        """Scores of mentors ``start:stop`` x mentees ``cols``, ``-inf`` where not eligible.

        The returned array is a reused buffer: valid until the next call.
        """
        score, eligible = self._compute(start, stop, cols, self.__dict__.setdefault("_buffers", {}))
        np.copyto(score, np.float32(-np.inf), where=np.logical_not(eligible, out=eligible))
        return score

    def _compute(self, start, stop, cols, buffers):
        p = self.params
        cols = slice(None) if cols is None else cols
        n_cols = self.n_mentees if isinstance(cols, slice) else len(cols)
        shape = (stop - start, n_cols)

        def out(name):
            if buffers is None:
                return None
            buf = buffers.get(name)
            if buf is None or buf.size < shape[0] * shape[1]:
                buf = buffers[name] = np.empty(shape[0] * shape[1], np.float32)
            return buf[:shape[0] * shape[1]].reshape(shape)

        score = np.matmul(self.comp_left[start:stop], self.comp_right[cols].T, out=out("score"))
        eligible = score > 0
        if self.lang_bits is not None:
            if p.require_shared_language:
                eligible &= np.bitwise_and.outer(self.lang_bits[0][start:stop],
                                                 self.lang_bits[1][cols]).astype(bool)
            if not p.allow_same_country:
                eligible &= self.country_code[0][start:stop, None] != self.country_code[1][None, cols]
        else:
            eligible &= self.class_ok[self.class_left[start:stop, None], self.class_right[None, cols]]
        if self.text_right.shape[1]:
            text = np.matmul(self.practices[start:stop], self.text_right[cols].T, out=out("tmp"))
            np.maximum(text, 0, out=text)
            score += text
        if self.ctx_right_w.shape[1]:
            score += np.matmul(self.ctx_left[start:stop], self.ctx_right_w[cols].T, out=out("tmp"))
        if p.cross_commission != "off":
            left, right = self.commission_code[0][start:stop], self.commission_code[1][cols]
            cross = (left[:, None] != right[None, :]) & (left[:, None] > 0) & (right[None, :] > 0)
            if p.cross_commission == "required":
                eligible &= cross
            elif p.cross_commission_bonus > 0:
                score += cross * np.float32(p.cross_commission_bonus)
        if self.prefs is not None:
            self.prefs.add(score, start, stop, cols, self.n_mentees, out("tmp"))
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
        if self.prefs is not None and self.prefs.need_weight is not None:
            need = need * self.prefs.need_weight[j]
        contrib = need * np.maximum(0.0, teach - mat)
        denom = np.sum(need * (N_LEVELS - mat), axis=1)
        comp = np.divide(contrib.sum(axis=1), denom, out=np.zeros(len(li)), where=denom > 0)
        text = np.maximum(0.0, np.sum(raw[li][:, f["practices"]] * raw[lj][:, f["needs_text"]], axis=1))
        ctx = np.sum(raw[li][:, f["context"]] * raw[lj][:, f["context"]], axis=1)
        w, prio = self.params.weights, self.priority[j]
        parts = {"complementarity": prio * w["complementarity"] * comp,
                 "text": prio * w["text"] * text,
                 "context": prio * w["context"] * ctx}
        p = self.params
        if p.cross_commission == "bonus" and p.cross_commission_bonus > 0:
            a, b = self.commission_code[0][i], self.commission_code[1][j]
            parts["cross_commission"] = p.cross_commission_bonus * ((a != b) & (a > 0) & (b > 0))
        if self.prefs is not None:
            parts.update(self.prefs.components(i, j, prio))
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
        if p.cross_commission == "required":
            a, b = self.commission_code[0], self.commission_code[1][j]
            ok &= (a != b) & (a > 0) & (b > 0)
        counts["commission"] = int(ok.sum())
        if p.min_score > 0:
            score, _ = self.block(0, self.n_mentors, cols=np.asarray([j]))
            ok &= score[:, 0] >= np.float32(p.min_score)
        counts["min_score"] = int(ok.sum())
        return counts


@functools.lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


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
    n = len(participants)
    if mentee_ids is None:
        wants = np.fromiter((p.wants_mentor for p in participants), dtype=bool, count=n)
    else:
        wants = np.fromiter((p.id in mentee_ids for p in participants), dtype=bool, count=n)
    mentees = np.flatnonzero(wants)
    if len(mentees) == 0:
        raise Infeasible("no city asks for a mentor (set wants_mentor to true for mentees)")
    # The text projection works on small dense matrices, where a second BLAS thread
    # costs more in synchronisation than it saves (and makes timings erratic).
    with _blas_controller().limit(limits=1, user_api="blas"):
        features = CityFeatures(random_state=params.random_state).fit(participants)
        raw = features.transform(participants)
    # Participant.is_mentor: capacity and an area taught at level 3-4 (the teach block).
    cap_all = np.fromiter((p.capacity for p in participants), dtype=np.int64, count=n)
    mentors = np.flatnonzero((cap_all > 0) & raw[:, features.feature_slices_["teach"]].any(axis=1))
    if len(mentors) == 0:
        raise Infeasible("no city can mentor: a mentor needs capacity > 0 and a can_mentor area "
                         "where its maturity is 3 or 4")
    f = features.feature_slices_
    teach, mat, need = raw[:, f["teach"]], raw[:, f["maturity"]], raw[:, f["need"]]
    priority = np.fromiter((participants[i].priority for i in mentees.tolist()), dtype=np.float64,
                           count=len(mentees))
    prefs = build_preferences(participants, mentors, mentees, priority,
                              [str(a) for a in features.areas_], params)
    need_m = need[mentees] if prefs is None or prefs.need_weight is None else need[mentees] * prefs.need_weight
    teach_thr = np.hstack([(teach[mentors] >= t) for t in range(1, N_LEVELS + 1)]).astype(np.float32)
    denom = np.sum(need_m * (N_LEVELS - mat[mentees]), axis=1, keepdims=True)
    scale = np.divide(1.0, denom, out=np.zeros_like(denom), where=denom > 0)
    gap_thr = np.hstack([need_m * (mat[mentees] < t) * scale
                         for t in range(1, N_LEVELS + 1)]).astype(np.float32)
    languages = sorted(set(chain.from_iterable(p.languages for p in participants)))
    lcol = {lang: k for k, lang in enumerate(languages)}
    sizes = np.fromiter((len(p.languages) for p in participants), dtype=np.intp, count=n)
    lang_of = np.fromiter(map(lcol.__getitem__, chain.from_iterable(p.languages for p in participants)),
                          dtype=np.intp, count=int(sizes.sum()))
    speaker = np.repeat(np.arange(n), sizes)
    lang = np.zeros((n, max(len(languages), 1)), dtype=np.float32)
    lang[speaker, lang_of] = 1.0
    countries = {c: k for k, c in enumerate(sorted({p.country for p in participants}))}
    country = np.fromiter((countries[p.country] for p in participants), dtype=np.int64, count=n)
    mentor_pos = np.full(n, -1)
    mentor_pos[mentors] = np.arange(len(mentors))
    mentee_pos = np.full(n, -1)
    mentee_pos[mentees] = np.arange(len(mentees))
    # The exclusion graph's edges (see graph.exclusion_graph), both directions.
    pairs = [(ia, q) for ia, p in enumerate(participants) if p.exclude for q in p.exclude]
    keys = np.zeros(0, dtype=np.int64)
    if pairs:
        index = {p.id: i for i, p in enumerate(participants)}
        ia = np.fromiter((x for x, _ in pairs), dtype=np.int64, count=len(pairs))
        ib = np.fromiter((index.get(q, -1) for _, q in pairs), dtype=np.int64, count=len(pairs))
        ok = (ib >= 0) & (ib != ia)
        x, y = np.r_[ia[ok], ib[ok]], np.r_[ib[ok], ia[ok]]
        ok = (mentor_pos[x] >= 0) & (mentee_pos[y] >= 0)
        keys = mentor_pos[x[ok]] * len(mentees) + mentee_pos[y[ok]]
    both = np.intersect1d(mentors, mentees)        # never paired with itself
    keys = np.r_[keys, mentor_pos[both] * len(mentees) + mentee_pos[both]]
    capacity = cap_all[mentors]
    w = params.weights
    # Threshold columns equal for every mentor are merged (teach levels are 0, 3 or
    # 4, so [>= 1] = [>= 2] = [>= 3]); columns no mentor has are dropped.
    packed = np.ascontiguousarray(np.packbits(teach_thr.T.astype(bool), axis=1))
    _, first, group = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(),
                                return_index=True, return_inverse=True)
    distinct, group = teach_thr[:, first], np.ravel(group)
    used = np.flatnonzero(distinct.any(axis=0))
    merge = np.zeros((teach_thr.shape[1], len(used)), dtype=np.float64)
    keep = np.isin(group, used)
    merge[np.flatnonzero(keep), np.searchsorted(used, group[keep])] = 1.0
    side = (w["complementarity"] * priority)[:, None]
    comp_right = ((gap_thr.astype(np.float64) @ merge) * side).astype(np.float32)
    comp_left = np.ascontiguousarray(distinct[:, used], dtype=np.float32)
    needs_text = np.ascontiguousarray(raw[mentees][:, f["needs_text"]])
    ctx_right = np.ascontiguousarray(raw[mentees][:, f["context"]])
    text_right = (needs_text * (w["text"] * priority)[:, None]).astype(np.float32) \
        if w["text"] > 0 else np.zeros((len(mentees), 0), np.float32)
    ctx_right_w = (ctx_right * (w["context"] * priority)[:, None]).astype(np.float32) \
        if w["context"] > 0 else np.zeros((len(mentees), 0), np.float32)
    lang_bits = None
    if len(languages) <= 64:
        dt = np.uint8 if len(languages) <= 8 else np.uint16 if len(languages) <= 16 else \
            np.uint32 if len(languages) <= 32 else np.uint64
        bits = np.zeros(n, dtype=dt)
        np.bitwise_or.at(bits, speaker, np.left_shift(1, lang_of).astype(dt))
        lang_bits = (bits[mentors], bits[mentees])
    commissions = {c: k + 1 for k, c in enumerate(sorted({p.commission for p in participants} - {""}))}
    commission = np.fromiter((commissions.get(p.commission, 0) for p in participants), dtype=np.int32,
                             count=n)
    cdt = np.int16 if len(countries) < 2 ** 15 else np.int64
    country_code = (country[mentors].astype(cdt), country[mentees].astype(cdt))
    cl = cr = class_ok = None
    if lang_bits is None:
        # Language and country rules depend only on (language set, country) classes.
        lang_sets = [frozenset(p.languages) for p in participants]
        def classes(idx):
            keys = [(lang_sets[i], int(country[i])) for i in idx]
            table = {}
            codes = np.asarray([table.setdefault(k, len(table)) for k in keys], dtype=np.int64)
            return codes, list(table)
        cl, kl = classes(mentors)
        cr, kr = classes(mentees)
        class_ok = np.ones((len(kl), len(kr)), dtype=bool)
        for a, (la, ca) in enumerate(kl):
            for b, (lb, cb) in enumerate(kr):
                if params.require_shared_language and not (la & lb):
                    class_ok[a, b] = False
                if not params.allow_same_country and ca == cb:
                    class_ok[a, b] = False
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
        priority=priority,
        excluded=np.unique(keys), raw=raw,
        comp_left=comp_left, comp_right=comp_right, text_right=text_right,
        ctx_right_w=ctx_right_w, class_left=cl, class_right=cr, class_ok=class_ok,
        lang_bits=lang_bits, country_code=country_code,
        commission_code=(commission[mentors], commission[mentees]), prefs=prefs)
