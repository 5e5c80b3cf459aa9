"""Propose mentor -> mentee pairs for a round, certified optimal, with reasons.

The pipeline: features (:class:`~matching.features.CityFeatures`) -> scores of all
pairs, block by block (:mod:`matching.scoring`) -> candidate pairs -> exact
b-matching (:mod:`matching.solvers`: LAPJVsp on capacity-expanded mentors, duals
by shortest paths; the LP when a mentee takes several mentors) -> result with
explanations.

Large rounds are not solved on every pair: each mentee keeps its ``top_k`` best
mentors (and each mentor its best mentees), the matching is solved on those
candidates, then left-out pairs are *priced* with the dual values: a left-out
pair scores at most ``min(tau_j, sigma_i)`` (the thresholds of the candidate
lists), which rules out most mentees at once; the others have all their pairs
recomputed and checked. Pairs with a positive reduced cost (and near misses) are
added and the matching solved again until none is left. The dual bound over all
pairs then equals the objective: the result is certified optimal for the whole
round.
"""

import dataclasses
import gc
import math
import time

import numpy as np

from .exceptions import Infeasible, InvalidInput
from .explain import explain_pair, language_name
from .graph import component_labels, n_components
from .network import RoundNetwork
from .params import MatchParams
from .records import read_participants
from .result import MatchResult, Pair, Unmatched
from .scoring import RULES, build_model
from .solvers import dual_bound, greedy_bmatching, solve_bmatching, solve_bmatching_lap

__all__ = ["propose", "suggest_mentors"]

BLOCK_ENTRIES = 1 << 20      # scores computed at once (4 MB of float32: elementwise passes stay in cache)
FULL_LIMIT = 250_000          # "auto" solves every pair exactly below this many pairs
DEFAULT_TOP_K = 16           # candidate mentors per mentee (32 above LARGE_ROUND mentees)
LARGE_ROUND = 10_000
MAX_PRICING_ROUNDS = 50
PRICE_CACHE_ENTRIES = 1 << 27  # suspect columns' scores kept between pricing rounds (512 MB)
PRICE_PER_MENTEE = 8           # pairs added per mentee and pricing round ...
NEAR_MISS = 0.05               # ... violating, or within this score of violating
COL_SAMPLE_PAIRS = 1 << 26     # above this many pairs, mentee thresholds start from a sample
ROW_SAMPLE = 16               # mentor thresholds from 1/ROW_SAMPLE of the mentees
SPLIT_EDGES = 2_000           # LP path: components this large get their own programme
NETWORK_FULL_LIMIT = 1_000_000  # with rules: every eligible pair enters the network below this


class _Progress:
    def __init__(self, callback):
        self.callback = callback

    def __call__(self, fraction, message):
        if self.callback is not None:
            self.callback(min(1.0, max(0.0, float(fraction))), message)


def _scaling(model, params):
    """Integer scale of the scores and the per-pair bonus of ``max_coverage``."""
    pmax = float(model.priority.max())
    wmax = pmax * (sum(params.weights.values()) + (model.prefs.bound if model.prefs is not None else 0.0))
    if params.cross_commission == "bonus":
        wmax += params.cross_commission_bonus
    if params.objective == "max_score":
        return 1e6, 0.0
    k = float(min(model.capacity.sum(), model.demand.sum()))
    # One more pair must outweigh any difference of total score, and every total
    # must stay an exact integer in float64 (< 2**53).
    room = 2.0 ** 50 / max(k * k * wmax, 1.0)
    scale = 10.0 ** max(1, min(6, math.floor(math.log10(room))))
    big = k * math.ceil(wmax * scale) + 1.0
    return scale, big


def _blocks(model, n_cols=None):
    n_cols = model.n_mentees if n_cols is None else n_cols
    step = max(1, min(model.n_mentors, BLOCK_ENTRIES // max(n_cols, 1)))
    return [(s, min(s + step, model.n_mentors)) for s in range(0, model.n_mentors, step)]


class _Scores:
    """Block access to the masked scores (``-inf`` where not eligible), recomputed
    from the features on each call (pricing needs only the suspect mentees' columns).

    When every pair's score fits in ``cache_bytes`` (``keep_all``), the scan's blocks
    are kept as it computes them: pricing then reads its columns instead of scoring
    them again in every round (rounds with ties price almost every mentee).
    """

    def __init__(self, model, cache_bytes=4 * PRICE_CACHE_ENTRIES, keep_all=False):
        self.model = model
        self.cache_bytes = cache_bytes
        self.price_cols = None   # the suspect mentees of the last pricing round ...
        self.price_scores = None  # ... and their scores, (n_mentors, len(price_cols))
        n_pairs = model.n_mentors * model.n_mentees
        self.all_scores = (np.empty((model.n_mentors, model.n_mentees), np.float32)
                           if keep_all and 4 * n_pairs <= cache_bytes else None)
        self.kept_rows = 0       # rows of all_scores filled so far (the scan goes in order)

    def block(self, s, e, cols=None):
        ws = self.model.masked_block(s, e, cols)
        if cols is None and self.all_scores is not None and s == self.kept_rows:
            self.all_scores[s:e] = ws
            self.kept_rows = e
        return ws

    def start_pricing(self, cols):
        """Prepare column access for ``cols``: from the last round's scores when possible."""
        self.pos = None
        if self.all_scores is not None and self.kept_rows == self.model.n_mentors:
            self.price_cols, self.price_scores = np.arange(self.model.n_mentees), self.all_scores
            self.pos, self.reuse = np.asarray(cols), True
            return
        if self.price_cols is not None and len(cols):
            pos = np.searchsorted(self.price_cols, cols)
            pos = np.minimum(pos, len(self.price_cols) - 1)
            if np.array_equal(self.price_cols[pos], cols):
                self.pos = None if len(cols) == len(self.price_cols) else pos
                self.reuse = True
                return
        self.reuse = False
        self.view = self.model.column_view(cols)
        keep = self.model.n_mentors * len(cols) * 4 <= self.cache_bytes
        self.price_cols = np.asarray(cols) if keep else None
        self.price_scores = np.empty((self.model.n_mentors, len(cols)), np.float32) if keep else None

    def columns(self, s, e, cols):
        if self.reuse:
            ws = self.price_scores[s:e]
            return ws if self.pos is None else ws[:, self.pos]
        ws = self.view.masked_block(s, e)
        if self.price_scores is not None:
            self.price_scores[s:e] = ws
        return ws


def _order_by_col_then_value(c, v):
    """Order of entries by column, best value first (deterministic)."""
    if v.dtype == np.float32 and len(v):
        # One float64 key sorts ~10x faster than lexsort; exact for float32 values.
        lo, hi = float(v.min()), float(v.max())
        key = c * (hi - lo + 1.0) + (hi - v.astype(np.float64))
        return np.argsort(key)
    return np.lexsort((-v, c))


def _topk_cols(r, c, v, k):
    """Keep the ``k`` best entries of each column."""
    order = _order_by_col_then_value(c, v)
    cs = c[order]
    rank = np.arange(len(order)) - np.searchsorted(cs, cs)
    keep = order[rank < k]
    return r[keep], c[keep], v[keep]


def _kth(c, v, k, n):
    """k-th best value per column of sparse (c, v) (``-inf`` if fewer than k)."""
    out = np.full(n, -np.inf)
    if len(c) == 0:
        return out
    order = _order_by_col_then_value(c, v)
    cs = c[order]
    rank = np.arange(len(order)) - np.searchsorted(cs, cs)
    sel = order[rank == k - 1]
    out[c[sel]] = v[sel]
    return out


def _scan_all(model, scores, report, lo, hi):
    """Every eligible pair (rows, cols, float32 scores) and eligible counts per mentee."""
    rows, cols, vals = [], [], []
    count = np.zeros(model.n_mentees, dtype=np.int64)
    blocks = _blocks(model)
    for b, (s, e) in enumerate(blocks):
        ws = scores.block(s, e)
        ok = ws > -np.inf
        r, c = np.nonzero(ok)
        rows.append(r + s)
        cols.append(c)
        vals.append(ws[r, c])
        count += ok.sum(axis=0)
        report(lo + (hi - lo) * (b + 1) / len(blocks), "scoring pairs")
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), count


def _scan_candidates(model, scores, k, k_mentor, report, lo, hi):
    """Exact top-``k`` mentors of each mentee and top-``k_mentor`` mentees of each mentor.

    One pass over all pairs, block by block (a block holds whole mentor rows),
    without sorting blocks: an entry is kept for its mentor only if it reaches a
    lower bound of the mentor's ``k_mentor``-th best (taken beforehand on a sample
    of mentees), for its mentee only if it beats the running ``k``-th best of that
    mentee (a lower bound of the final one); the few kept entries are reduced to
    the exact top lists by sorting.

    Returns rows, cols, scores of the candidates, eligible counts per mentee, and
    ``tau`` (per mentee) and ``sigma`` (per mentor): every pair left out scores at
    most ``min(tau[j], sigma[i])`` (``-inf`` when every eligible pair is kept).
    """
    nm, ne = model.n_mentors, model.n_mentees
    k = min(k, nm)
    km = min(k_mentor, ne)
    count = np.zeros(ne, dtype=np.int64)
    blocks = _blocks(model)
    sigma = np.full(nm, -np.inf, dtype=np.float32)
    # Lower bound of each mentor's km-th best, from a sample of mentees (cheap: a
    # partition of every full row would cost more than scoring it).
    sigma_lo = np.full(nm, -np.inf, dtype=np.float32)
    if km and ne > 2 * ROW_SAMPLE * km:
        n_sample = max(4 * km, ne // ROW_SAMPLE)
        sample = np.sort(np.random.default_rng(0).choice(ne, size=n_sample, replace=False))
        view = model.column_view(sample)
        for s, e in _blocks(model, n_sample):
            part = view.masked_block(s, e)
            sigma_lo[s:e] = np.sort(part, axis=1)[:, n_sample - km]   # sort: faster than partition with many -inf ties
    thr = np.full(ne, -np.inf, dtype=np.float32)
    if nm * ne > COL_SAMPLE_PAIRS and nm > 2 * k:
        # Large round: start from the k-th best of each mentee over the first rows
        # (a lower bound), else early blocks keep too much while the bound is weak.
        h = min(nm, max(4096, nm // 8))
        step = max(1, BLOCK_ENTRIES // h)
        for a in range(0, ne, step):
            part = model.column_view(np.arange(a, min(a + step, ne))).masked_block(0, h)
            thr[a:a + part.shape[1]] = np.sort(np.ascontiguousarray(part.T), axis=1)[:, h - k]
    pool_r, pool_c, pool_v = [], [], []
    pending = 0
    row_r, row_c, row_v = [], [], []
    for b, (s, e) in enumerate(blocks):
        ws = scores.block(s, e)
        count += (ws > -np.inf).sum(axis=0)
        if b == 0 and e - s > k and not np.isfinite(thr).any():
            # Start from the k-th best over the first rows (a lower bound).
            h = min(e - s, max(4 * k, 1024))
            thr = np.sort(np.ascontiguousarray(ws[:h].T), axis=1)[:, h - k]
            r, c = np.nonzero((ws >= thr[None, :]) & (ws > -np.inf))
        else:
            r, c = np.nonzero(ws > thr[None, :])
        pool_r.append(r + s)
        pool_c.append(c)
        pool_v.append(ws[r, c])
        pending += len(r)
        if pending > 2 * k * ne or b == len(blocks) - 1:
            pr, pc, pv = _topk_cols(np.concatenate(pool_r), np.concatenate(pool_c),
                                    np.concatenate(pool_v), k)
            pool_r, pool_c, pool_v, pending = [pr], [pc], [pv], 0
            thr = _kth(pc, pv, k, ne).astype(np.float32)
        if km:
            if ne > 2 * ROW_SAMPLE * km:
                rr, cc = np.nonzero(ws >= np.maximum(sigma_lo[s:e], np.float32(-3e38))[:, None])
                vv = ws[rr, cc]
                cc, rr, vv = _topk_cols(cc, rr, vv, km)      # exact top km of each row
                sigma[s:e] = _kth(rr, vv, km, e - s)
            elif ne > km:
                sig = np.sort(ws, axis=1)[:, ne - km]
                rr, cc = np.nonzero((ws >= sig[:, None]) & (ws > -np.inf))
                sigma[s:e] = sig
            else:
                rr, cc = np.nonzero(ws > -np.inf)
            row_r.append(rr + s)
            row_c.append(cc)
            row_v.append(ws[rr, cc])
        report(lo + (hi - lo) * (b + 1) / len(blocks), "finding candidate mentors")
    r1, c1, v1 = pool_r[0], pool_c[0], pool_v[0]
    tau = np.where(count > k, _kth(c1, v1, k, ne), -np.inf)
    if km:
        r2, c2, v2 = np.concatenate(row_r), np.concatenate(row_c), np.concatenate(row_v)
        sigma = sigma.astype(np.float64)
    else:
        r2 = c2 = np.zeros(0, np.int64)
        v2 = np.zeros(0, np.float32)
        sigma = np.full(nm, np.inf)
    rows = np.concatenate([r1, r2])
    colz = np.concatenate([c1, c2])
    vals = np.concatenate([v1, v2])
    keys, first = np.unique(rows * ne + colz, return_index=True)
    return keys // ne, keys % ne, vals[first], count, tau, sigma


def _screen(tau_w, sigma_w, u, v, tol):
    """Mentees that may have a left-out pair with a positive reduced cost.

    A left-out pair weighs at most ``min(tau_w[j], sigma_w[i])``, so its reduced
    cost is at most ``max_i(min(tau_w[j], sigma_w[i]) - u_i) - v_j``, computed for
    all mentees at once from the mentors sorted by ``sigma_w``.
    """
    order = np.argsort(sigma_w, kind="stable")
    sw, su = sigma_w[order], u[order]
    # Mentors with sigma >= T: contribute T - min u; the others sigma - u.
    suffix_min_u = np.minimum.accumulate(su[::-1])[::-1]
    prefix_max = np.maximum.accumulate(sw - su)
    pos = np.searchsorted(sw, tau_w, side="left")
    best = np.full(len(tau_w), -np.inf)
    has_hi = pos < len(sw)
    best[has_hi] = tau_w[has_hi] - suffix_min_u[pos[has_hi]]
    has_lo = pos > 0
    best[has_lo] = np.maximum(best[has_lo], prefix_max[pos[has_lo] - 1])
    return np.flatnonzero(best - v > tol)


def _scan_price(model, scores, weigh, u, v, cand_keys, cols, tol, near, report, lo, hi,
                per_mentee=PRICE_PER_MENTEE):
    """Price the pairs outside the candidates in mentee columns ``cols`` with duals ``u, v``.

    Returns the sum of positive reduced costs there and, if any is positive, the
    pairs to add: the ``per_mentee`` best of each priced mentee with a reduced cost
    above ``-near`` (violating or nearly) and the worst violator of each mentor;
    nothing when no pair violates.
    """
    ne = model.n_mentees
    total = 0.0
    found_r, found_c, found_s, found_rc = [], [], [], []
    if len(cols) == 0:
        return total, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    # Candidate pairs in these columns, by position in ``cols``.
    kc = cand_keys % ne
    at = np.searchsorted(cols, kc)
    at_ok = (at < len(cols)) & (cols[np.minimum(at, len(cols) - 1)] == kc)
    cand_r, cand_p = cand_keys[at_ok] // ne, at[at_ok]
    vc = v[cols]
    n_violated = 0
    held = 0
    blocks = _blocks(model, len(cols))
    scores.start_pricing(cols)
    for b, (s, e) in enumerate(blocks):
        ws = scores.columns(s, e, cols)
        rc = weigh(ws)
        rc -= u(s, e) if callable(u) else u[s:e, None]
        rc -= vc[None, :]
        a, z = np.searchsorted(cand_r, [s, e])
        rc[cand_r[a:z] - s, cand_p[a:z]] = -np.inf
        violated = rc > tol
        n_violated += int(np.count_nonzero(violated))
        if n_violated:
            total += float(rc[violated].sum())
        # The best left-out pairs of each mentee in this block (violating or nearly:
        # the duals move when pairs are added, so near misses save pricing rounds),
        # and the worst violator of each mentor.
        pr, pc = np.nonzero(rc > -near)
        if len(pr):
            val = rc[pr, pc]
            keep_c = _topk_cols(np.arange(len(pr)), pc, val, per_mentee)[0]
            keep_r = _topk_cols(np.arange(len(pr)), pr, val, 1)[0]
            keep_r = keep_r[val[keep_r] > tol]
            keep = np.union1d(keep_c, keep_r)
            found_r.append(pr[keep] + s)
            found_c.append(cols[pc[keep]])
            found_s.append(ws[pr[keep], pc[keep]])
            found_rc.append(val[keep])
            held += len(keep)
            if held > 4 * per_mentee * len(cols) + 4 * model.n_mentors:
                # Keep memory bounded: only the best per mentee (and the worst violator
                # per mentor) can be returned, so merge what is held so far.
                found_r, found_c, found_s, found_rc = _merge_found(
                    found_r, found_c, found_s, found_rc, per_mentee, tol)
                held = len(found_r[0])
        report(lo + (hi - lo) * (b + 1) / len(blocks), "pricing left-out pairs")
    if not found_r or n_violated == 0:
        return total, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    r, c = np.concatenate(found_r), np.concatenate(found_c)
    sc, rcv = np.concatenate(found_s), np.concatenate(found_rc)
    keys, first = np.unique(r * ne + c, return_index=True)
    r, c, sc, rcv = r[first], c[first], sc[first], rcv[first]
    order = np.lexsort((-rcv, c))
    rank = np.arange(len(order)) - np.searchsorted(c[order], c[order])
    keep = order[rank < per_mentee]
    return total, r[keep], c[keep], sc[keep]


def _merge_found(found_r, found_c, found_s, found_rc, per_mentee, tol):
    """Reduce priced pairs to the ``per_mentee`` best of each mentee and each mentor's worst violator."""
    r, c = np.concatenate(found_r), np.concatenate(found_c)
    sc, rcv = np.concatenate(found_s), np.concatenate(found_rc)
    idx = np.arange(len(r))
    keep_c = _topk_cols(idx, c, rcv, per_mentee)[0]
    keep_r = _topk_cols(idx, r, rcv, 1)[0]
    keep = np.union1d(keep_c, keep_r[rcv[keep_r] > tol])
    return [r[keep]], [c[keep]], [sc[keep]], [rcv[keep]]


def _solve_components(model, rows, cols, weight):
    """Exact b-matching, one programme per large component and one for the rest."""
    labels, n_comp = component_labels(model.n_mentors, model.n_mentees, rows, cols)
    sizes = np.bincount(labels, minlength=n_comp)
    large = np.flatnonzero(sizes >= SPLIT_EDGES)
    groups = [np.flatnonzero(labels == g) for g in large]
    rest = np.flatnonzero(~np.isin(labels, large))
    if len(rest):
        groups.append(rest)
    chosen = np.zeros(len(rows), dtype=bool)
    u = np.zeros(model.n_mentors)
    v = np.zeros(model.n_mentees)
    for g in groups:
        x, gu, gv = solve_bmatching(model.capacity, model.demand, rows[g], cols[g], weight[g])
        chosen[g] = x
        u += gu
        v += gv
    return chosen, u, v, n_comp


def _solve_exact(model, rows, cols, weight, method):
    """Exact b-matching on the candidates: LAPJVsp when every demand is 1, else LP."""
    if method == "lap" or (method == "auto" and np.all(model.demand == 1)):
        chosen, u, v = solve_bmatching_lap(model.capacity, rows, cols, weight)
        v = np.r_[v, np.zeros(model.n_mentees - len(v))]
        return chosen, u, v, n_components(model.n_mentors, model.n_mentees, rows, cols)
    return _solve_components(model, rows, cols, weight)


EXACT_METHOD = "auto"        # "auto" | "lap" | "lp" (the LP path, kept for tests and demand > 1)


def _solve(model, params, report):
    """Choose pairs; return (rows, cols, scores, chosen, info, eligible count)."""
    scale, big = _scaling(model, params)
    n_pairs = model.n_mentors * model.n_mentees
    limit = NETWORK_FULL_LIMIT if params.network_rules else FULL_LIMIT
    full = params.solver == "exact" or (n_pairs <= limit and params.top_k is None)
    info = {"solver": params.solver, "score_resolution": 1.0 / scale, "pricing_rounds": 0,
            "priced_mentees": 0, "stopped": None}
    method = EXACT_METHOD
    if method == "auto" and not np.all(model.demand == 1):
        method = "lp"
    info["method"] = "lap" if method in ("auto", "lap") else "lp"
    scores = _Scores(model, cache_bytes=params.memory_budget // 2, keep_all=not full)
    times = {}
    t0 = time.perf_counter()
    if full:
        rows, cols, vals, count = _scan_all(model, scores, report, 0.1, 0.4)
        info["pruned"] = False
    else:
        k = params.top_k or (DEFAULT_TOP_K if model.n_mentees <= LARGE_ROUND else 2 * DEFAULT_TOP_K)
        k_mentor = int(2 * model.capacity.max())
        rows, cols, vals, count, tau, sigma = _scan_candidates(model, scores, k, k_mentor,
                                                               report, 0.1, 0.4)
        info["pruned"] = True
        info["top_k"] = k

    def weigh(x):
        out = np.rint(np.asarray(x, dtype=np.float64) * scale)
        out += big
        return out

    times["scan"] = time.perf_counter() - t0
    if params.network_rules:
        return _solve_network(model, params, report, info, scores, weigh, scale, big, full,
                              rows, cols, vals, count, None if full else (tau, sigma), times)
    weight = weigh(vals)
    t_solve = t_price = 0.0
    if params.solver == "greedy":
        chosen = greedy_bmatching(model.capacity, model.demand, rows, cols, weight)
        # u = 0 and v_j = best weight of mentee j is dual feasible for every pair.
        v = np.zeros(model.n_mentees)
        np.maximum.at(v, cols, weight)
        bound = dual_bound(model.capacity, model.demand, np.zeros(model.n_mentors), v, 0.0)
        info["n_components"] = n_components(model.n_mentors, model.n_mentees, rows, cols)
    else:
        ne = model.n_mentees
        if not full:
            # One resolution step of slack: a score recomputed in another block shape
            # may round differently in float32 (relative error ~1e-7).
            tau_w = np.where(np.isfinite(tau), weigh(np.where(np.isfinite(tau), tau, 0)) + 1.0,
                             -np.inf)
            sigma_w = np.where(np.isfinite(sigma),
                               weigh(np.where(np.isfinite(sigma), sigma, 0)) + 1.0,
                               np.where(sigma > 0, np.inf, -np.inf))
        while True:
            report(0.4 + 0.5 * (1 - 0.5 ** info["pricing_rounds"]), "solving the matching")
            t = time.perf_counter()
            chosen, u, v, info["n_components"] = _solve_exact(model, rows, cols, weight, method)
            t_solve += time.perf_counter() - t
            inside = float(np.maximum(0.0, weight - u[rows] - v[cols]).sum())
            if full:
                outside = 0.0
                break
            t = time.perf_counter()
            integral = np.all(u == np.rint(u)) and np.all(v == np.rint(v))
            tol = 0.5 if integral else 1e-7
            order = np.argsort(rows * ne + cols)
            rows, cols, vals, weight, chosen = (rows[order], cols[order], vals[order],
                                                weight[order], chosen[order])
            suspect = _screen(tau_w, sigma_w, u, v, tol)
            info["priced_mentees"] += len(suspect)
            outside, nr, nc, ns = _scan_price(model, scores, weigh, u, v, rows * ne + cols,
                                              suspect, tol, NEAR_MISS * scale, report, 0.4, 0.9)
            info["pricing_rounds"] += 1
            t_price += time.perf_counter() - t
            if len(nr) == 0 or info["pricing_rounds"] >= MAX_PRICING_ROUNDS:
                break
            need = _candidate_bytes(model, len(rows) + len(nr))
            if need > params.memory_budget:
                info["stopped"] = (
                    f"memory budget of {params.memory_budget / 2**20:.0f} MB reached after "
                    f"{info['pricing_rounds']} pricing round(s): {len(rows) + len(nr)} candidate "
                    f"pairs would need about {need / 2**20:.0f} MB; the result is the best on the "
                    f"candidates so far, within the reported upper bound of the optimum")
                break
            rows, cols = np.r_[rows, nr], np.r_[cols, nc]
            vals = np.r_[vals, ns]
            weight = np.r_[weight, weigh(ns)]
        bound = dual_bound(model.capacity, model.demand, u, v, inside + outside)
    info["scan_time"], info["match_time"], info["price_time"] = times["scan"], t_solve, t_price
    total = float(weight[chosen].sum())
    n_chosen = int(chosen.sum())
    info["candidate_edges"] = int(len(rows))
    info["certified"] = bool(bound <= total + 0.5)
    info["objective"] = (total - big * n_chosen) / scale
    info["upper_bound"] = max(info["objective"], (bound - big * n_chosen) / scale)
    if info["certified"]:
        info["upper_bound"] = info["objective"]
    return rows[chosen], cols[chosen], vals[chosen], info, count


def _candidate_bytes(model, n_edges):
    """Work memory of the exact solve on ``n_edges`` candidate pairs (arrays + expansion)."""
    mean_cap = float(model.capacity.mean()) if model.n_mentors else 1.0
    return int(n_edges * (48 + 40 * mean_cap))


def _solve_network(model, params, report, info, scores, weigh, scale, big, full,
                   rows, cols, vals, count, bounds, times):
    """The round with the programme's rules: min-cost flow on the candidates, priced."""
    info["method"] = "network"
    ne = model.n_mentees
    weight = weigh(vals)
    t_solve = t_price = 0.0
    country = model.country_code[1].astype(np.int64)
    if bounds is not None:
        tau, sigma = bounds
        tau_w = np.where(np.isfinite(tau), weigh(np.where(np.isfinite(tau), tau, 0)) + 1.0, -np.inf)
        sigma_w = np.where(np.isfinite(sigma), weigh(np.where(np.isfinite(sigma), sigma, 0)) + 1.0,
                           np.where(sigma > 0, np.inf, -np.inf))
    outside = 0.0
    while True:
        report(0.4 + 0.5 * (1 - 0.5 ** info["pricing_rounds"]), "solving the flow network")
        t = time.perf_counter()
        net = RoundNetwork(model, params, rows, cols, weight)
        chosen, _, ninfo = net.solve()
        t_solve += time.perf_counter() - t
        if full:
            break
        t = time.perf_counter()
        u_mentor, v, table = net.pair_duals()
        u_min = u_mentor.copy()
        utab = None
        if table:
            code_of = dict(zip(net.mentee_country.tolist(), country.tolist()))
            utab = np.repeat(u_mentor[:, None], int(country.max()) + 1, axis=1)
            for (i, c), val in table.items():
                utab[i, code_of[c]] = val
                u_min[i] = min(u_min[i], val)
        order = np.argsort(rows * ne + cols)
        rows, cols, vals, weight, chosen = (rows[order], cols[order], vals[order], weight[order],
                                            chosen[order])
        suspect = _screen(tau_w, sigma_w, u_min, v, 0.5)
        info["priced_mentees"] += len(suspect)
        u = u_min if utab is None else (lambda s, e, utab=utab, suspect=suspect: utab[s:e][:, country[suspect]])
        outside, nr, nc, ns = _scan_price(model, scores, weigh, u, v, rows * ne + cols, suspect,
                                          0.5, NEAR_MISS * scale, report, 0.4, 0.9)
        info["pricing_rounds"] += 1
        t_price += time.perf_counter() - t
        if len(nr) == 0 or info["pricing_rounds"] >= MAX_PRICING_ROUNDS:
            break
        rows, cols = np.r_[rows, nr], np.r_[cols, nc]
        vals = np.r_[vals, ns]
        weight = np.r_[weight, weigh(ns)]
    info["scan_time"], info["match_time"], info["price_time"] = times["scan"], t_solve, t_price
    total = float(weight[chosen].sum())
    n_chosen = int(chosen.sum())
    bound = -ninfo["dual"] + outside
    info["candidate_edges"] = int(len(rows))
    info["n_components"] = n_components(model.n_mentors, ne, rows, cols)
    info["certified"] = bool(bound <= total + 0.5 and abs(ninfo["dual"] - ninfo["objective"]) < 0.5)
    info["objective"] = (total - big * n_chosen) / scale
    info["upper_bound"] = max(info["objective"], (bound - big * n_chosen) / scale)
    if info["certified"]:
        info["upper_bound"] = info["objective"]
    info["network"] = net
    return rows[chosen], cols[chosen], vals[chosen], info, count


def _rule_notes(model, params, i, j, binding):
    """Codes and sentences of the programme's rules that shaped pair (mentor i, mentee j)."""
    people = model.participants
    mentor, mentee = people[model.mentors[i]], people[model.mentees[j]]
    codes, notes = [], []
    if params.cross_commission != "off" and mentor.commission and mentee.commission \
            and mentor.commission != mentee.commission:
        codes.append("cross_commission")
        verb = "requires" if params.cross_commission == "required" else "rewards"
        notes.append(f"The pair crosses commissions ({mentor.commission.replace('_', ' ')} and "
                     f"{mentee.commission.replace('_', ' ')}), which this round {verb}.")
    if binding is None:
        return codes, notes
    if params.priority_floor > 0 and mentee.priority > 1:
        codes.append("priority_floor")
        notes.append(f"It counts toward the share of places the round reserves for priority "
                     f"mentees (at least {params.priority_floor:.0%}).")
    if params.min_per_region > 0 and ("region", mentee.region or "(none)") in binding["floor"]:
        codes.append("min_per_region")
        notes.append(f"It counts toward the minimum of {params.min_per_region} pairs for "
                     f"{mentee.region or 'cities without a region'}.")
    if mentee.country in binding["country"]:
        codes.append("max_per_country")
        notes.append(f"{mentee.country} reached the round's limit of {params.max_per_country} "
                     f"mentees per country.")
    return codes, notes


def _make_pairs(model, params, rows, cols, binding=None):
    people = model.participants
    pairs = []
    if len(rows) == 0:
        return pairs
    parts, contrib = model.pair_components(np.asarray(rows), np.asarray(cols))
    areas = [str(a) for a in model.features.areas_]
    # Focus areas of every pair: contributing areas, largest first, ties by position.
    order = np.argsort(-contrib, axis=1, kind="stable")
    n_pos = (contrib > 0).sum(axis=1).tolist()
    order = order.tolist()
    names = list(parts)
    values = list(zip(*(parts[name].tolist() for name in names)))
    mentor_of = model.mentors[rows].tolist()
    mentee_of = model.mentees[cols].tolist()
    for e in range(len(rows)):
        mentor, mentee = people[mentor_of[e]], people[mentee_of[e]]
        comp = dict(zip(names, values[e]))
        focus = tuple(areas[a] for a in order[e][:n_pos[e]])
        text = explain_pair(mentor, mentee, focus, params.label, comp)
        codes, notes = _rule_notes(model, params, rows[e], cols[e], binding)
        pairs.append(Pair(mentor=mentor.id, mentee=mentee.id, score=float(sum(comp.values())),
                          components=comp, areas=focus,
                          explanation=" ".join([text, *notes]), rules=tuple(codes)))
    pairs.sort(key=lambda p: (p.mentee, -p.score, p.mentor))
    return pairs


def _ineligible_detail(model, j, counts):
    """The English sentence and the facts behind it for a mentee no mentor may help."""
    p = model.participants[model.mentees[j]]
    params = model.params
    rule = next(r for r in RULES if counts[r] == 0)
    facts = {"rule": rule, "candidates": 0}
    if rule == "needs":
        if not any(p.need.values()):
            facts["rule"] = "no_need"
            return f"{p.name} states no need in any area, so no mentor can be proposed.", facts
        return (f"No mentor in this round teaches (at level 3-4, in its can-mentor areas) an area "
                f"where {p.name} has a need above its own level."), facts
    if rule == "language":
        facts["languages"] = list(p.languages)
        langs = ", ".join(language_name(c) for c in p.languages) or "none given"
        return (f"No mentor who could help {p.name} shares one of its working languages "
                f"({langs}); shared language is required."), facts
    if rule == "country":
        facts["country"] = p.country
        return (f"The only mentors who could help {p.name} are in the same country ({p.country}); "
                f"same-country pairs are not allowed."), facts
    if rule == "exclusion":
        return (f"The only mentors who could help {p.name} are excluded for it "
                f"(exclude list or previous pairs)."), facts
    if rule == "commission":
        return (f"The only mentors who could help {p.name} take part through the same commission "
                f"(or none); the round requires pairs that cross commissions."), facts
    facts["min_score"] = float(params.min_score)
    return f"No mentor who could help {p.name} reaches the minimum score of {params.min_score:g}.", facts


def _mentor_country_blocked(net, model, j, binding):
    """Whether a candidate mentor of mentee j has a free place but its country quota is full."""
    country = net.mentee_country[j]
    load = net.__dict__.get("_load")
    if load is None:
        used = [net.arcs[k][2]["edge"] for k in net.pair_arc if net.flow[k] > 0.5]
        load = net._load = np.bincount(net.rows[used], minlength=model.n_mentors)
    mentors = net.rows[net.cols == j]
    return any(load[i] < model.capacity[i] and (i, country) in binding["mentor_country"]
               for i in mentors.tolist())


def _floor_label(group, params):
    if group[0] == "priority":
        return f"at least {params.priority_floor:.0%} of the places for priority mentees"
    return f"at least {params.min_per_region} pairs for {group[1]}"


def _floor_facts(group, params):
    if group[0] == "priority":
        return {"kind": "priority", "share": float(params.priority_floor)}
    return {"kind": "region", "region": group[1], "pairs": int(params.min_per_region)}


def _coverage_by(groups, matched):
    out = {}
    for key in sorted(set(groups)):
        sel = [m for g, m in zip(groups, matched) if g == key]
        out[key] = sum(sel) / len(sel)
    return out


def propose(participants, params=None, progress=None, *, area_labels=None):
    """Propose mentor -> mentee pairs for a round.

    Parameters
    ----------
    participants : sequence of Participant or dict, or a JSON Lines path
    params : MatchParams, optional
        Rules and options; defaults to ``MatchParams()``.
    progress : callable, optional
        Called as ``progress(fraction, message)`` while working (fraction in [0, 1]).
    area_labels : mapping, optional
        Readable labels of area keys for explanations (overrides ``params.area_labels``).

    Returns
    -------
    MatchResult

    Raises
    ------
    InvalidInput
        A record or parameter is invalid.
    Infeasible
        The round has no potential mentor or no potential mentee.

    Notes
    -----
    Scoring is O(n_mentors * n_mentees * (4 * n_areas + text dimension)) in BLAS, in
    blocks of 1M pairs (the dense matrix is never held). The solve is an exact sparse
    assignment (LAPJVsp) on the candidate pairs (all eligible pairs for small rounds,
    ``top_k`` per mentee for large ones plus priced additions), or a linear programme
    when ``mentors_per_mentee > 1``; one or two pricing rounds are typical.

    Examples
    --------
    >>> from matching import Participant, MatchParams
    >>> cities = [
    ...     Participant(id="lyon", name="Lyon", country="FR", languages=["fr"],
    ...                 maturity={"open_data": 4}, can_mentor=["open_data"], capacity=1),
    ...     Participant(id="dakar", name="Dakar", country="SN", languages=["fr"],
    ...                 need={"open_data": 3}, wants_mentor=True),
    ...     Participant(id="lima", name="Lima", country="PE", languages=["es"],
    ...                 need={"open_data": 2}, wants_mentor=True)]
    >>> result = propose(cities)
    >>> [(p.mentor, p.mentee, p.areas) for p in result.pairs]
    [('lyon', 'dakar', ('open_data',))]
    >>> result.unmatched[0].mentee, result.unmatched[0].reason
    ('lima', 'no_eligible_mentor')
    >>> result.metrics["certified"], result.metrics["coverage"]
    (True, 0.5)
    """
    # Pause the cyclic garbage collector while proposing: a full collection (which
    # walks every live object, typically triggered by the caller's freshly built
    # records) costs ~50 ms at 2,000 cities, half the time budget. It runs again,
    # as usual, once the round is done; nothing here creates reference cycles.
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        return _propose(participants, params, progress, area_labels)
    finally:
        if gc_enabled:
            gc.enable()


def _propose(participants, params, progress, area_labels):
    started = time.perf_counter()
    participants = read_participants(participants)
    if params is None:
        params = MatchParams()
    elif not isinstance(params, MatchParams):
        raise InvalidInput("params must be a MatchParams (use MatchParams.from_dict for a dict)")
    if area_labels is not None:
        params = dataclasses.replace(params, area_labels=area_labels)
    report = _Progress(progress)
    report(0.0, "reading profiles")
    model = build_model(participants, params)
    t_features = time.perf_counter()
    rows, cols, _, info, count = _solve(model, params, report)
    t_solved = time.perf_counter()
    report(0.95, "explaining pairs")
    net = info.pop("network", None)
    binding = net.binding() if net is not None else None
    load = np.bincount(rows, minlength=model.n_mentors)
    got = np.bincount(cols, minlength=model.n_mentees)
    if binding is not None:  # a full country decided only if one of its mentees with a mentor waits
        binding["country"] &= set(net.mentee_country[(got == 0) & (np.asarray(count) > 0)].tolist())
    pairs = _make_pairs(model, params, rows, cols, binding)
    people = model.participants
    unmatched = []
    for j in np.flatnonzero(got == 0).tolist():
        mentee = people[model.mentees[j]]
        candidates = int(count[j])
        if candidates == 0:
            detail, facts = _ineligible_detail(model, j, model.rule_counts(j))
            unmatched.append(Unmatched(mentee.id, "no_eligible_mentor", detail, facts))
        elif binding is not None and mentee.country in binding["country"]:
            unmatched.append(Unmatched(mentee.id, "rule_max_per_country", (
                f"{candidates} mentor(s) could help {mentee.name}, but the round matches at "
                f"most {params.max_per_country} mentees from {mentee.country} (a programme rule) "
                f"and that many are matched."), {"candidates": candidates, "country": mentee.country,
                                                 "max_per_country": params.max_per_country}))
        elif binding is not None and _mentor_country_blocked(net, model, j, binding):
            unmatched.append(Unmatched(mentee.id, "rule_max_per_mentor_country", (
                f"{candidates} mentor(s) could help {mentee.name}, but those with a free place "
                f"already take {params.max_per_mentor_country} mentee(s) from {mentee.country}, "
                f"the most one mentor may take from a country (a programme rule)."),
                {"candidates": candidates, "country": mentee.country,
                 "max_per_mentor_country": params.max_per_mentor_country}))
        else:
            floor, floors = "", []
            if binding is not None and binding["floor"]:
                groups = sorted(binding["floor"])
                floors = [_floor_facts(g, params) for g in groups]
                floor = (" Some places are reserved by the programme's floors ("
                         + ", ".join(_floor_label(g, params) for g in groups) + ").")
            unmatched.append(Unmatched(mentee.id, "capacity", (
                f"{candidates} mentor(s) could help {mentee.name}, but their places go to "
                f"other mentees in the best round under the chosen objective." + floor),
                {"candidates": candidates, "floors": floors}))
    mentees = [people[i] for i in model.mentees]
    matched = (got > 0).tolist()
    capacity_total = int(model.capacity.sum())
    metrics = {
        "objective_name": params.objective,
        "objective": info["objective"],
        "upper_bound": info["upper_bound"],
        "certified": info["certified"],
        "total_score": float(sum(p.score for p in pairs)),
        "score_resolution": info["score_resolution"],
        "n_pairs": len(pairs),
        "n_mentors": model.n_mentors,
        "n_mentees": model.n_mentees,
        "n_matched_mentees": int(sum(matched)),
        "coverage": sum(matched) / model.n_mentees,
        "coverage_by_region": _coverage_by([m.region or "(none)" for m in mentees], matched),
        "coverage_by_priority": _coverage_by([f"{m.priority:g}" for m in mentees], matched),
        "mentor_load": {
            "mean": float(load.mean()), "max": int(load.max()),
            "n_used": int((load > 0).sum()), "n_full": int((load >= model.capacity).sum()),
            "utilisation": float(load.sum() / capacity_total) if capacity_total else 0.0,
        },
        "solver": params.solver,
        "pruned": info["pruned"],
        "pricing_rounds": info["pricing_rounds"],
        "priced_mentees": info["priced_mentees"],
        "exact_method": info["method"],
        "candidate_edges": info["candidate_edges"],
        "n_components": int(info["n_components"]),
        "features_time": t_features - started,
        "solve_time": t_solved - t_features,
        "scan_time": info["scan_time"],
        "match_time": info["match_time"],
        "price_time": info["price_time"],
        "total_time": time.perf_counter() - started,
    }
    if binding is not None:  # which rules held the round back (for the unmatched mentees' reasons)
        metrics["binding_rules"] = {"max_per_country": sorted(binding["country"]),
                                    "floors": [list(g) for g in sorted(binding["floor"])]}
    if info.get("stopped"):
        metrics["stopped"] = info["stopped"]
    report(1.0, "done")
    return MatchResult(pairs=pairs, unmatched=unmatched, metrics=metrics, params=params.to_dict())


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
    pairs = _make_pairs(model, params, rows, np.zeros(len(rows), dtype=np.int64))
    return sorted(pairs, key=lambda p: (-p.score, p.mentor))
