"""Scores of all pairs, block by block, and the candidate pairs of a round.

The scan computes every eligible pair's score once, in blocks of whole mentor rows
(``BLOCK_ENTRIES`` scores at a time), and keeps for each mentee its best mentors and
for each mentor its best mentees, with the thresholds ``tau`` (per mentee) and
``sigma`` (per mentor) that bound every pair left out (see :mod:`matching.pricing`).
"""

import numpy as np

__all__ = ["Scores", "kth", "row_blocks", "scan_all", "scan_candidates", "topk_cols"]

BLOCK_ENTRIES = 1 << 20      # scores computed at once (4 MB of float32: elementwise passes stay in cache)


PRICE_CACHE_ENTRIES = 1 << 27  # suspect columns' scores kept between pricing rounds (512 MB)


COL_SAMPLE_PAIRS = 1 << 26     # above this many pairs, mentee thresholds start from a sample


ROW_SAMPLE = 16               # mentor thresholds from 1/ROW_SAMPLE of the mentees


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
        self.kept_rows = 0       # rows of all_scores filled so far (the scan goes in order)

    def block(self, s, e, cols=None):
        if cols is None and self.all_scores is not None and s == self.kept_rows:
            self.kept_rows = e
            return self.model.masked_block(s, e, out=self.all_scores[s:e])
        return self.model.masked_block(s, e, cols)

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


def _kth_bits(key, k):
    """(columns, bits of their k-th best value) from sorted keys; columns with fewer than k
    entries are absent."""
    sel = _ranks(key >> np.uint64(32)) == k - 1
    return (key[sel] >> np.uint64(32)).astype(np.int64), (_LOW - (key[sel] & _LOW)).astype(np.int64)


def topk_cols(r, c, v, k):
    """Keep the ``k`` best entries of each column."""
    key = _sorted_keys(c, v)
    if key is None:
        order = order_by_col_then_value(c, v)
        cs = c[order]
        rank = np.arange(len(order)) - np.searchsorted(cs, cs)
        keep = order[rank < k]
        return r[keep], c[keep], v[keep]
    cols, kbits = _kth_bits(key, k)
    limit = np.full(int(c.max()) + 1, -1, dtype=np.int64)     # -1: fewer than k, keep all
    limit[cols] = kbits
    bits = v.view(np.uint32).astype(np.int64)
    at = limit[c]
    above = bits > at
    # Ties at the k-th value: as many as needed, first entries first.
    tied = np.flatnonzero(bits == at)
    if len(tied):
        need = k - np.bincount(c[above], minlength=len(limit))
        tk = np.sort((c[tied].astype(np.uint64) << np.uint64(32)) | tied.astype(np.uint64))
        tc = (tk >> np.uint64(32)).astype(np.int64)
        chosen = (tk[_ranks(tc) < need[tc]] & _LOW).astype(np.int64)
        keep = np.sort(np.r_[np.flatnonzero(above), chosen])
    else:
        keep = np.flatnonzero(above)
    return r[keep], c[keep], v[keep]


def kth(c, v, k, n):
    """k-th best value per column of sparse (c, v) (``-inf`` if fewer than k)."""
    out = np.full(n, -np.inf)
    if len(c) == 0:
        return out
    key = _sorted_keys(c, v)
    if key is not None:
        cols, kbits = _kth_bits(key, k)
        out[cols] = kbits.astype(np.uint32).view(np.float32)
        return out
    order = order_by_col_then_value(c, v)
    cs = c[order]
    rank = np.arange(len(order)) - np.searchsorted(cs, cs)
    sel = order[rank == k - 1]
    out[c[sel]] = v[sel]
    return out


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
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), count


def scan_candidates(model, scores, k, k_mentor, report, lo, hi):
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
    blocks = row_blocks(model)
    sigma = np.full(nm, -np.inf, dtype=np.float32)
    # Lower bound of each mentor's km-th best, from a sample of mentees (cheap: a
    # partition of every full row would cost more than scoring it).
    sigma_lo = np.full(nm, -np.inf, dtype=np.float32)
    if km and ne > 2 * ROW_SAMPLE * km:
        n_sample = max(4 * km, ne // ROW_SAMPLE)
        sample = np.sort(np.random.default_rng(0).choice(ne, size=n_sample, replace=False))
        view = model.column_view(sample)
        for s, e in row_blocks(model, n_sample):
            part = view.masked_block(s, e)
            sigma_lo[s:e] = np.partition(part, n_sample - km, axis=1)[:, n_sample - km]
    thr = np.full(ne, -np.inf, dtype=np.float32)
    if nm * ne > COL_SAMPLE_PAIRS and nm > 2 * k:
        # Large round: start from the k-th best of each mentee over the first rows
        # (a lower bound), else early blocks keep too much while the bound is weak.
        h = min(nm, max(4096, nm // 8))
        step = max(1, BLOCK_ENTRIES // h)
        for a in range(0, ne, step):
            part = model.column_view(np.arange(a, min(a + step, ne))).masked_block(0, h)
            thr[a:a + part.shape[1]] = np.partition(np.ascontiguousarray(part.T), h - k, axis=1)[:, h - k]
    pool_r, pool_c, pool_v = [], [], []
    pending = 0
    row_r, row_c, row_v = [], [], []
    exact_rows = km and ne > 2 * ROW_SAMPLE * km
    for b, (s, e) in enumerate(blocks):
        ws = scores.block(s, e)
        flat = ws.ravel()
        ok = ws > -np.inf
        for a in range(0, e - s, 255):                 # uint8 sums of at most 255 rows
            count += np.add.reduce(ok[a:a + 255].view(np.uint8), axis=0, dtype=np.uint8)
        if b == 0 and e - s > k and not np.isfinite(thr).any():
            # Start from the k-th best over the first rows (a lower bound).
            h = min(e - s, max(4 * k, 256))
            thr = np.partition(np.ascontiguousarray(ws[:h].T), h - k, axis=1)[:, h - k]
            idx = np.flatnonzero((ws >= thr[None, :]) & ok)
        else:
            idx = np.flatnonzero(ws > thr[None, :])
        r, c = np.divmod(idx, ne)
        pool_r.append(r + s)
        pool_c.append(c)
        pool_v.append(flat[idx])
        pending += len(r)
        if pending > 2 * k * ne or b == len(blocks) - 1:
            pr, pc, pv = topk_cols(np.concatenate(pool_r), np.concatenate(pool_c),
                                    np.concatenate(pool_v), k)
            pool_r, pool_c, pool_v, pending = [pr], [pc], [pv], 0
            thr = kth(pc, pv, k, ne).astype(np.float32)
        if km:
            if exact_rows:
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
        report(lo + (hi - lo) * (b + 1) / len(blocks), "finding candidate mentors")
    r1, c1, v1 = pool_r[0], pool_c[0], pool_v[0]
    tau = np.where(count > k, kth(c1, v1, k, ne), -np.inf)
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

