"""Exact and greedy solvers for capacitated bipartite matching (b-matching).

The problem on a set of candidate edges ``(i, j)`` with integer weights ``w``::

    maximise   sum w_ij x_ij
    subject to sum_j x_ij <= capacity_i,  sum_i x_ij <= demand_j,  0 <= x_ij <= 1

Its constraint matrix is totally unimodular, so the linear programme has an
integral optimal vertex, which HiGHS returns together with the dual values
``u`` (mentors) and ``v`` (mentees). Any ``u, v >= 0`` give the upper bound
(weak duality, over *all* eligible pairs, not only the candidates)::

    sum_i capacity_i u_i + sum_j demand_j v_j + sum_ij max(0, w_ij - u_i - v_j)

which is how a solution found on pruned candidates is certified optimal for the
whole round.
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from .exceptions import MatchingError

__all__ = ["solve_bmatching", "solve_bmatching_flow", "solve_bmatching_lap", "greedy_bmatching",
           "dual_bound"]


def _incidence(n_left, n_right, rows, cols):
    m = len(rows)
    e = np.arange(m)
    data = np.ones(2 * m)
    return sp.csc_array((data, (np.r_[rows, n_left + cols], np.r_[e, e])),
                        shape=(n_left + n_right, m))


def _round_if_integral(values, tol=1e-6):
    r = np.rint(values)
    return r if np.all(np.abs(values - r) <= tol) else values


def solve_bmatching(capacity, demand, rows, cols, weight):
    """Maximum-weight b-matching with its dual values, by linear programming.

    Parameters
    ----------
    capacity : array of int, shape (n_left,)
    demand : array of int, shape (n_right,)
    rows, cols : array of int, shape (m,)
        Distinct candidate edges.
    weight : array of float, shape (m,)
        Integer-valued weights (scaled scores); edges of weight <= 0 are never needed.

    Returns
    -------
    chosen : ndarray of bool, shape (m,)
    u : ndarray, shape (n_left,)
    v : ndarray, shape (n_right,)
        Optimal duals, non-negative (rounded to integers when HiGHS returns them
        within 1e-6 of integers, as it does for these unimodular problems).

    Notes
    -----
    HiGHS interior point with crossover to a vertex (markedly faster than the dual
    simplex on these highly degenerate programmes); in practice close to linear in the number of edges for
    these sparse problems. A non-integral vertex (not expected) is repaired with
    ``scipy.optimize.milp``.

    Examples
    --------
    >>> chosen, u, v = solve_bmatching([1, 1], [1, 1], [0, 0, 1], [0, 1, 0], [5., 4., 4.])
    >>> chosen.tolist()
    [False, True, True]
    """
    capacity = np.asarray(capacity, dtype=np.float64)
    demand = np.asarray(demand, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    n_left, n_right, m = len(capacity), len(demand), len(rows)
    u, v = np.zeros(n_left), np.zeros(n_right)
    if m == 0:
        return np.zeros(0, dtype=bool), u, v
    # Only the nodes touched by an edge enter the programme.
    left, rr = np.unique(rows, return_inverse=True)
    right, cc = np.unique(cols, return_inverse=True)
    a = _incidence(len(left), len(right), rr, cc)
    b = np.r_[capacity[left], demand[right]]
    res = linprog(-weight, A_ub=a, b_ub=b, bounds=(0, 1), method="highs-ipm")
    if res.status != 0:
        raise MatchingError(f"the LP solver failed: {res.message}")
    x = res.x
    duals = _round_if_integral(np.maximum(0.0, -res.ineqlin.marginals))
    u[left] = duals[:len(left)]
    v[right] = duals[len(left):]
    if np.any(np.abs(x - np.rint(x)) > 1e-6):
        res = milp(-weight, constraints=LinearConstraint(a, ub=b), bounds=Bounds(0, 1),
                   integrality=np.ones(m))
        if res.status != 0:
            raise MatchingError(f"the MILP solver failed: {res.message}")
        x = res.x
    return x > 0.5, u, v


def greedy_bmatching(capacity, demand, rows, cols, weight):
    """Best-weight-first greedy b-matching (a baseline, not optimal).

    Ties are broken by mentor then mentee position, so the result is deterministic.
    O(m log m).

    Examples
    --------
    >>> greedy_bmatching([1, 1], [1, 1], [0, 0, 1], [0, 1, 0], [5., 4., 4.]).tolist()
    [True, False, False]
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    left = np.asarray(capacity, dtype=np.int64).copy()
    right = np.asarray(demand, dtype=np.int64).copy()
    chosen = np.zeros(len(rows), dtype=bool)
    for e in np.lexsort((cols, rows, -weight)).tolist():
        i, j = rows[e], cols[e]
        if weight[e] > 0 and left[i] > 0 and right[j] > 0:
            left[i] -= 1
            right[j] -= 1
            chosen[e] = True
    return chosen


def dual_bound(capacity, demand, u, v, positive_reduced_costs):
    """Upper bound ``capacity.u + demand.v + sum(max(0, w - u_i - v_j))``.

    ``positive_reduced_costs`` is the sum of ``max(0, w_ij - u_i - v_j)`` over every
    eligible pair, computed by the caller.

    Examples
    --------
    >>> dual_bound([1, 1], [1, 1], [1., 0.], [4., 4.], 0.0)
    9.0
    """
    return float(np.dot(np.asarray(capacity, dtype=np.float64), u)
                 + np.dot(np.asarray(demand, dtype=np.float64), v) + positive_reduced_costs)


def _bellman_ford(n, src, dst, cost, d=None):
    """Potentials ``d`` with ``d[dst] <= d[src] + cost`` on every arc.

    Label-correcting from ``d`` (default 0 everywhere: shortest paths from a virtual
    root), vectorised: each pass relaxes at once the arcs leaving the nodes whose label
    fell in the previous pass (a gather and a scattered minimum), until nothing falls.
    Any start converges to feasible potentials when there is no negative cycle.
    Raises MatchingError on a negative cycle.
    """
    order = np.argsort(src, kind="stable")
    src, dst, cost = src[order], dst[order], cost[order]
    indptr = np.searchsorted(src, np.arange(n + 1))
    d = np.zeros(n) if d is None else np.array(d, dtype=np.float64)
    active = None
    for _ in range(n + 1):
        if active is None:
            tail, head, c = src, dst, cost
        else:
            starts = indptr[active]
            lens = indptr[active + 1] - starts
            arcs = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()))
            tail, head, c = src[arcs], dst[arcs], cost[arcs]
        cand = d[tail] + c
        better = cand < d[head]
        if not better.any():
            return d
        head, cand = head[better], cand[better]
        before = d[head]
        np.minimum.at(d, head, cand)
        fell = np.zeros(n, dtype=bool)          # the nodes whose label fell, once each
        fell[head[d[head] < before]] = True
        active = np.flatnonzero(fell)
    raise MatchingError("assignment solver returned a non-optimal matching (negative cycle)")


def _residual_duals(capacity, rows, cols, weight, chosen, n_left, n_right, start=None):
    """Dual values of an optimal b-matching (mentee demand 1) by shortest paths.

    Residual graph of the flow source -> mentor -> mentee -> sink, with source and
    sink merged into one node ``o`` (the amount of flow is free): an unused edge
    ``i -> j`` costs ``-w``, a used one ``j -> i`` costs ``+w``; ``o -> i`` if
    mentor ``i`` has a free place, ``i -> o`` if it has a mentee, ``j -> o`` if
    mentee ``j`` is unmatched, ``o -> j`` if it is matched (cost 0). The matching
    is optimal iff there is no negative cycle; then shortest-path potentials ``d``
    give ``u_i = max(0, d_i - d_o)`` and ``v_j = max(0, d_o - d_j)``: feasible for
    every unused edge, zero on free mentors and unmatched mentees, so the dual
    bound (with the positive reduced costs of used edges) equals the matched weight.

    Any feasible potentials do, not only shortest paths: ``start`` (``u``, ``v`` of these
    mentors and mentees, e.g. the last pricing round's duals) seeds the labels as
    ``d_i = u_i``, ``d_j = -v_j``, ``d_o = 0``, and the correction only repairs what the
    new matching changed (a few passes instead of hundreds).
    """
    load = np.bincount(rows[chosen], minlength=n_left)
    matched = np.bincount(cols[chosen], minlength=n_right) > 0
    o = n_left + n_right
    li = np.arange(n_left)
    rj = n_left + np.arange(n_right)
    free = load < capacity
    busy = load > 0
    src = np.concatenate([np.where(chosen, n_left + cols, rows),
                          np.full(int(free.sum()), o), li[busy],
                          rj[~matched], np.full(int(matched.sum()), o)])
    dst = np.concatenate([np.where(chosen, rows, n_left + cols),
                          li[free], np.full(int(busy.sum()), o),
                          np.full(int((~matched).sum()), o), rj[matched]])
    cost = np.concatenate([np.where(chosen, weight, -weight), np.zeros(len(src) - len(rows))])
    d0 = None if start is None else np.r_[start[0], -np.asarray(start[1], dtype=np.float64), 0.0]
    d = _bellman_ford(o + 1, src, dst, cost, d0)
    u = np.maximum(0.0, d[:n_left] - d[o])
    v = np.maximum(0.0, d[o] - d[n_left:o])
    return u, v


def _renumber(x, n):
    """``np.unique(x, return_inverse=True)`` for integers in ``[0, n)``, by counting (no sort)."""
    used = np.bincount(x, minlength=n) > 0
    return np.flatnonzero(used), (np.cumsum(used) - 1)[x]


class _Compact:
    """The candidate edges an assignment solver needs: positive weight, mentor with places,
    on the mentors and mentees they touch (renumbered); ``result`` maps back."""

    def __init__(self, capacity, rows, cols, weight):
        self.capacity = np.asarray(capacity, dtype=np.int64)
        self.rows = np.asarray(rows, dtype=np.int64)
        self.cols = np.asarray(cols, dtype=np.int64)
        self.weight = np.asarray(weight, dtype=np.float64)
        self.n_left = len(self.capacity)
        self.n_right = int(self.cols.max()) + 1 if len(self.cols) else 0
        self.keep = np.flatnonzero((self.weight > 0) & (self.capacity[self.rows] > 0))
        self.empty = len(self.keep) == 0
        self.left, self.rr = _renumber(self.rows[self.keep], self.n_left)
        self.right, self.cc = _renumber(self.cols[self.keep], self.n_right)
        self.w = self.weight[self.keep]

    def result(self, sub, duals):
        """``(chosen, u, v)`` over the original edges and nodes from the sub-problem's answer."""
        chosen = np.zeros(len(self.rows), dtype=bool)
        u, v = np.zeros(self.n_left), np.zeros(self.n_right)
        if sub is not None:
            chosen[self.keep] = sub
            u[self.left], v[self.right] = duals
        return chosen, u, v


def solve_bmatching_lap(capacity, rows, cols, weight):
    """Maximum-weight b-matching (each mentee at most once) with dual values.

    Same contract as :func:`solve_bmatching` with every demand equal to 1. Mentor
    ``i`` is expanded into ``capacity_i`` identical places and every mentee gets a
    private "stay unmatched" place of weight 0; the resulting rectangular assignment
    is solved by LAPJVsp (``scipy.sparse.csgraph.min_weight_full_bipartite_matching``,
    compiled, sparse). Duals come from shortest paths in the residual graph
    (:func:`_residual_duals`). Weights must be integer-valued (exact in float64).

    Examples
    --------
    >>> w = np.array([5., 4., 4.])
    >>> chosen, u, v = solve_bmatching_lap([1, 1], [0, 0, 1], [0, 1, 0], w)
    >>> rc = np.maximum(0, w - u[[0, 0, 1]] - v[[0, 1, 0]]).sum()
    >>> chosen.tolist(), dual_bound([1, 1], [1, 1], u, v, rc)   # bound = matched weight
    ([False, True, True], 8.0)
    """
    sub_problem = _Compact(capacity, rows, cols, weight)
    if sub_problem.empty:
        return sub_problem.result(None, None)
    capacity = sub_problem.capacity
    left, rr, cc, w = sub_problem.left, sub_problem.rr, sub_problem.cc, sub_problem.w
    cap = capacity[left]
    offset = np.r_[0, np.cumsum(cap)[:-1]]
    n_slots = int(cap.sum())
    reps = cap[rr]
    e = np.repeat(np.arange(len(w)), reps)
    slot = offset[rr[e]] + (np.arange(len(e)) - np.repeat(np.cumsum(reps) - reps, reps))
    big = float(w.max()) + 1.0
    n_r = len(sub_problem.right)
    data = np.r_[big - w[e], np.full(n_r, big)]
    a = sp.csr_array((data, (np.r_[cc[e], np.arange(n_r)], np.r_[slot, n_slots + np.arange(n_r)])),
                     shape=(n_r, n_slots + n_r))
    ri, ci = min_weight_full_bipartite_matching(a)
    real = ci < n_slots
    owner = np.repeat(np.arange(len(left)), cap)
    key = rr * n_r + cc
    order = np.argsort(key)
    pos = order[np.searchsorted(key[order], owner[ci[real]] * n_r + ri[real])]
    sub = np.zeros(len(w), dtype=bool)
    sub[pos] = True
    return sub_problem.result(sub, _residual_duals(cap, rr, cc, w, sub, len(left), n_r))


def solve_bmatching_flow(capacity, rows, cols, weight, big=0.0, start=None):
    """Maximum-weight b-matching (each mentee at most once) by min-cost flow, with duals.

    Same contract as :func:`solve_bmatching_lap`. The capacitated graph
    ``source -> mentor (capacity) -> mentee (1) -> sink`` is solved as it is, without
    expanding mentors into places, by OR-Tools' cost-scaling push-relabel
    (``SimpleMinCostFlow``, compiled). When every weight carries the coverage bonus
    ``big`` (``max_coverage``: one more pair outweighs any difference of score), the
    flow is a maximum flow of least cost on the costs ``-(weight - big)``, whose range
    is that of the scores alone; otherwise a free ``source -> sink`` bypass lets the
    flow stop where pairs stop paying. Duals come from shortest paths in the residual
    graph (:func:`_residual_duals`), as for LAPJVsp: the certificate does not depend
    on the solver. ``start``: duals ``(u, v)`` of a previous solve (all mentors, all
    mentees) to start the shortest paths from.

    Examples
    --------
    >>> w = np.array([5., 4., 4.])
    >>> chosen, u, v = solve_bmatching_flow([1, 1], [0, 0, 1], [0, 1, 0], w)
    >>> rc = np.maximum(0, w - u[[0, 0, 1]] - v[[0, 1, 0]]).sum()
    >>> chosen.tolist(), dual_bound([1, 1], [1, 1], u, v, rc)
    ([False, True, True], 8.0)
    """
    from ortools.graph.python import min_cost_flow

    sub_problem = _Compact(capacity, rows, cols, weight)
    if sub_problem.empty:
        return sub_problem.result(None, None)
    capacity, rows, cols, weight = sub_problem.capacity, sub_problem.rows, sub_problem.cols, sub_problem.weight
    left, rr, cc, w = sub_problem.left, sub_problem.rr, sub_problem.cc, sub_problem.w
    nl, nr = len(left), len(sub_problem.right)
    cap = capacity[left]
    cardinality_first = big > 0 and bool(np.all(w >= big))
    cost = -(w - big) if cardinality_first else -w
    source, sink = nl + nr, nl + nr + 1
    total = int(min(cap.sum(), nr))
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.r_[np.full(nl, source), rr, nl + np.arange(nr)]
    heads = np.r_[np.arange(nl), nl + cc, np.full(nr, sink)]
    caps = np.r_[cap, np.ones(len(rr) + nr, dtype=np.int64)]
    costs = np.r_[np.zeros(nl), cost, np.zeros(nr)]
    if not cardinality_first:
        tails, heads = np.r_[tails, source], np.r_[heads, sink]
        caps, costs = np.r_[caps, total], np.r_[costs, 0.0]
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64), costs.astype(np.int64))
    if cardinality_first:
        flow.set_node_supply(source, total)
        flow.set_node_supply(sink, -total)
        status = flow.solve_max_flow_with_min_cost()
    else:
        flow.set_node_supply(source, total)
        flow.set_node_supply(sink, -total)
        status = flow.solve()
    if status != flow.OPTIMAL:
        # BAD_COST_RANGE: cost scaling multiplies the costs by about the number of
        # nodes, which must stay within int64; LAPJVsp works in float64.
        return solve_bmatching_lap(capacity, rows, cols, weight)
    sub = flow.flows(arcs[nl:nl + len(rr)]) > 0
    if start is not None:
        v0 = np.zeros(int(sub_problem.right.max()) + 1)
        v0[:min(len(v0), len(start[1]))] = start[1][:len(v0)]
        start = (np.asarray(start[0], dtype=np.float64)[left], v0[sub_problem.right])
    return sub_problem.result(sub, _residual_duals(cap, rr, cc, w, sub, nl, nr, start))
