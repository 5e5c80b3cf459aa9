"""The programme's mentoring network: cities as nodes, mentor → mentee ties as directed edges.

Ties are mentorships (active and completed) and approved or endorsed proposals that have not
become a mentorship yet; withdrawn mentorships and rejected or declined proposals are not ties.
Analytics use networkx on the knowledge-flow graph (edge mentor → mentee, weight = number of ties).

The result is cached in the process until the data changes (:mod:`mentoring.cache`): the key is a
one-query fingerprint of the tables involved, so a new tie, a state change or an edited city
invalidates it.

"South" and "North" follow the World Bank income groups shipped in ``mentoring/data/income_groups.json``
(low and middle income = South, high income = North; see :mod:`mentoring.services.income`).
South–South cooperation is a tie between two South cities; *triangular* cooperation is a South
mentee that, in the same round, learns from a South and a North mentor (one per such mentee and round).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import networkx as nx
from sqlalchemy import select

from mentoring import cache
from mentoring.extensions import db
from mentoring.models import (
    City,
    CityCommission,
    Commission,
    MatchRound,
    Mentorship,
    Proposal,
)
from mentoring.services.income import income_group, is_south

TIE_MENTORSHIP_STATES = ("active", "completed")
TIE_PROPOSAL_STATES = ("approved", "endorsed")
EDGE_STATUSES = ("approved", "endorsed", "active", "completed")
HUBS = 5

#: What the network is computed from: a write to any of them changes :func:`fingerprint`.
TABLES = (City, Mentorship, Proposal, CityCommission, MatchRound)
_memo = cache.Memo(maxsize=8)


@dataclass(frozen=True)
class Tie:
    kind: str  # "mentorship" or "proposal"
    id: int
    mentor: int
    mentee: int
    round_id: int | None
    areas: tuple[str, ...]
    status: str
    start: date | None
    end: date | None


def fingerprint() -> tuple:
    """Changes when any row of a table the network reads changes (:func:`mentoring.cache.fingerprint`)."""
    return cache.fingerprint(*TABLES)


def ties() -> list[Tie]:
    """Every tie of the programme, oldest first."""
    out = []
    # A proposal that became a mentorship is that mentorship (even a withdrawn one, then no tie).
    with_mentorship = set(db.session.scalars(select(Mentorship.proposal_id).where(Mentorship.proposal_id.is_not(None))))
    for m, round_id in db.session.execute(
        select(Mentorship, Proposal.round_id).outerjoin(Proposal, Proposal.id == Mentorship.proposal_id)
        .where(Mentorship.state.in_(TIE_MENTORSHIP_STATES)).order_by(Mentorship.start_date, Mentorship.id)
    ):
        out.append(Tie("mentorship", m.id, m.mentor_city_id, m.mentee_city_id, round_id,
                       tuple(m.areas or ()), m.state, m.start_date,
                       m.closed_at.date() if m.closed_at else m.planned_end))
    for p in db.session.scalars(
        select(Proposal).where(Proposal.state.in_(TIE_PROPOSAL_STATES)).order_by(Proposal.id)
    ):
        if p.id in with_mentorship:
            continue
        when = p.decided_at or p.created_at
        out.append(Tie("proposal", p.id, p.mentor_city_id, p.mentee_city_id, p.round_id,
                       tuple(p.areas or ()), p.state, when.date() if when else None, None))
    return out


def _commissions() -> tuple[dict[int, list[str]], dict[str, dict]]:
    by_city: dict[int, list[str]] = defaultdict(list)
    for city_id, key in db.session.execute(
        select(CityCommission.city_id, Commission.key).join(Commission, Commission.id == CityCommission.commission_id)
        .order_by(Commission.key)
    ):
        by_city[city_id].append(key)
    labels = {c.key: dict(c.labels or {}) for c in db.session.scalars(select(Commission))}
    return by_city, labels


def build_graph(tie_list: list[Tie] | None = None) -> nx.MultiDiGraph:
    """The network as a networkx multigraph: every verified city, plus any city with a tie."""
    tie_list = ties() if tie_list is None else tie_list
    tied = {t.mentor for t in tie_list} | {t.mentee for t in tie_list}
    commissions, _labels = _commissions()
    graph = nx.MultiDiGraph()
    for city in db.session.scalars(select(City).where((City.status == "verified") | City.id.in_(tied))
                                   .order_by(City.id)):
        graph.add_node(city.id, name=city.name, country=city.country, region=city.region,
                       income_group=income_group(city.country), population=city.population,
                       latitude=city.latitude, longitude=city.longitude,
                       commissions=commissions.get(city.id, []), status=city.status)
    for t in tie_list:
        graph.add_edge(t.mentor, t.mentee, key=f"{t.kind}-{t.id}", kind=t.kind, id=t.id,
                       round=t.round_id, areas=list(t.areas), status=t.status,
                       start=t.start.isoformat() if t.start else None,
                       end=t.end.isoformat() if t.end else None)
    return graph


def flow_graph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """Collapse parallel ties into one weighted edge (weight = number of ties)."""
    flow = nx.DiGraph()
    flow.add_nodes_from(graph.nodes(data=True))
    for u, v in graph.edges():
        if flow.has_edge(u, v):
            flow[u][v]["weight"] += 1
        else:
            flow.add_edge(u, v, weight=1)
    return flow


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def analyse(graph: nx.MultiDiGraph) -> dict:
    """Every figure of the network page, from one graph."""
    flow = flow_graph(graph)
    nodes = graph.nodes
    tied = [n for n in graph if graph.degree(n) > 0]
    mentors = sorted({u for u, _v in graph.edges()})
    mentees = sorted({v for _u, v in graph.edges()})
    edges = list(graph.edges(data=True))

    mentees_per_mentor = {n: len(set(flow.successors(n))) for n in mentors}
    mentors_per_mentee = {n: len(set(flow.predecessors(n))) for n in mentees}

    if flow.number_of_edges():
        pagerank = nx.pagerank(flow, weight="weight")
        betweenness = nx.betweenness_centrality(flow, weight=None, normalized=True)
        undirected = flow.to_undirected()
        undirected.remove_nodes_from([n for n in list(undirected) if undirected.degree(n) == 0])
        communities = [sorted(c) for c in nx.community.louvain_communities(undirected, weight="weight", seed=2026)]
        communities.sort(key=lambda c: (-len(c), c[0]))
        reciprocity = nx.reciprocity(flow)
    else:
        pagerank, betweenness, communities, reciprocity = {}, {}, [], None
    community_of = {n: i for i, c in enumerate(communities) for n in c}

    both = sorted(set(mentors) & set(mentees))
    regions = sorted({nodes[n]["region"] for n in graph})
    flows = {r: dict.fromkeys(regions, 0) for r in regions}
    for u, v, _d in edges:
        flows[nodes[u]["region"]][nodes[v]["region"]] += 1

    cooperation = Counter()
    for u, v, _d in edges:
        cooperation[("south" if is_south(nodes[u]["country"]) else "north") + "_"
                    + ("south" if is_south(nodes[v]["country"]) else "north")] += 1
    triangular = _triangular(graph)

    bridged, pairs = 0, Counter()
    for u, v, _d in edges:
        a, b = set(nodes[u]["commissions"]), set(nodes[v]["commissions"])
        if not (a & b):
            bridged += 1
        for x in sorted(a):
            for y in sorted(b):
                if x != y:
                    pairs[(x, y)] += 1

    members = [n for n in graph if nodes[n]["status"] == "verified"]
    never = sorted((n for n in members if graph.degree(n) == 0), key=lambda n: nodes[n]["name"])
    reached_countries = {nodes[n]["country"] for n in tied}
    member_countries = {nodes[n]["country"] for n in members}

    total = len(edges)
    return {
        "cities": len(members),
        "cities_tied": len(tied),
        "ties": total,
        "ties_by_status": {s: sum(1 for *_x, d in edges if d["status"] == s) for s in EDGE_STATUSES},
        "mentor_cities": len(mentors),
        "mentee_cities": len(mentees),
        "degree": {
            "mentees_per_mentor": _summary(mentees_per_mentor.values()),
            "mentors_per_mentee": _summary(mentors_per_mentee.values()),
        },
        "hubs": {
            "pagerank": _top(pagerank, nodes),
            "betweenness": _top(betweenness, nodes),
        },
        "communities": [{"id": i, "cities": c, "size": len(c)} for i, c in enumerate(communities)],
        "reciprocity": {
            "cities_both_ways": both,
            "count": len(both),
            "mutual_tie_share": round(reciprocity, 4) if reciprocity is not None else None,
        },
        "region_flows": flows,
        "cooperation": {
            "south_south": cooperation["south_south"],
            "north_south": cooperation["north_south"],
            "south_north": cooperation["south_north"],
            "north_north": cooperation["north_north"],
            "south_south_share": _share(cooperation["south_south"], total),
            "triangular": triangular,
        },
        "commissions": {
            "bridging_ties": bridged,
            "bridging_share": _share(bridged, total),
            "pairs": [{"from": a, "to": b, "ties": n} for (a, b), n in sorted(pairs.items())],
        },
        "not_reached": {
            "cities": never,
            "count": len(never),
            "countries": sorted(member_countries - reached_countries),
        },
        "_per_node": {n: {"pagerank": round(pagerank.get(n, 0.0), 6),
                          "betweenness": round(betweenness.get(n, 0.0), 6),
                          "community": community_of.get(n),
                          "mentees": mentees_per_mentor.get(n, 0),
                          "mentors": mentors_per_mentee.get(n, 0)} for n in graph},
    }


def _triangular(graph: nx.MultiDiGraph) -> int:
    """South mentees who, in one round, have both a South and a North mentor."""
    sides: dict[tuple, set] = defaultdict(set)
    for u, v, d in graph.edges(data=True):
        if is_south(graph.nodes[v]["country"]):
            sides[(v, d["round"])].add("south" if is_south(graph.nodes[u]["country"]) else "north")
    return sum(1 for s in sides.values() if s == {"south", "north"})


def _summary(values) -> dict:
    values = sorted(values)
    if not values:
        return {"count": 0, "mean": None, "max": None, "distribution": {}}
    return {"count": len(values), "mean": round(sum(values) / len(values), 2), "max": values[-1],
            "distribution": {str(k): n for k, n in sorted(Counter(values).items())}}


def _top(scores: dict, nodes) -> list[dict]:
    ranked = sorted(((s, n) for n, s in scores.items() if s > 0), key=lambda x: (-x[0], x[1]))[:HUBS]
    return [{"city": n, "name": nodes[n]["name"], "score": round(s, 4)} for s, n in ranked]


def _evolution(tie_list: list[Tie]) -> list[dict]:
    """Figures round by round: the ties of each round, and the network as it stood after it."""
    rounds = list(db.session.execute(
        select(MatchRound.id, MatchRound.name, MatchRound.created_at).order_by(MatchRound.created_at, MatchRound.id)))
    steps = [(r.id, r.name) for r in rounds]
    if any(t.round_id is None for t in tie_list):
        steps.append((None, None))
    out, so_far = [], []
    for round_id, name in steps:
        own = [t for t in tie_list if t.round_id == round_id]
        so_far += own
        graph = build_graph(so_far)
        figures = analyse(graph)
        out.append({
            "round": round_id, "name": name, "ties": len(own),
            "cumulative_ties": figures["ties"], "cities_tied": figures["cities_tied"],
            "mentor_cities": figures["mentor_cities"], "mentee_cities": figures["mentee_cities"],
            "reciprocal_cities": figures["reciprocity"]["count"],
            "communities": len(figures["communities"]),
            "south_south_share": figures["cooperation"]["south_south_share"],
            "bridging_share": figures["commissions"]["bridging_share"],
        })
    return out


def network() -> dict:
    """``{"nodes", "edges", "metrics"}`` for the API, the CLI and the pages; cached until data changes."""
    return _memo.get_or_compute(("network", fingerprint()), _compute)


def _compute() -> dict:
    tie_list = ties()
    graph = build_graph(tie_list)
    metrics = analyse(graph)
    per_node = metrics.pop("_per_node")
    metrics["evolution"] = _evolution(tie_list)
    rounds = {r.id: r.name for r in db.session.execute(select(MatchRound.id, MatchRound.name))}
    nodes = []
    for n, data in graph.nodes(data=True):
        nodes.append({"id": n, **{k: data[k] for k in ("name", "country", "region", "income_group", "population",
                                                       "latitude", "longitude", "commissions")},
                      "degree_out": graph.out_degree(n), "degree_in": graph.in_degree(n), **per_node[n]})
    edges = [{"source": u, "target": v, **{k: d[k] for k in ("kind", "id", "round", "areas", "status",
                                                             "start", "end")},
              "round_name": rounds.get(d["round"])} for u, v, d in graph.edges(data=True)]
    metrics["generated_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
    return {"nodes": nodes, "edges": edges, "metrics": metrics}


def graphml(data: dict) -> str:
    """The same network as GraphML (lists become comma-separated strings; GraphML has no lists)."""
    graph = nx.MultiDiGraph()
    for node in data["nodes"]:
        attrs = {k: _plain(v) for k, v in node.items() if k != "id" and v is not None}
        graph.add_node(node["id"], **attrs)
    for edge in data["edges"]:
        attrs = {k: _plain(v) for k, v in edge.items() if k not in ("source", "target") and v is not None}
        graph.add_edge(edge["source"], edge["target"], key=f"{edge['kind']}-{edge['id']}", **attrs)
    return "\n".join(nx.generate_graphml(graph))


def _plain(value):
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value


def clear_cache() -> None:
    _memo.clear()
