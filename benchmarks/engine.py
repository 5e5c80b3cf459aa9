"""Benchmark the matching engine against baselines on seeded synthetic rounds.

Usage::

    python benchmarks/engine.py [SIZES ...]      # default: 200 2000 10000 100000

For each size it prints end-to-end time (features + scoring + solve; wall clock
and CPU time of this process), peak memory, objective as % of the certified
optimum, and coverage, for the engine and, on the same instance, for SciPy
``linear_sum_assignment`` on the dense capacity-expanded matrix, greedy, and
networkx ``max_weight_matching`` (within a time budget). Timings are measured in
this process, so the ratios between rows are meaningful even on a busy machine;
the load average is printed with each size. Nothing here is a test.

Peak memory: ``tracemalloc`` peak of a second ``propose`` call up to
``DENSE_LIMIT`` cities; above, the maximum resident set size of a separate
process that builds the round and runs ``propose`` (marked ``*``: it includes
the Python records of the round and the interpreter).
"""

import os
import resource
import subprocess
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
GREEDY_LIMIT = 10_000         # greedy scans every pair as the engine does; skipped above


def run_engine(people, solver="auto", trace=True):
    t, c = time.perf_counter(), time.process_time()
    r = propose(people, MatchParams(solver=solver))
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    peak = None
    if trace:
        # Memory in a second run: tracing allocations slows numpy down noticeably.
        tracemalloc.start()
        propose(people, MatchParams(solver=solver))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    m = r.metrics
    return elapsed, cpu, peak, m


def max_rss_subprocess(n):
    """Peak resident memory (bytes) of a fresh process that builds the round and proposes."""
    code = ("import resource; from matching import propose; "
            "from matching.datasets import make_round; "
            f"propose(make_round({n}, random_state=0)); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return int(out.stdout.split()[-1]) * 1024


def dense_baselines(people):
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
    t, c = time.perf_counter(), time.process_time()
    r, c_idx = linear_sum_assignment(expanded, maximize=True)
    t_lsa, cpu_lsa = time.perf_counter() - t, time.process_time() - c
    keep = expanded[r, c_idx] > 0
    out["lsa"] = (t_score + t_lsa, cpu_lsa, t_lsa,
                  float(expanded[r, c_idx][keep].sum() - bonus * keep.sum()) / 1e6,
                  len(np.unique(c_idx[keep])) / model.n_mentees)
    if len(people) <= NX_BUDGET_CITIES:
        import networkx as nx
        g = nx.Graph()
        slots = np.repeat(np.arange(model.n_mentors), model.capacity)
        for s, i in enumerate(slots):
            for j in np.flatnonzero(ok[i]):
                g.add_edge(("s", s), ("e", j), weight=int(w[i, j]))
        t, c = time.perf_counter(), time.process_time()
        mate = nx.max_weight_matching(g, maxcardinality=True)
        t_nx, cpu_nx = time.perf_counter() - t, time.process_time() - c
        total = sum(g.edges[a, b]["weight"] for a, b in mate) / 1e6
        out["networkx"] = (t_score + t_nx, cpu_nx, t_nx, total, len(mate) / model.n_mentees)
    return out


def main(sizes):
    propose(make_round(20, random_state=1))          # warm up imports and BLAS
    header = (f"{'cities':>8} {'method':<22} {'wall s':>8} {'cpu s':>8} {'solve s':>8} "
              f"{'peak MB':>8} {'% opt':>7} {'coverage':>8} {'certified':>9}")
    print(f"# {os.cpu_count()} CPUs; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
    print(header)
    print("-" * len(header))
    notes = []
    for n in sizes:
        people = make_round(n, random_state=0)
        load = os.getloadavg()[0]
        trace = n <= DENSE_LIMIT
        t, cpu, peak, m = run_engine(people, trace=trace)
        opt = m["objective"]
        if peak is None:
            peak_txt = f"{max_rss_subprocess(n) / 2**20:7.0f}*"
        else:
            peak_txt = f"{peak / 2**20:8.0f}"
        print(f"{n:>8} {'engine (auto)':<22} {t:8.2f} {cpu:8.2f} {m['solve_time']:8.2f} "
              f"{peak_txt} {100.0:7.2f} {m['coverage']:8.3f} {str(m['certified']):>9}"
              f"   [load {load:.1f}; features {m['features_time']:.2f} s, scan "
              f"{m['scan_time']:.2f}, match {m['match_time']:.2f}, price {m['price_time']:.2f}; "
              f"{m['pricing_rounds']} rounds, {m['candidate_edges']} candidate pairs]", flush=True)
        if n <= GREEDY_LIMIT:
            tg, cg_, pg, mg = run_engine(people, solver="greedy")
            print(f"{n:>8} {'greedy (top-k)':<22} {tg:8.2f} {cg_:8.2f} {'':>8} {pg / 2**20:8.0f} "
                  f"{100 * mg['objective'] / opt:7.2f} {mg['coverage']:8.3f} {'':>9}", flush=True)
        else:
            notes.append(f"{n}: greedy skipped (> {GREEDY_LIMIT} cities)")
        if n <= DENSE_LIMIT:
            for name, (tt, cc, ts, obj, c) in dense_baselines(people).items():
                label = {"lsa": "scipy LSA dense", "networkx": "nx max_weight_matching"}[name]
                print(f"{n:>8} {label:<22} {tt:8.2f} {cc:8.2f} {ts:8.2f} {'':>8} "
                      f"{100 * obj / opt:7.2f} {c:8.3f} {'':>9}", flush=True)
        else:
            notes.append(f"{n}: dense LSA and networkx skipped (dense matrix of "
                         f"{n // 2 * 3} x {n // 2} would not fit)")
    print("\nwall s / cpu s: end to end (baselines: cpu s and solve s are the solve step alone; "
          "wall s adds scoring).")
    print("* peak resident memory of a separate process (round records + interpreter included).")
    for note in notes:
        print("note:", note)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [200, 2000, 10000, 100000])
