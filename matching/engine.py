"""Propose mentor -> mentee pairs for a round, certified optimal, with reasons.

The pipeline: features (:class:`~matching.features.CityFeatures`) -> scores of all
pairs, block by block (:mod:`matching.scoring`) -> candidate pairs -> exact
b-matching (:mod:`matching.solvers`: LAPJVsp on capacity-expanded mentors, duals
by shortest paths; the LP when a mentee takes several mentors) -> result with
explanations.

Large rounds are not solved on every pair: each mentee keeps its ``top_k`` best
mentors (and each mentor its best mentees), the matching is solved on those
candidates, then left-out pairs are *priced* with the dual values: first the
*reserve* (each mentee's next best mentors, kept with their scores by the scan),
then every other pair, which scores at most ``min(tau_j, sigma_i)`` (the
thresholds of the reserve and of the mentors' lists): that rules out most mentees
at once; the others have all their pairs recomputed and checked. Pairs with a
positive reduced cost (and near misses) are added and the matching solved again
until none is left. The dual bound over all pairs then equals the objective: the
result is certified optimal for the whole round.
"""

import dataclasses
import gc
import math
import time

import numpy as np

from .exceptions import InvalidInput
from .graph import component_labels, n_components
from .network import RoundNetwork
from .params import MatchParams
from .pricing import NEAR_MISS, PricingMemory, Reserve, Weigh, scan_price, screen, threshold_weights
from .reasons import coverage_by, make_pairs, unmatched_reasons
from .records import read_participants
from .result import MatchResult
from .scan import Scores, scan_all, scan_candidates
from .scoring import build_model, single_blas
from .solvers import dual_bound, greedy_bmatching, solve_bmatching, solve_bmatching_flow, solve_bmatching_lap

__all__ = ["propose"]

FULL_LIMIT = 250_000          # "auto" solves every pair exactly below this many pairs
DEFAULT_TOP_K = 16           # candidate mentors per mentee (32 above LARGE_ROUND mentees)
LARGE_ROUND = 10_000
MAX_PRICING_ROUNDS = 50
MAX_MENTOR_LIST = 64          # longest candidate list of a mentor
RESERVE_FACTOR = 8            # the scan keeps each mentee's 8 * top_k best mentors with their scores
RESERVE_GROWTH = 4            # a pricing round adds at most 1/4 more candidates (solves cost ~ arcs)
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


def _solve_exact(model, rows, cols, weight, method, big=0.0, start=None):
    """Exact b-matching on the candidates: min-cost flow (or LAPJVsp) when every demand is 1, else LP.

    ``start``: the duals of the previous solve, to start the flow's dual values from."""
    if method == "flow":
        chosen, u, v = solve_bmatching_flow(model.capacity, rows, cols, weight, big, start)
    elif method == "lap":
        chosen, u, v = solve_bmatching_lap(model.capacity, rows, cols, weight)
    else:
        return _solve_components(model, rows, cols, weight)[:3]
    return chosen, u, np.r_[v, np.zeros(model.n_mentees - len(v))]


# "auto": min-cost flow when every demand is 1, else the LP; "flow" | "lap" | "lp" force one
# (LAPJVsp on capacity-expanded mentors is kept as a second exact solver for tests).
EXACT_METHOD = "auto"


def _solve(model, params, report):
    """Choose pairs; return (rows, cols, scores, chosen, info, eligible count).

    Score blocks are products of a few million outputs over inner dimensions of ~100:
    BLAS threads cost more in synchronisation than they save there, and on a busy
    machine a second thread waiting for a core slows every block several times over
    (:func:`single_blas`; ``propose`` already holds it, nesting is free).
    """
    with single_blas():
        return _solve_round(model, params, report)


def _solve_round(model, params, report):
    scale, big = _scaling(model, params)
    n_pairs = model.n_mentors * model.n_mentees
    limit = NETWORK_FULL_LIMIT if params.network_rules else FULL_LIMIT
    full = params.solver == "exact" or (n_pairs <= limit and params.top_k is None)
    info = {"solver": params.solver, "score_resolution": 1.0 / scale, "pricing_rounds": 0,
            "priced_mentees": 0, "stopped": None}
    method = EXACT_METHOD
    if method == "auto":
        method = "flow" if np.all(model.demand == 1) else "lp"
    info["method"] = method
    scores = Scores(model, cache_bytes=params.memory_budget // 2, keep_all=not full)
    times = {}
    t0 = time.perf_counter()
    reserve = None
    if full:
        rows, cols, vals, count = scan_all(model, scores, report, 0.1, 0.4)
        info["pruned"] = False
    else:
        k = params.top_k or (DEFAULT_TOP_K if model.n_mentees <= LARGE_ROUND else 2 * DEFAULT_TOP_K)
        k_mentor = _mentor_list_length(model)
        depth = _reserve_depth(model, params, k)
        rows, cols, vals, count, tau, sigma, kept = scan_candidates(
            model, scores, k, k_mentor, depth, report, 0.1, 0.4,
            pool_entries=max(2 * depth * model.n_mentees, params.memory_budget // 64))
        reserve = Reserve(*kept)
        info["pruned"] = True
        info["top_k"] = k
        info["reserve"] = len(reserve)

    weigh = Weigh(scale, big)
    times["scan"] = time.perf_counter() - t0
    if params.network_rules:
        return _solve_network(model, params, report, info, scores, weigh, full,
                              rows, cols, vals, count, None if full else (tau, sigma, reserve), times)
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
            memory = PricingMemory(*threshold_weights(tau, sigma, weigh))
        start = None
        while True:
            report(0.4 + 0.5 * (1 - 0.5 ** info["pricing_rounds"]), "solving the matching")
            t = time.perf_counter()
            chosen, u, v = _solve_exact(model, rows, cols, weight, method, big, start)
            start = (u, v)
            t_solve += time.perf_counter() - t
            inside = float(np.maximum(0.0, weight - u[rows] - v[cols]).sum())
            if full:
                outside = 0.0
                break
            t = time.perf_counter()
            integral = np.all(u == np.rint(u)) and np.all(v == np.rint(v))
            tol = 0.5 if integral else 1e-7
            info["pricing_rounds"] += 1
            # The reserve first, from its stored scores: while it has pairs to add, the
            # duals are still moving and screening every other pair would be wasted.
            kept_total, pos = reserve.price(weigh, u, v, tol, NEAR_MISS * scale,
                                            max_add=len(rows) // RESERVE_GROWTH)
            stop = _stop_reason(model, params, info, len(rows) + len(pos)) if len(pos) else None
            if len(pos) and stop is None:
                nr, nc, ns = reserve.take(pos)
            else:
                suspect, bound = memory.suspects(u, v, tol)
                info["priced_mentees"] += len(suspect)
                priced, nr, nc, ns, best = scan_price(
                    model, scores, weigh, u, v, rows * ne + cols, suspect, tol, NEAR_MISS * scale,
                    report, 0.4, 0.9, max_add=len(rows) // RESERVE_GROWTH, known_keys=reserve.keys(ne))
                memory.update(u, bound, suspect, best)
                outside = kept_total + priced
                if stop is None and len(nr):
                    stop = _stop_reason(model, params, info, len(rows) + len(nr))
            t_price += time.perf_counter() - t
            if len(nr) == 0 or stop is not None:
                info["stopped"] = stop or None
                break
            rows, cols = np.r_[rows, nr], np.r_[cols, nc]
            vals = np.r_[vals, ns]
            weight = np.r_[weight, weigh(ns)]
        info["n_components"] = n_components(model.n_mentors, ne, rows, cols)
        bound = dual_bound(model.capacity, model.demand, u, v, inside + outside)
    info["scan_time"], info["match_time"], info["price_time"] = times["scan"], t_solve, t_price
    _conclude(info, weight, chosen, bound, weigh)
    return rows[chosen], cols[chosen], vals[chosen], info, count


def _stop_reason(model, params, info, n_edges):
    """Why pricing must stop before solving on ``n_edges`` candidates ('' at the round limit), or None."""
    if info["pricing_rounds"] >= MAX_PRICING_ROUNDS:
        return ""
    need = _candidate_bytes(model, n_edges)
    if need > params.memory_budget:
        return (f"memory budget of {params.memory_budget / 2**20:.0f} MB reached after "
                f"{info['pricing_rounds']} pricing round(s): {n_edges} candidate "
                f"pairs would need about {need / 2**20:.0f} MB; the result is the best on the "
                f"candidates so far, within the reported upper bound of the optimum")
    return None


def _reserve_depth(model, params, k):
    """Best mentors kept per mentee with their scores (the candidates' ``k`` included):
    ``RESERVE_FACTOR * k``, within half the memory budget (12 bytes a pair, twice
    over while the scan merges)."""
    fit = params.memory_budget // (2 * 24 * max(model.n_mentees, 1))
    return int(max(k, min(RESERVE_FACTOR * k, fit)))


def _conclude(info, weight, chosen, bound, weigh, exact=True):
    """The objective of the chosen pairs and its upper bound ``bound`` (weight units) into
    ``info``; certified when the bound meets the objective (and the solver said ``exact``)."""
    total = float(weight[chosen].sum())
    n_chosen = int(chosen.sum())
    info["candidate_edges"] = int(len(weight))
    info["certified"] = bool(bound <= total + 0.5 and exact)
    info["objective"] = (total - weigh.big * n_chosen) / weigh.scale
    info["upper_bound"] = max(info["objective"], (bound - weigh.big * n_chosen) / weigh.scale)
    if info["certified"]:
        info["upper_bound"] = info["objective"]


def _mentor_list_length(model):
    """Best mentees kept per mentor: twice the largest capacity, times the mentees per mentor (rounded).

    When mentees outnumber mentors, a mentor's best mentees are often matched elsewhere;
    a longer list keeps the first matching's coverage (a scarce-mentor round priced with
    short lists lost a quarter of its pairs and took five pricing rounds).
    """
    per_mentor = round(model.n_mentees / max(model.n_mentors, 1))
    return int(min(MAX_MENTOR_LIST, 2 * model.capacity.max() * max(1, per_mentor)))


def _candidate_bytes(model, n_edges):
    """Work memory of the exact solve on ``n_edges`` candidate pairs.

    Our arrays (rows, cols, scores, weights, sort keys) and the flow solver's arcs with
    their reverse arcs (heads, capacities, costs, flows): about 128 bytes a pair.
    """
    return int(n_edges * 128)


def _solve_network(model, params, report, info, scores, weigh, full,
                   rows, cols, vals, count, bounds, times):
    """The round with the programme's rules: min-cost flow on the candidates, priced."""
    info["method"] = "network"
    ne = model.n_mentees
    weight = weigh(vals)
    t_solve = t_price = 0.0
    country = model.country_code[1].astype(np.int64)
    if bounds is not None:
        tau_w, sigma_w = threshold_weights(*bounds[:2], weigh)
        reserve = bounds[2]
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
        info["pricing_rounds"] += 1
        near = NEAR_MISS * weigh.scale
        u_pairs = u_min if utab is None else (lambda r, c, utab=utab: utab[r, country[c]])
        kept_total, pos = reserve.price(weigh, u_pairs, v, 0.5, near, max_add=len(rows))
        if len(pos) and info["pricing_rounds"] < MAX_PRICING_ROUNDS:
            nr, nc, ns = reserve.take(pos)
        else:
            suspect = screen(tau_w, sigma_w, u_min, v, 0.5)
            info["priced_mentees"] += len(suspect)
            u = u_min if utab is None else (lambda s, e, utab=utab, suspect=suspect: utab[s:e][:, country[suspect]])
            priced, nr, nc, ns, _ = scan_price(model, scores, weigh, u, v, rows * ne + cols, suspect,
                                               0.5, near, report, 0.4, 0.9, max_add=len(rows),
                                               known_keys=reserve.keys(ne))
            outside = kept_total + priced
            if len(pos):
                nr = nc = np.zeros(0, np.int64)  # at the round limit: stop with this bound
        t_price += time.perf_counter() - t
        if len(nr) == 0 or info["pricing_rounds"] >= MAX_PRICING_ROUNDS:
            break
        rows, cols = np.r_[rows, nr], np.r_[cols, nc]
        vals = np.r_[vals, ns]
        weight = np.r_[weight, weigh(ns)]
    info["scan_time"], info["match_time"], info["price_time"] = times["scan"], t_solve, t_price
    info["n_components"] = n_components(model.n_mentors, ne, rows, cols)
    _conclude(info, weight, chosen, -ninfo["dual"] + outside, weigh,
              exact=abs(ninfo["dual"] - ninfo["objective"]) < 0.5)
    info["network"] = net
    return rows[chosen], cols[chosen], vals[chosen], info, count


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
    # BLAS runs on one thread: every product is a block of at most 1M pairs (single_blas).
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        with single_blas():
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
    pairs = make_pairs(model, params, rows, cols, binding)
    people = model.participants
    unmatched = unmatched_reasons(model, params, count, got, net, binding)
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
        "coverage_by_region": coverage_by([m.region or "(none)" for m in mentees], matched),
        "coverage_by_priority": coverage_by([f"{m.priority:g}" for m in mentees], matched),
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
