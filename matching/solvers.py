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
from scipy.optimize import linprog, milp, LinearConstraint, Bounds

from .exceptions import MatchingError

__all__ = ["solve_bmatching", "greedy_bmatching", "dual_bound"]


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
