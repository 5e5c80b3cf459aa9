"""The programme's rules as a minimum-cost flow network (networkx), solved exactly.

A round with rules is the flow network::

    source -> mentor i -> [mentor i, country c] -> mentee j -> group ... -> sink
      (capacity_i)   (max_per_mentor_country)    (1)   (max_per_country; floors)

with one arc per candidate pair (cost ``-weight``) and a free bypass ``source -> sink``.
Mentee groups (country, region, priority mentees) must form a *laminar* family (any two
are disjoint or nested): then every mentee has one path of groups to the sink and the
constraint matrix stays a network matrix, totally unimodular, so the linear programme
has integral optimal vertices. HiGHS' dual simplex solves it (compiled) and returns the
node potentials: the certificate. Combinations that are not laminar (for example a
priority floor when a country has both priority and other mentees, together with a
per-country cap) leave the flow class and are refused with a clear message.

Floors are lower bounds: first the largest floor flow the eligible pairs allow is found
(a flow with cost -1 on the floor arcs), then it is imposed while the real objective is
optimised, so a floor that cannot be met in full is met as far as possible.
``networkx.network_simplex`` solves the same graph (the test oracle on small rounds).
"""

import math

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from .exceptions import MatchingError, RulesConflict

__all__ = ["RoundNetwork", "check_rules", "group_chains", "network_simplex_value"]

SOURCE, SINK = ("source",), ("sink",)
_RULE_OF = {"country": "max_per_country", "region": "min_per_region", "priority": "priority_floor"}


def group_chains(params, countries, regions, priority):
    """Chain of mentee groups (smallest first) of every mentee under ``params``' rules.

    ``countries``, ``regions`` and ``priority`` hold one entry per mentee (priority: a
    boolean). Raises :class:`RulesConflict` when the groups are not laminar.
    """
    p = params
    kinds = []
    if p.max_per_country is not None:
        kinds.append(("country", list(countries)))
    if p.min_per_region > 0:
        kinds.append(("region", [r or "(none)" for r in regions]))
    if p.priority_floor > 0:
        kinds.append(("priority", ["priority" if flag else None for flag in priority]))
    size = {}
    for kind, labels in kinds:
        for label in labels:
            if label is not None:
                size[(kind, label)] = size.get((kind, label), 0) + 1
    rank = {kind: r for r, (kind, _) in enumerate(kinds)}
    chains, above = [], {}
    for j in range(len(countries)):
        chain = [(kind, labels[j]) for kind, labels in kinds if labels[j] is not None]
        chain.sort(key=lambda g: (size[g], rank[g[0]]))
        chain = tuple(chain)
        for a, g in enumerate(chain):
            rest = chain[a + 1:]
            seen = above.setdefault(g, rest)
            if seen != rest:
                other = next(iter(set(seen) ^ set(rest)))
                raise RulesConflict(g, other, _RULE_OF[g[0]], _RULE_OF[other[0]])
        chains.append(chain)
    return chains


def check_rules(participants, params):
    """Refuse, before any scoring, rules that would leave the class of flow problems.

    The same test as the solve (:func:`group_chains` on the mentees: every city with
    ``wants_mentor``), cheap enough to run when a round is set up.

    Raises
    ------
    RulesConflict
        Two rules' groups overlap without one containing the other.

    Examples
    --------
    >>> from matching import MatchParams, Participant
    >>> people = [Participant(id="a", name="A", country="SN", region="africa", wants_mentor=True,
    ...                       priority=2.0),
    ...           Participant(id="b", name="B", country="FR", region="europe", wants_mentor=True),
    ...           Participant(id="c", name="C", country="IN", region="asia", wants_mentor=True,
    ...                       priority=2.0),
    ...           Participant(id="d", name="D", country="MA", region="africa", wants_mentor=True)]
    >>> check_rules(people, MatchParams(priority_floor=0.5))
    >>> check_rules(people, MatchParams(priority_floor=0.5, min_per_region=1))
    Traceback (most recent call last):
    ...
    matching.exceptions.RulesConflict: field 'min_per_region': the rules min_per_region and priority_floor ...
    """
    if not params.network_rules:
        return
    mentees = [p for p in participants if p.is_mentee]
    group_chains(params, [p.country for p in mentees], [p.region for p in mentees],
                 [p.priority > 1.0 for p in mentees])


class RoundNetwork:
    """The flow network of a round's candidate pairs under the programme's rules.

    Parameters
    ----------
    model : ScoringModel
    params : MatchParams
    rows, cols : arrays of int
        Candidate pairs (mentor position, mentee position).
    weight : array of float
        Integer weights (scaled scores plus the coverage bonus).

    Attributes
    ----------
    graph : networkx.DiGraph
        Nodes ``("mentor", i)``, ``("mentor_country", i, c)``, ``("mentee", j)``,
        ``("country", c)``, ``("region", r)``, ``("priority",)``, ``("floor", g)``,
        source and sink; arcs carry ``capacity``, ``lower`` and ``cost``.
    """

    def __init__(self, model, params, rows, cols, weight):
        self.model, self.params = model, params
        self.rows = np.asarray(rows, dtype=np.int64)
        self.cols = np.asarray(cols, dtype=np.int64)
        self.weight = np.asarray(weight, dtype=np.float64)
        people = model.participants
        mentees = [people[k] for k in model.mentees]
        self.mentee_country = np.asarray([p.country for p in mentees], dtype=object)
        self.mentee_region = np.asarray([p.region or "(none)" for p in mentees], dtype=object)
        self.mentee_priority = model.priority > 1.0
        self.group_chain = self._groups()
        self.targets = {}
        self._build()

    # ------------------------------------------------------------- structure
    def _groups(self):
        """Chain of groups (smallest first) of every mentee; refuses non-laminar rules."""
        return group_chains(self.params, self.mentee_country, self.mentee_region, self.mentee_priority)

    def _build(self):
        p, model = self.params, self.model
        g = nx.DiGraph()
        total = int(model.capacity.sum())
        self.total = total
        g.add_node(SOURCE)
        g.add_node(SINK)
        g.add_edge(SOURCE, SINK, capacity=total, lower=0, cost=0, kind="bypass")
        for i, cap in enumerate(model.capacity.tolist()):
            g.add_edge(SOURCE, ("mentor", i), capacity=int(cap), lower=0, cost=0, kind="mentor")
        tails = []
        country = self.mentee_country
        for i, j in zip(self.rows.tolist(), self.cols.tolist()):
            if p.max_per_mentor_country is not None:
                tail = ("mentor_country", i, country[j])
                if tail not in g:
                    g.add_edge(("mentor", i), tail, capacity=p.max_per_mentor_country, lower=0,
                               cost=0, kind="mentor_country")
            else:
                tail = ("mentor", i)
            tails.append(tail)
        self.tails = tails
        for e, (tail, j) in enumerate(zip(tails, self.cols.tolist())):
            g.add_edge(tail, ("mentee", j), capacity=1, lower=0, cost=-self.weight[e], kind="pair",
                       edge=e)
        for j in range(model.n_mentees):
            chain = self.group_chain[j]
            first = chain[0] if chain else SINK
            g.add_edge(("mentee", j), first, capacity=int(model.demand[j]), lower=0, cost=0,
                       kind="mentee")
        for j in range(model.n_mentees):
            chain = self.group_chain[j]
            for a, grp in enumerate(chain):
                parent = chain[a + 1] if a + 1 < len(chain) else SINK
                if g.has_edge(grp, parent) or g.has_edge(grp, ("floor", grp)):
                    continue
                cap = p.max_per_country if grp[0] == "country" else total
                g.add_edge(grp, parent, capacity=cap, lower=0, cost=0, kind="group")
                if grp[0] in ("region", "priority"):
                    # The floor part of the group's flow: a node so the arc is not parallel.
                    g.add_edge(grp, ("floor", grp), capacity=total, lower=0, cost=0, kind="floor")
                    g.add_edge(("floor", grp), parent, capacity=total, lower=0, cost=0, kind="group")
        self.graph = g
        self.nodes = list(g.nodes)
        index = {n: k for k, n in enumerate(self.nodes)}
        self.arcs = list(g.edges(data=True))
        self.tail_idx = np.asarray([index[a] for a, _, _ in self.arcs])
        self.head_idx = np.asarray([index[b] for _, b, _ in self.arcs])
        self.node_index = index
        self.pair_arc = np.asarray([k for k, (_, _, d) in enumerate(self.arcs) if d["kind"] == "pair"],
                                   dtype=np.intp)
        self.floor_arcs = {a[0]: k for k, a in enumerate(self.arcs) if a[2]["kind"] == "floor"}

    # ------------------------------------------------------------- solving
    def _lp(self, cost, lower, upper):
        n_nodes, n_arcs = len(self.nodes), len(self.arcs)
        k = np.arange(n_arcs)
        a = sp.csr_array((np.r_[np.ones(n_arcs), -np.ones(n_arcs)],
                          (np.r_[self.tail_idx, self.head_idx], np.r_[k, k])), shape=(n_nodes, n_arcs))
        b = np.zeros(n_nodes)
        b[self.node_index[SOURCE]] = self.total
        b[self.node_index[SINK]] = -self.total
        res = linprog(cost, A_eq=a, b_eq=b, bounds=np.c_[lower, upper], method="highs-ds")
        if res.status != 0:
            raise MatchingError(f"the flow solver failed: {res.message}")
        return res

    def solve(self):
        """Optimal flow; returns (chosen pairs mask, node potentials, info dict)."""
        p = self.params
        cost = np.asarray([d["cost"] for _, _, d in self.arcs], dtype=np.float64)
        upper = np.asarray([d["capacity"] for _, _, d in self.arcs], dtype=np.float64)
        lower = np.zeros(len(self.arcs))
        info = {"floors": {}}
        if self.floor_arcs:
            matched = None
            if p.priority_floor > 0:
                res = self._lp(cost, lower, upper)
                matched = int(round(res.x[self.pair_arc].sum()))
            for grp, k in self.floor_arcs.items():
                target = (math.ceil(p.priority_floor * matched - 1e-9) if grp[0] == "priority"
                          else p.min_per_region)
                self.targets[grp] = target
                upper[k] = target
            # Largest floor flow the eligible pairs allow.
            floor_cost = np.zeros(len(self.arcs))
            floor_cost[list(self.floor_arcs.values())] = -1.0
            res = self._lp(floor_cost, lower, upper)
            for grp, k in self.floor_arcs.items():
                lower[k] = round(res.x[k])
                info["floors"][grp] = (int(lower[k]), self.targets[grp])
        res = self._lp(cost, lower, upper)
        x = np.rint(res.x)
        if np.any(np.abs(res.x - x) > 1e-6):
            raise MatchingError("the flow solver returned a fractional vertex")
        self.flow = x
        self.lower, self.upper = lower, upper
        for k, (_tail, _head, d) in enumerate(self.arcs):      # the solved network, for the oracle
            d["lower"], d["capacity"] = int(lower[k]), int(upper[k])
        y = res.eqlin.marginals
        self.potential = y
        # Weak duality: b.y + sum of bound multipliers times bounds = the optimum.
        dual = (self.total * (y[self.node_index[SOURCE]] - y[self.node_index[SINK]])
                + float(res.upper.marginals @ upper) + float(res.lower.marginals @ lower))
        info["objective"], info["dual"] = float(res.fun), dual
        chosen = np.zeros(len(self.rows), dtype=bool)
        chosen[np.asarray([self.arcs[k][2]["edge"] for k in self.pair_arc if x[k] > 0.5],
                          dtype=np.intp)] = True
        return chosen, y, info

    def pair_duals(self):
        """(u, v): a left-out pair (i, j) improves the flow iff ``w_ij > u[i, c_j] + v[j]``.

        ``u`` is returned per mentor (conservative: the smallest over its tails) and as a
        table per mentor and mentee country for exact pricing.
        """
        y = self.potential
        idx = self.node_index
        n = self.model.n_mentors
        u_mentor = np.asarray([-y[idx[("mentor", i)]] for i in range(n)])
        v = np.asarray([y[idx[("mentee", j)]] for j in range(self.model.n_mentees)])
        table = {}
        for node in self.nodes:
            if node[0] == "mentor_country":
                table[(node[1], node[2])] = -y[idx[node]]
        return u_mentor, v, table

    def binding(self):
        """Rules whose arcs are saturated (or floors at their lower bound) in the flow."""
        out = {"country": set(), "mentor_country": set(), "floor": set()}
        for k, (a, b, d) in enumerate(self.arcs):
            if d["kind"] == "group" and a[0] == "country" and self.flow[k] >= d["capacity"] - 0.5:
                out["country"].add(a[1])
            elif d["kind"] == "mentor_country" and self.flow[k] >= d["capacity"] - 0.5:
                out["mentor_country"].add((b[1], b[2]))
            elif d["kind"] == "floor" and self.lower[k] > 0:
                out["floor"].add(b[1])
        return out


def network_simplex_value(graph):
    """Optimal cost of ``graph`` by ``networkx.network_simplex`` (lower bounds shifted out).

    The test oracle: same network, a different (pure Python) algorithm.
    """
    h = nx.DiGraph()
    demand = {n: 0 for n in graph.nodes}
    demand[SOURCE] = -graph.edges[SOURCE, SINK]["capacity"]
    demand[SINK] = graph.edges[SOURCE, SINK]["capacity"]
    base = 0
    for a, b, d in graph.edges(data=True):
        low = int(d.get("lower", 0))
        cost = int(d["cost"])
        h.add_edge(a, b, capacity=int(d["capacity"]) - low, weight=cost)
        demand[a] += low
        demand[b] -= low
        base += low * cost
    for n, dem in demand.items():
        h.add_node(n, demand=dem)
    value, _ = nx.network_simplex(h)
    return value + base
