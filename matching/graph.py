"""The programme's rules as networkx graphs, and the split into components.

Nodes are participant ids. The *exclusion graph* holds the pairs that must never
be made (``exclude`` lists, including previous pairs; undirected, so an exclusion
works both ways). The *eligibility graph* is bipartite (mentor side, mentee side)
with one edge per eligible pair; its connected components are independent
sub-problems.
"""

import networkx as nx
import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

__all__ = ["exclusion_graph", "eligibility_graph", "component_labels", "n_components"]

# Above this many edges the components are found with scipy's compiled routine
# instead of networkx (same answer, a few hundred times faster).
NX_EDGE_LIMIT = 50_000


def exclusion_graph(participants):
    """Undirected graph of the pairs that must not be made.

    Ids excluded by a city but absent from the round are ignored.

    Parameters
    ----------
    participants : sequence of Participant

    Returns
    -------
    networkx.Graph
        One node per participant, one edge per excluded pair. O(n + e).

    Examples
    --------
    >>> from matching import Participant
    >>> g = exclusion_graph([Participant(id="a", name="A", country="FR", exclude=["b", "zz"]),
    ...                      Participant(id="b", name="B", country="SN")])
    >>> sorted(g.edges())
    [('a', 'b')]
    """
    g = nx.Graph()
    ids = [p.id for p in participants]
    g.add_nodes_from(ids)
    known = set(ids)
    g.add_edges_from((p.id, q) for p in participants for q in p.exclude if q in known)
    return g


def eligibility_graph(model, rows, cols, weight=None, *, weight_attr="weight", score=None):
    """Bipartite networkx graph of eligible pairs.

    Mentor nodes are ``("mentor", id)``, mentee nodes ``("mentee", id)`` (a city can be
    on both sides), with attributes ``capacity`` and ``demand``.

    Parameters
    ----------
    model : ScoringModel
    rows, cols : array of int
        Mentor and mentee positions of the eligible pairs.
    weight : array of int, optional
        Integer weights (scaled scores) stored under ``weight_attr``.
    weight_attr : str, default "weight"
    score : array of float, optional
        Float scores kept for display under ``score``.

    Returns
    -------
    networkx.Graph
        O(n + e) to build.
    """
    g = nx.Graph()
    people = model.participants
    for pos, idx in enumerate(model.mentors):
        g.add_node(("mentor", people[idx].id), bipartite=0, capacity=int(model.capacity[pos]))
    for pos, idx in enumerate(model.mentees):
        g.add_node(("mentee", people[idx].id), bipartite=1, demand=int(model.demand[pos]))
    for e, (i, j) in enumerate(zip(np.asarray(rows).tolist(), np.asarray(cols).tolist())):
        attrs = {}
        if weight is not None:
            attrs[weight_attr] = int(weight[e])
        if score is not None:
            attrs["score"] = float(score[e])
        g.add_edge(("mentor", people[model.mentors[i]].id),
                   ("mentee", people[model.mentees[j]].id), **attrs)
    return g


def component_labels(n_left, n_right, rows, cols):
    """Connected-component label of every edge of a bipartite graph.

    Uses networkx for small graphs and scipy.sparse.csgraph beyond
    ``NX_EDGE_LIMIT`` edges. O(n + e).

    Parameters
    ----------
    n_left, n_right : int
    rows, cols : array of int
        Edge endpoints (left position, right position).

    Returns
    -------
    labels : ndarray of int
        Component number per edge, numbered by first appearance.
    n_components : int
        Number of components that have at least one edge.

    Examples
    --------
    >>> labels, n = component_labels(3, 3, [0, 1, 2], [0, 0, 2])
    >>> labels.tolist(), n
    ([0, 0, 1], 2)
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), 0
    if len(rows) <= NX_EDGE_LIMIT:
        g = nx.Graph()
        g.add_edges_from(zip(rows.tolist(), (cols + n_left).tolist()))
        node_label = np.zeros(n_left + n_right, dtype=np.int64)
        for k, comp in enumerate(nx.connected_components(g)):
            node_label[list(comp)] = k
    else:
        n = n_left + n_right
        adj = coo_array((np.ones(len(rows), dtype=np.int8), (rows, cols + n_left)), shape=(n, n))
        _, node_label = connected_components(adj, directed=False)
    raw = node_label[rows]
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse].astype(np.int64), len(first)


def n_components(n_left, n_right, rows, cols):
    """Number of connected components with at least one edge (scipy, compiled). O(n + e).

    Examples
    --------
    >>> n_components(3, 3, [0, 1, 2], [0, 0, 2])
    2
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if len(rows) == 0:
        return 0
    n = n_left + n_right
    adj = coo_array((np.ones(len(rows), dtype=np.int8), (rows, cols + n_left)), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    return int(len(np.unique(label[rows])))
