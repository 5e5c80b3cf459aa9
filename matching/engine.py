"""Propose mentor -> mentee pairs for a round, certified optimal, with reasons.

The pipeline: features (:class:`~matching.features.CityFeatures`) -> scores of all
pairs, block by block (:mod:`matching.scoring`) -> eligible edges and their
connected components (:mod:`matching.graph`) -> exact b-matching on each
component (:mod:`matching.solvers`) -> result with explanations.

Large rounds are not solved on every pair: each mentee keeps its ``top_k`` best
mentors (and each mentor its best mentees), the programme is solved on those
candidates, then every left-out pair is *priced* with the dual values; pairs with
a positive reduced cost are added and the programme solved again until none is
left. The dual bound over all pairs then equals the objective: the result is
certified optimal for the whole round.
"""

import dataclasses
import math
import time

import numpy as np

from .exceptions import Infeasible, InvalidInput
from .explain import explain_pair, language_name
from .graph import component_labels
from .params import MatchParams
from .records import read_participants
from .result import MatchResult, Pair, Unmatched
from .scoring import RULES, build_model
from .solvers import dual_bound, greedy_bmatching, solve_bmatching

__all__ = ["propose", "suggest_mentors"]

BLOCK_ENTRIES = 1 << 23      # scores computed at once (32 MB of float32 per array)
FULL_LIMIT = 250_000          # "auto" solves every pair exactly below this many pairs
DEFAULT_TOP_K = 8
MAX_PRICING_ROUNDS = 50
SPLIT_EDGES = 2_000           # components at least this large get their own programme


class _Progress:
    def __init__(self, callback):
        self.callback = callback

    def __call__(self, fraction, message):
        if self.callback is not None:
            self.callback(min(1.0, max(0.0, float(fraction))), message)


def _scaling(model, params):
    """Integer scale of the scores and the per-pair bonus of ``max_coverage``."""
    pmax = float(model.priority.max())
    wmax = pmax * sum(params.weights.values())
    if params.objective == "max_score":
        return 1e6, 0.0
    k = float(min(model.capacity.sum(), model.demand.sum()))
    # One more pair must outweigh any difference of total score, and every total
    # must stay an exact integer in float64 (< 2**53).
    room = 2.0 ** 50 / max(k * k * wmax, 1.0)
    scale = 10.0 ** max(1, min(6, math.floor(math.log10(room))))
    big = k * math.ceil(wmax * scale) + 1.0
    return scale, big


def _blocks(model):
    step = max(1, min(model.n_mentors, BLOCK_ENTRIES // max(model.n_mentees, 1)))
    return [(s, min(s + step, model.n_mentors)) for s in range(0, model.n_mentors, step)]


def _scan_all(model, report, lo, hi):
    """Every eligible pair (rows, cols, float32 scores) and eligible counts per mentee."""
    rows, cols, scores = [], [], []
    count = np.zeros(model.n_mentees, dtype=np.int64)
    blocks = _blocks(model)
    for b, (s, e) in enumerate(blocks):
        score, ok = model.block(s, e)
        r, c = np.nonzero(ok)
        rows.append(r + s)
        cols.append(c)
        scores.append(score[r, c])
        count += ok.sum(axis=0)
        report(lo + (hi - lo) * (b + 1) / len(blocks), "scoring pairs")
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(scores), count


def _scan_candidates(model, k, k_mentor, report, lo, hi):
    """Exact top-``k`` mentors of each mentee and top-``k_mentor`` mentees of each mentor."""
    ne = model.n_mentees
    k = min(k, model.n_mentors)
    best_v = np.full((k, ne), -np.inf, dtype=np.float32)
    best_i = np.zeros((k, ne), dtype=np.int64)
    count = np.zeros(ne, dtype=np.int64)
    extra_r, extra_c, extra_s = [], [], []
    blocks = _blocks(model)
    cols = np.arange(ne)
    for b, (s, e) in enumerate(blocks):
        score, ok = model.block(s, e)
        count += ok.sum(axis=0)
        ws = np.where(ok, score, np.float32(-np.inf))
        kb = min(k, e - s)
        idx = np.argpartition(ws, -kb, axis=0)[-kb:] if e - s > kb else \
            np.broadcast_to(np.arange(e - s)[:, None], (e - s, ne))
        vals = np.take_along_axis(ws, idx, axis=0)
        all_v = np.vstack([best_v, vals])
        all_i = np.vstack([best_i, idx + s])
        keep = np.argpartition(all_v, -k, axis=0)[-k:]
        best_v = np.take_along_axis(all_v, keep, axis=0)
        best_i = np.take_along_axis(all_i, keep, axis=0)
        km = min(k_mentor, ne)
        if km:
            jdx = np.argpartition(ws, -km, axis=1)[:, -km:] if ne > km else \
                np.broadcast_to(cols[None, :], (e - s, ne))
            v2 = np.take_along_axis(ws, jdx, axis=1)
            r2, c2 = np.nonzero(np.isfinite(v2))
            extra_r.append(r2 + s)
            extra_c.append(jdx[r2, c2])
            extra_s.append(v2[r2, c2])
        report(lo + (hi - lo) * (b + 1) / len(blocks), "finding candidate mentors")
    r1, c1 = np.nonzero(np.isfinite(best_v))
    rows = np.concatenate([best_i[r1, c1]] + extra_r)
    colz = np.concatenate([c1] + extra_c)
    scores = np.concatenate([best_v[r1, c1]] + extra_s)
    keys, first = np.unique(rows * ne + colz, return_index=True)
    return keys // ne, keys % ne, scores[first], count


def _scan_price(model, scale, big, u, v, cand_keys, tol, report, lo, hi, per_mentee=3):
    """Price every pair outside the candidates with duals ``u, v``.

    Returns the sum of positive reduced costs outside the candidates and the most
    violating pairs (at most ``per_mentee`` per mentee plus one per mentor).
    """
    ne = model.n_mentees
    total = 0.0
    found_r, found_c, found_s, found_rc = [], [], [], []
    blocks = _blocks(model)
    for b, (s, e) in enumerate(blocks):
        score, ok = model.block(s, e)
        rc = np.rint(score.astype(np.float64) * scale)
        rc += big
        rc -= u[s:e, None]
        rc -= v[None, :]
        rc[~ok] = -np.inf
        a, z = np.searchsorted(cand_keys, [s * ne, e * ne])
        inside = cand_keys[a:z]
        rc[inside // ne - s, inside % ne] = -np.inf
        pos = rc > tol
        if pos.any():
            total += float(rc[pos].sum())
            best = np.argmax(rc, axis=0)
            val = rc[best, np.arange(ne)]
            hit = np.flatnonzero(val > tol)
            best_row = np.argmax(rc, axis=1)
            val_row = rc[np.arange(e - s), best_row]
            hit_row = np.flatnonzero(val_row > tol)
            found_r += [best[hit] + s, hit_row + s]
            found_c += [hit, best_row[hit_row]]
            found_s += [score[best[hit], hit], score[hit_row, best_row[hit_row]]]
            found_rc += [val[hit], val_row[hit_row]]
        report(lo + (hi - lo) * (b + 1) / len(blocks), "pricing left-out pairs")
    if not found_r:
        return total, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    r, c = np.concatenate(found_r), np.concatenate(found_c)
    sc, rcv = np.concatenate(found_s), np.concatenate(found_rc)
    keys, first = np.unique(r * ne + c, return_index=True)
    r, c, sc, rcv = r[first], c[first], sc[first], rcv[first]
    order = np.lexsort((-rcv, c))
    rank = np.arange(len(order)) - np.searchsorted(c[order], c[order])
    keep = order[rank < per_mentee]
    return total, r[keep], c[keep], sc[keep]


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


def _solve(model, params, report):
    """Choose pairs; return (rows, cols, scores, chosen, info, eligible count)."""
    scale, big = _scaling(model, params)
    n_pairs = model.n_mentors * model.n_mentees
    full = params.solver == "exact" or (n_pairs <= FULL_LIMIT and params.top_k is None)
    info = {"solver": params.solver, "score_resolution": 1.0 / scale, "pricing_rounds": 0}
    if full:
        rows, cols, scores, count = _scan_all(model, report, 0.1, 0.4)
        info["pruned"] = False
    else:
        k = params.top_k or DEFAULT_TOP_K
        k_mentor = int(2 * model.capacity.max())
        rows, cols, scores, count = _scan_candidates(model, k, k_mentor, report, 0.1, 0.4)
        info["pruned"] = True
        info["top_k"] = k
    weight = np.rint(scores.astype(np.float64) * scale) + big
    if params.solver == "greedy":
        chosen = greedy_bmatching(model.capacity, model.demand, rows, cols, weight)
        # u = 0 and v_j = best weight of mentee j is dual feasible for every pair.
        v = np.zeros(model.n_mentees)
        np.maximum.at(v, cols, weight)
        bound = dual_bound(model.capacity, model.demand, np.zeros(model.n_mentors), v, 0.0)
        info["n_components"] = component_labels(model.n_mentors, model.n_mentees, rows, cols)[1]
    else:
        ne = model.n_mentees
        while True:
            report(0.4 + 0.5 * (1 - 0.5 ** info["pricing_rounds"]), "solving the matching")
            chosen, u, v, info["n_components"] = _solve_components(model, rows, cols, weight)
            inside = float(np.maximum(0.0, weight - u[rows] - v[cols]).sum())
            if full:
                outside = 0.0
                break
            integral = np.all(u == np.rint(u)) and np.all(v == np.rint(v))
            tol = 0.5 if integral else 1e-7
            order = np.argsort(rows * ne + cols)
            rows, cols, scores, weight, chosen = (rows[order], cols[order], scores[order],
                                                  weight[order], chosen[order])
            outside, nr, nc, ns = _scan_price(model, scale, big, u, v, rows * ne + cols, tol,
                                              report, 0.4, 0.9)
            info["pricing_rounds"] += 1
            if len(nr) == 0 or info["pricing_rounds"] >= MAX_PRICING_ROUNDS:
                break
            rows, cols = np.r_[rows, nr], np.r_[cols, nc]
            scores = np.r_[scores, ns]
            weight = np.r_[weight, np.rint(ns.astype(np.float64) * scale) + big]
        bound = dual_bound(model.capacity, model.demand, u, v, inside + outside)
    total = float(weight[chosen].sum())
    n_chosen = int(chosen.sum())
    info["candidate_edges"] = int(len(rows))
    info["certified"] = bool(bound <= total + 0.5)
    info["objective"] = (total - big * n_chosen) / scale
    info["upper_bound"] = max(info["objective"], (bound - big * n_chosen) / scale)
    if info["certified"]:
        info["upper_bound"] = info["objective"]
    return rows[chosen], cols[chosen], scores[chosen], info, count


def _make_pairs(model, params, rows, cols):
    people = model.participants
    pairs = []
    if len(rows) == 0:
        return pairs
    parts, contrib = model.pair_components(np.asarray(rows), np.asarray(cols))
    areas = model.features.areas_
    for e, (i, j) in enumerate(zip(rows.tolist(), cols.tolist())):
        mentor, mentee = people[model.mentors[i]], people[model.mentees[j]]
        comp = {name: float(parts[name][e]) for name in parts}
        order = np.lexsort((np.arange(len(areas)), -contrib[e]))
        focus = tuple(str(areas[a]) for a in order if contrib[e, a] > 0)
        pairs.append(Pair(mentor=mentor.id, mentee=mentee.id, score=float(sum(comp.values())),
                          components=comp, areas=focus,
                          explanation=explain_pair(mentor, mentee, focus, params.label, comp)))
    pairs.sort(key=lambda p: (p.mentee, -p.score, p.mentor))
    return pairs


def _ineligible_detail(model, j, counts):
    p = model.participants[model.mentees[j]]
    params = model.params
    rule = next(r for r in RULES if counts[r] == 0)
    if rule == "needs":
        if not any(p.need.values()):
            return f"{p.name} states no need in any area, so no mentor can be proposed."
        return (f"No mentor in this round teaches (at level 3-4, in its can-mentor areas) an area "
                f"where {p.name} has a need above its own level.")
    if rule == "language":
        langs = ", ".join(language_name(c) for c in p.languages) or "none given"
        return (f"No mentor who could help {p.name} shares one of its working languages "
                f"({langs}); shared language is required.")
    if rule == "country":
        return (f"The only mentors who could help {p.name} are in the same country ({p.country}); "
                f"same-country pairs are not allowed.")
    if rule == "exclusion":
        return (f"The only mentors who could help {p.name} are excluded for it "
                f"(exclude list or previous pairs).")
    return f"No mentor who could help {p.name} reaches the minimum score of {params.min_score:g}."


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
    blocks of bounded memory. The solve is a linear programme on the candidate pairs
    (all eligible pairs for small rounds, ``top_k`` per mentee for large ones plus
    priced additions); a handful of pricing rounds is typical.

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
    pairs = _make_pairs(model, params, rows, cols)
    people = model.participants
    load = np.bincount(rows, minlength=model.n_mentors)
    got = np.bincount(cols, minlength=model.n_mentees)
    unmatched = []
    for j in np.flatnonzero(got == 0).tolist():
        mentee = people[model.mentees[j]]
        if count[j] == 0:
            unmatched.append(Unmatched(mentee.id, "no_eligible_mentor",
                                       _ineligible_detail(model, j, model.rule_counts(j))))
        else:
            unmatched.append(Unmatched(mentee.id, "capacity", (
                f"{int(count[j])} mentor(s) could help {mentee.name}, but their places go to "
                f"other mentees in the best round under the chosen objective.")))
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
        "candidate_edges": info["candidate_edges"],
        "n_components": int(info["n_components"]),
        "features_time": t_features - started,
        "solve_time": t_solved - t_features,
        "total_time": time.perf_counter() - started,
    }
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
