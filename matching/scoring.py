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

__all__ = ["ScoringModel", "build_model", "single_blas", "COMPONENTS"]

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
    lin_left: np.ndarray = None      # [comp_left | ctx_left]: the linear part in one product
    lin_right: np.ndarray = None     # [comp_right | ctx_right_w]
    comp_bits: tuple = None          # (mentor, mentee) bit masks of the threshold columns, if <= 64

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
        score, bad = self._compute(start, stop, cols, None)
        return score, ~bad

    def column_view(self, cols):
        """The same model restricted to mentees ``cols`` (sorted positions).

        Their features are gathered once, so scoring many mentor blocks against the
        same columns never gathers them again (pricing, samples).
        """
        cols = np.asarray(cols, dtype=np.int64)
        view = dataclasses.replace(self)
        view.__dict__.pop("_buffers", None)
        for name in ("mentees", "demand", "gap_thr", "needs_text", "ctx_right", "lang_right",
                     "country_right", "priority", "comp_right", "text_right", "ctx_right_w",
                     "lin_right"):
            value = getattr(self, name)
            if value is not None:
                setattr(view, name, np.ascontiguousarray(value[cols]))
        if self.class_right is not None:
            view.class_right = self.class_right[cols]
        if self.lang_bits is not None:
            view.lang_bits = (self.lang_bits[0], self.lang_bits[1][cols])
        if self.comp_bits is not None:
            view.comp_bits = (self.comp_bits[0], self.comp_bits[1][cols])
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

    def masked_block(self, start, stop, cols=None, out=None):
        """Scores of mentors ``start:stop`` x mentees ``cols``, ``-inf`` where not eligible.

        Written to ``out`` (C-contiguous float32) when given, else to a reused buffer
        valid until the next call.
        """
        buffers = self.__dict__.setdefault("_buffers", {})
        score, bad = self._compute(start, stop, cols, buffers, out)
        # Scores are >= 0, so as unsigned integers they are below the bits of -inf:
        # max(bits(score), bad * bits(-inf)) is -inf where not eligible, else the score.
        mark = _buffer(buffers, "mark", score.shape, np.uint32)
        np.multiply(bad, np.uint32(0xFF800000), out=mark)
        as_bits = score.view(np.uint32)
        np.maximum(as_bits, mark, out=as_bits)
        return score

    def _compute(self, start, stop, cols, buffers, score_out=None):
        """Scores (float32, >= 0) and the mask of the pairs that are *not* eligible."""
        p = self.params
        cols = slice(None) if cols is None else cols
        n_cols = self.n_mentees if isinstance(cols, slice) else len(cols)
        shape = (stop - start, n_cols)
        rows = slice(start, stop)

        def out(name, dtype=np.float32):
            if name == "score" and score_out is not None:
                return score_out
            return None if buffers is None else _buffer(buffers, name, shape, dtype)

        if self.text_right.shape[1]:
            score = np.matmul(self.practices[rows], self.text_right[cols].T, out=out("score"))
            as_int = score.view(np.int32)          # max(0, cosine): negative floats are
            np.maximum(as_int, 0, out=as_int)      # negative as int32 (-0.0 becomes +0.0)
            score += np.matmul(self.lin_left[rows], self.lin_right[cols].T, out=out("tmp"))
        else:
            score = np.matmul(self.lin_left[rows], self.lin_right[cols].T, out=out("score"))
        # Complementarity > 0 exactly when a threshold column is set on both sides.
        if self.comp_bits is not None:
            left, right = self.comp_bits[0][rows], self.comp_bits[1][cols]
            both = np.bitwise_and.outer(left, right, out=out("bits", left.dtype))
            bad = np.equal(both, 0, out=out("bad", bool))
        else:
            comp = np.matmul(self.comp_left[rows], self.comp_right[cols].T, out=out("tmp"))
            bad = np.less_equal(comp, 0, out=out("bad", bool))
        if self.lang_bits is not None:
            if p.require_shared_language:
                shared = np.bitwise_and.outer(self.lang_bits[0][rows], self.lang_bits[1][cols],
                                              out=out("lang", self.lang_bits[0].dtype))
                bad |= np.equal(shared, 0, out=out("flag", bool))
            if not p.allow_same_country:
                bad |= np.equal.outer(self.country_code[0][rows], self.country_code[1][cols],
                                      out=out("flag", bool))
        else:
            bad |= ~self.class_ok[self.class_left[rows, None], self.class_right[None, cols]]
        if p.cross_commission != "off":
            left, right = self.commission_code[0][rows], self.commission_code[1][cols]
            cross = (left[:, None] != right[None, :]) & (left[:, None] > 0) & (right[None, :] > 0)
            if p.cross_commission == "required":
                bad |= ~cross
            elif p.cross_commission_bonus > 0:
                score += cross * np.float32(p.cross_commission_bonus)
        if self.prefs is not None:
            self.prefs.add(score, start, stop, cols, self.n_mentees, out("tmp"))
        if p.min_score > 0:
            bad |= score < np.float32(p.min_score)
        if len(self.excluded):
            n = self.n_mentees
            lo, hi = np.searchsorted(self.excluded, [start * n, stop * n])
            keys = self.excluded[lo:hi]
            if isinstance(cols, slice) and cols == slice(None):
                bad[keys // n - start, keys % n] = True
            else:
                where = np.full(n, -1, dtype=np.int64)
                where[np.arange(n)[cols]] = np.arange(bad.shape[1])
                at = where[keys % n]
                sel = at >= 0
                bad[keys[sel] // n - start, at[sel]] = True
        return score, bad

    def pair_components(self, i, j):
        """Float64 components of pair (mentor ``i``, mentee ``j``) (index arrays).

        Returns a dict of arrays that sum to the score, and the per-area
        contributions ``need * gap`` (shape (n, A)) used to explain the pair.
        """
        f = self.features.feature_slices_
        li, lj = self.mentors[i], self.mentees[j]
        left, right = self.raw[li].astype(np.float64), self.raw[lj].astype(np.float64)
        teach = left[:, f["teach"]]
        mat = right[:, f["maturity"]]
        need = right[:, f["need"]]
        if self.prefs is not None and self.prefs.need_weight is not None:
            need = need * self.prefs.need_weight[j]
        contrib = need * np.maximum(0.0, teach - mat)
        denom = np.sum(need * (N_LEVELS - mat), axis=1)
        comp = np.divide(contrib.sum(axis=1), denom, out=np.zeros(len(li)), where=denom > 0)
        text = np.maximum(0.0, np.sum(left[:, f["practices"]] * right[:, f["needs_text"]], axis=1))
        ctx = np.sum(left[:, f["context"]] * right[:, f["context"]], axis=1)
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

    def rule_counts(self, js):
        """For each mentee of ``js``, how many mentors pass each rule cumulatively: a dict
        per mentee, keyed by RULES (all mentees at once, in blocks of 1M pairs)."""
        p = self.params
        js = np.asarray(js, dtype=np.int64)
        nm, ne = self.n_mentors, self.n_mentees
        out = []
        step = max(1, (1 << 20) // max(nm, 1))
        for a in range(0, len(js), step):
            j = js[a:a + step]
            ok = (self.teach_thr @ self.gap_thr[j].T > 0) & (self.mentees[j][None, :] != self.mentors[:, None])
            counts = [ok.sum(axis=0)]
            if p.require_shared_language:
                ok &= (self.lang_left @ self.lang_right[j].T) > 0
            counts.append(ok.sum(axis=0))
            if not p.allow_same_country:
                ok &= self.country_left[:, None] != self.country_right[j][None, :]
            counts.append(ok.sum(axis=0))
            if len(self.excluded):
                # One pass over the exclusion keys (mentor * n_mentees + mentee), not
                # np.isin over every pair of the block (~100 s at 100,000 cities).
                where = np.full(ne, -1)
                where[j] = np.arange(len(j))
                pos = where[self.excluded % ne]
                hit = pos >= 0
                ok[self.excluded[hit] // ne, pos[hit]] = False
            counts.append(ok.sum(axis=0))
            if p.cross_commission == "required":
                left, right = self.commission_code[0][:, None], self.commission_code[1][j][None, :]
                ok &= (left != right) & (left > 0) & (right > 0)
            counts.append(ok.sum(axis=0))
            if p.min_score > 0:
                score, _ = self.block(0, nm, cols=j)
                ok &= score >= np.float32(p.min_score)
            counts.append(ok.sum(axis=0))
            out.extend(dict(zip(RULES, row)) for row in np.stack(counts, axis=1).tolist())
        return out


def _buffer(buffers, name, shape, dtype):
    """A reused work array of ``shape`` (grown when too small)."""
    size = shape[0] * shape[1]
    buf = buffers.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = buffers[name] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


@functools.lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def single_blas():
    """Context: BLAS on one thread (the engine's products are blocks of at most 1M pairs).

    At these sizes a second BLAS thread costs more in synchronisation and spinning than it
    saves: with two threads, ``propose`` on 2,000 to 10,000 cities took 2-3x the CPU time
    (and more wall time whenever another process wanted the second core).
    """
    return _blas_controller().limit(limits=1, user_api="blas")


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
    # The text projection works on small dense matrices (see single_blas).
    with single_blas():
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
    ctx_left = np.ascontiguousarray(raw[mentors][:, f["context"]])
    comp_bits = None
    if comp_left.shape[1] <= 64:
        q = comp_left.shape[1]
        dt = np.uint8 if q <= 8 else np.uint16 if q <= 16 else np.uint32 if q <= 32 else np.uint64
        weights = np.left_shift(1, np.arange(q)).astype(dt)
        comp_bits = (np.bitwise_or.reduce(np.where(comp_left > 0, weights, dt(0)), axis=1),
                     np.bitwise_or.reduce(np.where(comp_right > 0, weights, dt(0)), axis=1))
    return ScoringModel(
        participants=participants, params=params, features=features,
        mentors=mentors, mentees=mentees, capacity=capacity,
        demand=np.full(len(mentees), params.mentors_per_mentee, dtype=np.int64),
        teach_thr=teach_thr, gap_thr=gap_thr,
        practices=np.ascontiguousarray(raw[mentors][:, f["practices"]]),
        needs_text=np.ascontiguousarray(raw[mentees][:, f["needs_text"]]),
        ctx_left=ctx_left,
        ctx_right=np.ascontiguousarray(raw[mentees][:, f["context"]]),
        lang_left=lang[mentors], lang_right=lang[mentees],
        country_left=country[mentors], country_right=country[mentees],
        priority=priority,
        excluded=np.unique(keys), raw=raw,
        comp_left=comp_left, comp_right=comp_right, text_right=text_right,
        ctx_right_w=ctx_right_w, class_left=cl, class_right=cr, class_ok=class_ok,
        lang_bits=lang_bits, country_code=country_code,
        commission_code=(commission[mentors], commission[mentees]), prefs=prefs,
        lin_left=np.ascontiguousarray(np.hstack([comp_left, ctx_left[:, :ctx_right_w.shape[1]]]),
                                      dtype=np.float32),
        lin_right=np.ascontiguousarray(np.hstack([comp_right, ctx_right_w]), dtype=np.float32),
        comp_bits=comp_bits)
