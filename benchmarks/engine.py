"""Benchmark the matching engine against baselines on seeded synthetic rounds.

Usage::

    python benchmarks/engine.py [SIZES ...]      # default: 200 2000 10000 100000

For each size it prints end-to-end time (features + scoring + solve), peak traced
memory, objective as % of the certified optimum, and coverage, for the engine and,
on the same instance, for SciPy ``linear_sum_assignment`` on the dense
capacity-expanded matrix, greedy, and networkx ``max_weight_matching`` (within a
time budget). Timings are measured in this process; nothing here is a test.
"""

import sys
import time
import tracemalloc

import numpy as np
from scipy.optimize import linear_sum_assignment

from matching import MatchParams, propose
from matching.datasets import make_round
from matching.scoring import build_model

NX_BUDGET_CITIES = 400        # networkx max_weight_matching is >120 s at 1,000 cities
DENSE_LIMIT = 10_000          # dense baselines need n_mentors * capacity * n_mentees floats


def run_engine(people, solver="auto"):
    t = time.perf_counter()
    r = propose(people, MatchParams(solver=solver))
    elapsed = time.perf_counter() - t
    # Memory in a second run: tracing allocations slows numpy down noticeably.
    tracemalloc.start()
    propose(people, MatchParams(solver=solver))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    m = r.metrics
    return elapsed, peak, m["objective"], m["coverage"], m["certified"], len(r.pairs)


def dense_baselines(people, optimum_pairs):
    """Score matrix once, then LSA and (small) networkx; objective in score units."""
    t = time.perf_counter()
    model = build_model(people, MatchParams())
    score, ok = model.block(0, model.n_mentors)
    w = np.where(ok, np.rint(score.astype(np.float64) * 1e6), 0.0)
    t_score = time.perf_counter() - t
    out = {}
    # LSA maximises coverage first too: eligible pairs get a bonus larger than any total.
    bonus = model.n_mentees * (w.max() + 1)
    expanded = np.repeat(np.where(ok, w + bonus, 0.0), model.capacity, axis=0)
    t = time.perf_counter()
    r, c = linear_sum_assignment(expanded, maximize=True)
    t_lsa = time.perf_counter() - t
    keep = expanded[r, c] > 0
    out["lsa"] = (t_score + t_lsa, t_lsa, float(expanded[r, c][keep].sum() - bonus * keep.sum()) / 1e6,
                  len(np.unique(c[keep])) / model.n_mentees)
    if len(people) <= NX_BUDGET_CITIES:
        import networkx as nx
        g = nx.Graph()
        slots = np.repeat(np.arange(model.n_mentors), model.capacity)
        for s, i in enumerate(slots):
            for j in np.flatnonzero(ok[i]):
                g.add_edge(("s", s), ("e", j), weight=int(w[i, j]))
        t = time.perf_counter()
        mate = nx.max_weight_matching(g, maxcardinality=True)
        t_nx = time.perf_counter() - t
        total = sum(g.edges[a, b]["weight"] for a, b in mate) / 1e6
        out["networkx"] = (t_score + t_nx, t_nx, total, len(mate) / model.n_mentees)
    return out


def main(sizes):
    rows = []
    propose(make_round(20, random_state=1))          # warm up imports and BLAS
    header = f"{'cities':>8} {'method':<22} {'time s':>8} {'solve s':>8} {'peak MB':>8} " \
             f"{'% opt':>7} {'coverage':>8} {'certified':>9}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        people = make_round(n, random_state=0)
        t, peak, opt, cov, cert, npairs = run_engine(people)
        print(f"{n:>8} {'engine (auto)':<22} {t:8.2f} {'':>8} {peak / 2**20:8.0f} {100.0:7.2f} "
              f"{cov:8.3f} {str(cert):>9}", flush=True)
        tg, pg, og, cg, _, _ = run_engine(people, solver="greedy")
        print(f"{n:>8} {'greedy (top-k)':<22} {tg:8.2f} {'':>8} {pg / 2**20:8.0f} "
              f"{100 * og / opt:7.2f} {cg:8.3f} {'':>9}", flush=True)
        if n <= DENSE_LIMIT:
            for name, (tt, ts, obj, c) in dense_baselines(people, npairs).items():
                label = {"lsa": "scipy LSA dense", "networkx": "nx max_weight_matching"}[name]
                print(f"{n:>8} {label:<22} {tt:8.2f} {ts:8.2f} {'':>8} {100 * obj / opt:7.2f} "
                      f"{c:8.3f} {'':>9}", flush=True)
        rows.append(n)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [200, 2000, 10000, 100000])
