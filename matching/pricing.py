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

__all__ = ["NEAR_MISS", "scan_price", "screen"]

PRICE_PER_MENTEE = 8           # pairs added per mentee and pricing round ...


NEAR_MISS = 0.05               # ... violating, or within this score of violating


def screen(tau_w, sigma_w, u, v, tol):
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


def scan_price(model, scores, weigh, u, v, cand_keys, cols, tol, near, report, lo, hi,
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
    blocks = row_blocks(model, len(cols))
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
            keep_c = topk_cols(np.arange(len(pr)), pc, val, per_mentee)[0]
            keep_r = topk_cols(np.arange(len(pr)), pr, val, 1)[0]
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
                found_r, found_c, found_s, found_rc = merge_found(
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


def merge_found(found_r, found_c, found_s, found_rc, per_mentee, tol):
    """Reduce priced pairs to the ``per_mentee`` best of each mentee and each mentor's worst violator."""
    r, c = np.concatenate(found_r), np.concatenate(found_c)
    sc, rcv = np.concatenate(found_s), np.concatenate(found_rc)
    idx = np.arange(len(r))
    keep_c = topk_cols(idx, c, rcv, per_mentee)[0]
    keep_r = topk_cols(idx, r, rcv, 1)[0]
    keep = np.union1d(keep_c, keep_r[rcv[keep_r] > tol])
    return [r[keep]], [c[keep]], [sc[keep]], [rcv[keep]]

