"""Scores of all pairs, block by block, and the candidate pairs of a round.

The scan computes every eligible pair's score once, in blocks of whole mentor rows
(``BLOCK_ENTRIES`` scores at a time; two threads from ``THREAD_PAIRS`` pairs), and keeps
for each mentee its best mentors (the candidates, and behind them the reserve, with their
scores) and for each mentor its best mentees, with the thresholds ``tau`` (per mentee) and
``sigma`` (per mentor) that bound every pair left out (see :mod:`matching.pricing`).
"""

import copy
import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["Scores", "kth", "row_blocks", "scan_all", "scan_candidates", "topk_cols"]

BLOCK_ENTRIES = 1 << 20      # scores computed at once (4 MB of float32: elementwise passes stay in cache)


PRICE_CACHE_ENTRIES = 1 << 27  # suspect columns' scores kept between pricing rounds (512 MB)


ROW_SAMPLE = 16               # mentor thresholds from 1/ROW_SAMPLE of the mentees


THREAD_PAIRS = 1 << 24         # from this many pairs (16M) the scan runs on two threads


PRIME_GROUPS = 16             # mentee thresholds: median of the best of 16 groups of mentor rows ...


PRIME_EXCESS = 1.5            # ... sized for about 1.5 x depth kept pairs a mentee


def row_blocks(model, n_cols=None):
    n_cols = model.n_mentees if n_cols is None else n_cols
    step = max(1, min(model.n_mentors, BLOCK_ENTRIES // max(n_cols, 1)))
    return [(s, min(s + step, model.n_mentors)) for s in range(0, model.n_mentors, step)]


class Scores:
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
        self.kept_rows = 0       # rows of all_scores filled (all once the scan is over)

    def block(self, s, e, model=None):
        """Scores of mentors ``s:e`` (all mentees), by ``model`` (this one, or a copy with
        its own buffers in another thread); kept when every pair's score is kept."""
        model = self.model if model is None else model
        if self.all_scores is not None:
            return model.masked_block(s, e, out=self.all_scores[s:e])
        return model.masked_block(s, e)

    def filled(self):
        """The scan has passed every block: the kept scores (if any) are complete."""
        self.kept_rows = self.model.n_mentors

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


def order_by_col_then_value(c, v):
    """Order of entries by column, best value first (deterministic)."""
    if v.dtype == np.float32 and len(v):
        # One float64 key sorts ~10x faster than lexsort; exact for float32 values.
        lo, hi = float(v.min()), float(v.max())
        key = c * (hi - lo + 1.0) + (hi - v.astype(np.float64))
        return np.argsort(key)
    return np.lexsort((-v, c))


_LOW = np.uint64(0xFFFFFFFF)


def _sorted_keys(c, v):
    """Keys ``column << 32 | ~bits(value)`` sorted (columns, then values best first), or
    None unless every value is a finite float32 >= +0 (whose bits order like the values).

    ``np.sort`` of integers is several times faster than an ``argsort``.
    """
    if v.dtype != np.float32 or not len(v):
        return None
    bits = v.view(np.uint32)
    if bits.max() > 0x7F7FFFFF:              # a negative, -0.0, infinite or NaN value
        return None
    key = c.astype(np.uint64) << np.uint64(32)
    key |= _LOW - bits
    key.sort()
    return key


def _ranks(groups):
    """Rank of each entry within its run of equal values of sorted ``groups``."""
    n = len(groups)
    first = np.ones(n, dtype=bool)
    np.not_equal(groups[1:], groups[:-1], out=first[1:])
    start = np.where(first, np.arange(n), 0)
    np.maximum.accumulate(start, out=start)
    return np.arange(n) - start


def _kth_bits(key, c, k):
    """(columns, bits of their k-th best value, position of its first key) from the sorted
    keys of columns ``c``; columns with fewer than k entries are absent."""
    counts = np.bincount(c)
    cols = np.flatnonzero(counts >= k)
    at = (np.cumsum(counts) - counts)[cols] + (k - 1)
    kkey = key[at]
    first = np.searchsorted(key, kkey)                   # ties at the k-th value start here
    return cols, (_LOW - (kkey & _LOW)).astype(np.int64), first - at + (k - 1)


def topk_cols(r, c, v, k):
    """Keep the ``k`` best entries of each column."""
    key = _sorted_keys(c, v)
    if key is None:
        order = order_by_col_then_value(c, v)
        cs = c[order]
        rank = np.arange(len(order)) - np.searchsorted(cs, cs)
        keep = order[rank < k]
        return r[keep], c[keep], v[keep]
    cols, kbits, above = _kth_bits(key, c, k)
    limit = np.full(int(c.max()) + 1, -1, dtype=np.int64)     # -1: fewer than k, keep all
    limit[cols] = kbits
    bits = v.view(np.uint32).astype(np.int64)
    at = limit[c]
    keep = bits > at
    # Ties at the k-th value: as many as needed, first entries first.
    tied = np.flatnonzero(bits == at)
    if len(tied):
        need = np.zeros(len(limit), dtype=np.int64)
        need[cols] = k - above
        tk = np.sort((c[tied].astype(np.uint64) << np.uint64(32)) | tied.astype(np.uint64))
        tc = (tk >> np.uint64(32)).astype(np.int64)
        keep[(tk[_ranks(tc) < need[tc]] & _LOW).astype(np.int64)] = True
    keep = np.flatnonzero(keep)
    return r[keep], c[keep], v[keep]


def kth(c, v, k, n):
    """k-th best value per column of sparse (c, v) (``-inf`` if fewer than k)."""
    out = np.full(n, -np.inf)
    if len(c) == 0:
        return out
    key = _sorted_keys(c, v)
    if key is not None:
        cols, kbits, _ = _kth_bits(key, c, k)
        out[cols] = kbits.astype(np.uint32).view(np.float32)
        return out
    order = order_by_col_then_value(c, v)
    cs = c[order]
    rank = np.arange(len(order)) - np.searchsorted(cs, cs)
    sel = order[rank == k - 1]
    out[c[sel]] = v[sel]
    return out


def _own_buffers(model):
    """The same model with its own work buffers (for another thread)."""
    view = copy.copy(model)
    view.__dict__.pop("_buffers", None)
    return view


def _scan_rows(blocks, model, scores, thr, depth, km, sigma, sigma_lo, pool_entries, report=None):
    """The scan of :func:`scan_candidates` over ``blocks`` (consecutive): the pool of each
    mentee's best (all pairs at or above its returned ``thr``, at most ``depth`` each), the
    eligible counts, and each row's best ``km`` (``sigma`` filled for these rows)."""
    ne = model.n_mentees
    thr = thr.copy()
    count = np.zeros(ne, dtype=np.int64)
    pool_r, pool_c, pool_v = [], [], []
    pending = 0
    row_r, row_c, row_v = [], [], []
    for b, (s, e) in enumerate(blocks):
        ws = scores.block(s, e, model)
        flat = ws.ravel()
        ok = ws > -np.inf
        for a in range(0, e - s, 255):                 # uint8 sums of at most 255 rows
            count += np.add.reduce(ok[a:a + 255].view(np.uint8), axis=0, dtype=np.uint8)
        idx = np.flatnonzero(ws >= thr[None, :])
        r, c = np.divmod(idx, ne)
        pool_r.append((r + s).astype(np.int32))
        pool_c.append(c.astype(np.int32))
        pool_v.append(flat[idx])
        pending += len(idx)
        if pending > pool_entries or b == len(blocks) - 1:
            pr, pc, pv = topk_cols(np.concatenate(pool_r), np.concatenate(pool_c),
                                    np.concatenate(pool_v), depth)
            pool_r, pool_c, pool_v, pending = [pr], [pc], [pv], len(pr)
            # Each mentee's depth-th best: pairs below it (or equal, left out) are never needed.
            np.maximum(thr, np.nextafter(kth(pc, pv, depth, ne).astype(np.float32), np.float32(np.inf)),
                       out=thr)
        if km:
            if sigma_lo is not None:
                idx = np.flatnonzero(ws >= np.maximum(sigma_lo[s:e], np.float32(-3e38))[:, None])
                rr, cc = np.divmod(idx, ne)
                cc, rr, vv = topk_cols(cc, rr, flat[idx], km)      # exact top km of each row
                sigma[s:e] = kth(rr, vv, km, e - s)
            elif ne > km:
                sig = np.partition(ws, ne - km, axis=1)[:, ne - km]
                rr, cc = np.divmod(np.flatnonzero((ws >= sig[:, None]) & ok), ne)
                vv = ws[rr, cc]
                sigma[s:e] = sig
            else:
                rr, cc = np.divmod(np.flatnonzero(ok), ne)
                vv = ws[rr, cc]
            row_r.append(rr + s)
            row_c.append(cc)
            row_v.append(vv)
        if report is not None:
            callback, lo, hi = report
            callback(lo + (hi - lo) * (b + 1) / len(blocks), "finding candidate mentors")
    return {"r": pool_r[0], "c": pool_c[0], "v": pool_v[0], "thr": thr, "count": count,
            "row_r": row_r, "row_c": row_c, "row_v": row_v}


def _depth_estimate(model, depth, target):
    """Per mentee, a score with about ``target`` of its pairs above it (``-inf`` if unsure).

    The median over ``PRIME_GROUPS`` groups of ``g`` consecutive mentor rows (spread over
    all mentors) of each mentee's best score in the group: a group's best is above the
    ``q``-quantile with probability ``1 - q**g``, so the median sits near the top
    ``ln 2 / g`` of the mentee's scores. Costs the scoring of about ``0.7 * n_mentors *
    PRIME_GROUPS / target`` rows. An estimate, not a bound: the scan keeps every pair
    at or above it, so a mentee estimated too high just keeps fewer.
    """
    nm, ne = model.n_mentors, model.n_mentees
    g = int(np.log(2) * nm / max(target, 1))
    thr = np.full(ne, -np.inf, dtype=np.float32)
    if g < 2 or PRIME_GROUPS * g * 8 > nm:
        return thr
    best = np.empty((PRIME_GROUPS, ne), dtype=np.float32)
    step = max(1, BLOCK_ENTRIES // ne)
    for q in range(PRIME_GROUPS):
        s0 = q * nm // PRIME_GROUPS
        best[q] = -np.inf
        for s in range(s0, s0 + g, step):
            np.maximum(best[q], model.masked_block(s, min(s + step, s0 + g)).max(axis=0), out=best[q])
    half = PRIME_GROUPS // 2
    return np.partition(best, half, axis=0)[half]


def scan_all(model, scores, report, lo, hi):
    """Every eligible pair (rows, cols, float32 scores) and eligible counts per mentee."""
    rows, cols, vals = [], [], []
    count = np.zeros(model.n_mentees, dtype=np.int64)
    blocks = row_blocks(model)
    for b, (s, e) in enumerate(blocks):
        ws = scores.block(s, e)
        ok = ws > -np.inf
        r, c = np.nonzero(ok)
        rows.append(r + s)
        cols.append(c)
        vals.append(ws[r, c])
        count += ok.sum(axis=0)
        report(lo + (hi - lo) * (b + 1) / len(blocks), "scoring pairs")
    scores.filled()
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), count


def scan_candidates(model, scores, k, k_mentor, depth, report, lo, hi, pool_entries=None):
    """Candidate pairs, the *reserve* behind them and the thresholds bounding every other pair.

    One pass over all pairs, block by block (a block holds whole mentor rows),
    without sorting blocks. For each mentee the ``depth`` best mentors are kept with
    their scores (``depth >= k``): an entry is kept only if it beats the running
    ``depth``-th best of its mentee (a lower bound of the final one), and the kept
    entries are cut back to the exact best ``depth`` whenever they pass
    ``pool_entries``. For each mentor its ``k_mentor`` best mentees are kept: an
    entry is looked at only if it reaches a lower bound of the mentor's
    ``k_mentor``-th best, taken beforehand on a sample of mentees.

    The candidates (the solver's pairs) are each mentee's ``k`` best and each mentor's
    list; the reserve is the rest of the mentees' ``depth`` best: pricing checks them
    from their stored scores, without scoring them again.

    Returns rows, cols, scores of the candidates (sorted by ``row * n_mentees + col``),
    eligible counts per mentee, ``tau`` (per mentee) and ``sigma`` (per mentor) such
    that every pair in neither set scores at most ``min(tau[j], sigma[i])`` (``-inf``
    when nothing is left out), and the reserve ``(rows, cols, scores)`` (int32,
    int32, float32, sorted the same way).
    """
    nm, ne = model.n_mentors, model.n_mentees
    k = min(k, nm)
    depth = max(k, min(depth, nm))
    km = min(k_mentor, ne)
    pool_entries = max(2 * depth * ne, BLOCK_ENTRIES) if pool_entries is None else pool_entries
    count = np.zeros(ne, dtype=np.int64)
    blocks = row_blocks(model)
    sigma = np.full(nm, -np.inf, dtype=np.float32)
    # Lower bound of each mentor's km-th best, from a sample of mentees (cheap: a
    # partition of every full row would cost more than scoring it).
    sigma_lo = np.full(nm, -np.inf, dtype=np.float32)
    exact_rows = km and ne > 2 * ROW_SAMPLE * km
    if exact_rows:
        n_sample = max(4 * km, ne // ROW_SAMPLE)
        sample = np.sort(np.random.default_rng(0).choice(ne, size=n_sample, replace=False))
        view = model.column_view(sample)
        for s, e in row_blocks(model, n_sample):
            part = view.masked_block(s, e)
            sigma_lo[s:e] = np.partition(part, n_sample - km, axis=1)[:, n_sample - km]
    # thr: every pair of a mentee scoring at least thr[j] is kept (-inf: all). It starts from
    # an estimate of the depth-th best, so that the pool stays near depth entries a mentee.
    thr = np.maximum(_depth_estimate(model, depth, PRIME_EXCESS * depth), np.float32(-3e38))
    part = functools.partial(_scan_rows, scores=scores, thr=thr, depth=depth, km=km,
                             sigma=sigma, sigma_lo=sigma_lo if exact_rows else None,
                             pool_entries=pool_entries)
    if nm * ne >= THREAD_PAIRS and len(blocks) > 1 and (os.cpu_count() or 1) > 1:
        # Two halves of the rows at once (numpy and BLAS release the GIL); only this
        # thread reports progress (the caller's callback may not be thread-safe).
        half = len(blocks) // 2
        with ThreadPoolExecutor(1) as pool:
            other = pool.submit(part, blocks[half:], model=_own_buffers(model))
            parts = [part(blocks[:half], model=model, report=(report, lo, lo + (hi - lo) / 2))]
            parts.append(other.result())
        report(hi, "finding candidate mentors")
    else:
        parts = [part(blocks, model=model, report=(report, lo, hi))]
    scores.filled()
    count = sum(p["count"] for p in parts)
    res_r, res_c, res_v = (np.concatenate([p[name] for p in parts]) for name in ("r", "c", "v"))
    if len(parts) > 1:
        res_r, res_c, res_v = topk_cols(res_r, res_c, res_v, depth)
    thr = np.maximum.reduce([p["thr"] for p in parts])
    np.maximum(thr, np.nextafter(kth(res_c, res_v, depth, ne).astype(np.float32), np.float32(np.inf)),
               out=thr)
    tau = np.where(count > np.bincount(res_c, minlength=ne), thr, -np.inf)
    row_r, row_c, row_v = (sum((p[name] for p in parts), []) for name in ("row_r", "row_c", "row_v"))
    r1, c1, v1 = topk_cols(res_r, res_c, res_v, k)
    if km:
        r2, c2, v2 = np.concatenate(row_r), np.concatenate(row_c), np.concatenate(row_v)
        sigma = sigma.astype(np.float64)
    else:
        r2 = c2 = np.zeros(0, np.int64)
        v2 = np.zeros(0, np.float32)
        sigma = np.full(nm, np.inf)
    rows = np.concatenate([r1, r2]).astype(np.int64)
    colz = np.concatenate([c1, c2]).astype(np.int64)
    vals = np.concatenate([v1, v2])
    keys, first = np.unique(rows * ne + colz, return_index=True)
    # The reserve: the mentees' lists (sorted by key: blocks come in row order) less the candidates.
    res_keys = res_r.astype(np.int64) * ne + res_c
    at = np.minimum(np.searchsorted(keys, res_keys), len(keys) - 1)
    rest = keys[at] != res_keys
    del res_keys, at
    reserve = res_r[rest], res_c[rest], res_v[rest]
    return keys // ne, keys % ne, vals[first], count, tau, sigma, reserve
