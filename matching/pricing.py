"""Pricing of the pairs left out of the candidates, with the dual values of the matching.

A left-out pair scores at most ``min(tau_j, sigma_i)`` (the candidate lists'
thresholds, :mod:`matching.scan`), so most mentees are ruled out at once
(:func:`screen`); the others have their pairs rescored and priced
(:func:`scan_price`). Pairs with a positive reduced cost enter the candidates and
the matching is solved again, until none is left: the dual bound then certifies
the result for the whole round.
"""

import numpy as np

from .scan import row_blocks, topk_cols

__all__ = ["NEAR_MISS", "PricingMemory", "Reserve", "Weigh", "scan_price", "screen", "screen_bounds",
           "threshold_weights"]

PRICE_PER_MENTEE = 8           # pairs added per mentee and pricing round ...


NEAR_MISS = 0.05               # ... violating, or within this score of violating


def screen_bounds(tau_w, sigma_w, u):
    """Per mentee, ``max_i(min(tau_w[j], sigma_w[i]) - u_i)``: no left-out pair ``(i, j)`` has
    ``w_ij - u_i`` above it. All mentees at once from the mentors sorted by ``sigma_w``."""
    best = np.full(len(tau_w), -np.inf)
    if len(sigma_w) == 0:
        return best
    order = np.argsort(sigma_w, kind="stable")
    sw, su = sigma_w[order], u[order]
    # Mentors with sigma >= T: contribute T - min u; the others sigma - u.
    suffix_min_u = np.minimum.accumulate(su[::-1])[::-1]
    prefix_max = np.maximum.accumulate(sw - su)
    pos = np.searchsorted(sw, tau_w, side="left")
    has_hi = pos < len(sw)
    best[has_hi] = tau_w[has_hi] - suffix_min_u[pos[has_hi]]
    has_lo = pos > 0
    best[has_lo] = np.maximum(best[has_lo], prefix_max[pos[has_lo] - 1])
    return best


def screen(tau_w, sigma_w, u, v, tol):
    """Mentees that may have a left-out pair with a positive reduced cost.

    A left-out pair weighs at most ``min(tau_w[j], sigma_w[i])``, so its reduced
    cost is at most ``max_i(min(tau_w[j], sigma_w[i]) - u_i) - v_j``.
    """
    return np.flatnonzero(screen_bounds(tau_w, sigma_w, u) - v > tol)


class PricingMemory:
    """What the last pricing round learnt, to screen the next one far more tightly.

    ``best[j]`` bounds ``w_ij - u_i`` over mentee ``j``'s left-out pairs under the duals
    ``u`` of that round: exact (within the near-miss margin) where ``j`` was priced, the
    screen's bound elsewhere. Under new duals ``u'``, a mentor whose dual fell by at most
    ``delta`` keeps ``w_ij - u'_i <= best[j] + delta``; the mentors whose dual fell more
    are bounded by the thresholds as in :func:`screen`. Duals move little between
    pricing rounds, so most mentees are ruled out even when scores tie and the
    thresholds rule out none: later rounds price a few mentees instead of all of them.
    """

    def __init__(self, tau_w, sigma_w):
        self.tau_w, self.sigma_w = tau_w, sigma_w
        self.u = self.best = None

    def suspects(self, u, v, tol):
        """Mentees that may have a left-out pair with a positive reduced cost, and the bounds."""
        bound = screen_bounds(self.tau_w, self.sigma_w, u)
        if self.best is not None:
            fall = self.u - u
            steps = [0.0]
            if np.any(fall > 0):
                steps = np.unique(np.r_[0.0, np.quantile(fall[fall > 0], [0.5, 0.9, 0.99, 1.0])])
            count = np.count_nonzero(bound - v > tol)
            for delta in steps:
                moved = fall > delta
                tight = np.maximum(self.best + delta,
                                   screen_bounds(self.tau_w, self.sigma_w[moved], u[moved]))
                tight = np.minimum(tight, bound)
                n = np.count_nonzero(tight - v > tol)
                if n < count:
                    bound, count = tight, n
        return np.flatnonzero(bound - v > tol), bound

    def update(self, u, bound, cols, priced_best):
        """Remember the bounds under duals ``u``, exact ones for the priced ``cols``."""
        self.u = np.array(u, dtype=np.float64)
        self.best = np.array(bound, dtype=np.float64)
        self.best[cols] = priced_best


class Weigh:
    """Integer weight of a score: ``rint(score * scale) + big`` (float64, exact below 2**53)."""

    def __init__(self, scale, big):
        self.scale, self.big = float(scale), float(big)

    def __call__(self, x):
        out = np.rint(np.asarray(x, dtype=np.float64) * self.scale)
        out += self.big
        return out


def threshold_weights(tau, sigma, weigh):
    """The candidate lists' thresholds ``tau`` (mentees) and ``sigma`` (mentors) as weights.

    One resolution step of slack: a score recomputed in another block shape may round
    differently in float32 (relative error ~1e-7). An infinite threshold stays infinite.
    """
    tau_w = np.where(np.isfinite(tau), weigh(np.where(np.isfinite(tau), tau, 0)) + 1.0, -np.inf)
    sigma_w = np.where(np.isfinite(sigma), weigh(np.where(np.isfinite(sigma), sigma, 0)) + 1.0,
                       np.where(sigma > 0, np.inf, -np.inf))
    return tau_w, sigma_w


class Reserve:
    """The pairs the scan kept with their scores beyond the candidates (:func:`matching.scan.scan_candidates`).

    Pricing checks them from the stored scores, in chunks, without scoring them again;
    the pairs it adds to the candidates are marked ``taken`` and never priced again.
    """

    CHUNK = 1 << 22

    def __init__(self, rows, cols, vals):
        self.rows, self.cols, self.vals = rows, cols, vals
        self.taken = np.zeros(len(rows), dtype=bool)

    def __len__(self):
        return len(self.rows)

    def keys(self, n_mentees):
        """Sorted keys ``row * n_mentees + col`` of the pairs not taken."""
        rest = ~self.taken
        return self.rows[rest].astype(np.int64) * n_mentees + self.cols[rest]

    def price(self, weigh, u, v, tol, near, per_mentee=PRICE_PER_MENTEE, max_add=None):
        """Sum of the reduced costs above ``tol`` of the pairs not taken, and the positions
        of those to add (as :func:`scan_price` chooses them); ``u(rows, cols)`` gives the
        mentors' duals of pairs (or ``u`` is the array of the mentors' duals)."""
        total = 0.0
        found, found_rc = [], []
        n_violated = 0
        for a in range(0, len(self.rows), self.CHUNK):
            r, c = self.rows[a:a + self.CHUNK], self.cols[a:a + self.CHUNK]
            rc = weigh(self.vals[a:a + self.CHUNK])
            rc -= u(r, c) if callable(u) else u[r]
            rc -= v[c]
            rc[self.taken[a:a + self.CHUNK]] = -np.inf
            violated = rc > tol
            n_violated += int(np.count_nonzero(violated))
            total += float(rc[violated].sum())
            keep = np.flatnonzero(rc > -near)
            found.append(keep + a)
            found_rc.append(rc[keep])
        if n_violated == 0:
            return total, np.zeros(0, np.int64)
        pos, rcv = np.concatenate(found), np.concatenate(found_rc)
        if max_add is None or len(pos) > max_add:
            pos = pos[_selected(self.rows[pos], self.cols[pos], rcv, per_mentee, tol)]
        return total, pos

    def take(self, pos):
        """Rows, cols (int64) and scores of the pairs at ``pos``, marked as taken."""
        self.taken[pos] = True
        return self.rows[pos].astype(np.int64), self.cols[pos].astype(np.int64), self.vals[pos]


FILTER_SLACK = 1e-6            # score units: room for the rounding of the float64 cuts


def scan_price(model, scores, weigh, u, v, cand_keys, cols, tol, near, report, lo, hi,
               per_mentee=PRICE_PER_MENTEE, max_add=None, known_keys=None):
    """Price the pairs outside the candidates in mentee columns ``cols`` with duals ``u, v``.

    ``weigh`` is a :class:`Weigh`; ``u`` the mentors' duals (or a callable giving the
    block ``u(s, e)`` of shape (e - s, len(cols)) when they depend on the mentee), ``v``
    the mentees'. Returns the sum of positive reduced costs there and, if any is
    positive, the pairs to add: every pair with a reduced cost above ``-near``
    (violating, or nearly: the duals move when pairs are added, so near misses save
    pricing rounds) when there are at most ``max_add`` of them, else the ``per_mentee``
    best of each priced mentee and the worst violator of each mentor; nothing when no
    pair violates. Last, per priced mentee, a bound of ``w_ij - u_i`` over its left-out
    pairs (exact when a pair passes the near-miss margin; see :class:`PricingMemory`).

    ``cand_keys`` (any order) and ``known_keys`` (sorted; the reserve's pairs, priced on
    their own) are the keys ``row * n_mentees + col`` of the pairs left alone here.

    Each block is filtered in score space first (one comparison of the float32 scores
    with a float64 cut ``(u_i + v_j - near - big) / scale``), so the exact integer
    reduced costs are computed only for the few pairs that may pass.
    """
    ne = model.n_mentees
    total = 0.0
    found_r, found_c, found_s, found_rc = [], [], [], []
    vc = v[cols]
    # Per priced mentee, max of w_ij - u_i over its left-out pairs: pairs the filter drops
    # have w_ij - u_i <= v_j - near.
    best = vc - near
    if len(cols) == 0:
        return total, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), best
    cand_keys = np.sort(cand_keys)
    col_cut = (vc - near) / weigh.scale
    n_violated = 0
    held = 0
    truncated = False
    hold_cap = max(4 * per_mentee * len(cols) + 4 * model.n_mentors,
                   0 if max_add is None else 2 * max_add)
    blocks = row_blocks(model, len(cols))
    scores.start_pricing(cols)
    cut = None
    for b, (s, e) in enumerate(blocks):
        ws = scores.columns(s, e, cols)
        ub = u(s, e) if callable(u) else u[s:e, None]
        # rint(s * scale) + big - u - v > -near implies s > (u - big - 0.5 + v - near) / scale.
        row_cut = (ub - weigh.big - 0.5) / weigh.scale - FILTER_SLACK
        if cut is None or cut.shape != ws.shape:
            cut = np.empty(ws.shape)
        np.add(row_cut, col_cut[None, :], out=cut)
        pr, pc = np.nonzero(ws > cut)
        if len(pr):
            keys = (pr + s) * ne + cols[pc]
            out = _absent(cand_keys, keys)
            if known_keys is not None:
                out &= _absent(known_keys, keys)
            pr, pc = pr[out], pc[out]
            sc = ws[pr, pc]
            rc = weigh(sc)
            rc -= ub[pr, pc] if ub.shape[1] > 1 else ub[pr, 0]
            rc -= vc[pc]
            violated = rc > tol
            n_violated += int(np.count_nonzero(violated))
            total += float(rc[violated].sum())
            keep = np.flatnonzero(rc > -near)
            if len(keep):
                found_r.append(pr[keep] + s)
                found_c.append(cols[pc[keep]])
                found_s.append(sc[keep])
                found_rc.append(rc[keep])
                held += len(keep)
                if held > hold_cap:
                    # Keep memory bounded: only the best per mentee (and the worst violator
                    # per mentor) can be returned now, so merge what is held so far.
                    r, c, sc, rcv = (np.concatenate(x) for x in (found_r, found_c, found_s, found_rc))
                    keep = _selected(r, c, rcv, per_mentee, tol)
                    _left_out(best, cols, v, keep, c, rcv)
                    found_r, found_c, found_s, found_rc = [r[keep]], [c[keep]], [sc[keep]], [rcv[keep]]
                    held = len(keep)
                    truncated = True
        report(lo + (hi - lo) * (b + 1) / len(blocks), "pricing left-out pairs")
    nothing = np.zeros(0, np.int64)
    if not found_r:
        return total, nothing, nothing, np.zeros(0, np.float32), best
    r, c, sc, rcv = (np.concatenate(x) for x in (found_r, found_c, found_s, found_rc))
    if n_violated == 0:
        keep = nothing
    elif not truncated and max_add is not None and len(r) <= max_add:
        keep = np.arange(len(r))
    else:
        keep = _selected(r, c, rcv, per_mentee, tol)
    # The pairs added leave the left-out set: the next round's bound covers the others.
    _left_out(best, cols, v, keep, c, rcv)
    return total, r[keep], c[keep], sc[keep], best


def _absent(sorted_keys, keys):
    """Which of ``keys`` are not in ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.ones(len(keys), bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] != keys


def _left_out(best, cols, v, keep, c, rcv):
    """Raise ``best`` (per position in ``cols``) to ``w - u`` of the pairs not in ``keep``."""
    rest = np.ones(len(c), dtype=bool)
    rest[keep] = False
    np.maximum.at(best, np.searchsorted(cols, c[rest]), rcv[rest] + v[c[rest]])


def _selected(r, c, rcv, per_mentee, tol):
    """Positions of the ``per_mentee`` best pairs of each mentee and each mentor's worst violator."""
    idx = np.arange(len(r))
    # Ranked as float32 >= 0 (a sort of integer keys; rounding only reorders near-equal costs).
    rank = (rcv - rcv.min()).astype(np.float32) if len(rcv) else rcv.astype(np.float32)
    keep_c = topk_cols(idx, c, rank, per_mentee)[0]
    keep_r = topk_cols(idx, r, rank, 1)[0]
    return np.union1d(keep_c, keep_r[rcv[keep_r] > tol])
