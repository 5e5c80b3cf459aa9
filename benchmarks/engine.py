"""Benchmark the matching engine on every preset round, against floors and baselines.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/engine.py                 # every preset at 2,000, 10,000, 100,000
    PYTHONPATH=. python benchmarks/engine.py --quick         # CI-sized smoke: 200 and 1,000 cities
    PYTHONPATH=. python benchmarks/engine.py --presets ties --sizes 10000

One table: for each preset and size, end-to-end wall and CPU time of ``propose`` (the
round is generated before timing), the stages, the *GEMM floor* (one float32 matrix
product producing every pair's score from the same features, block by block, timed in
the same process right after the engine) and the ratio of the scan to it, pricing
rounds and priced mentees, peak memory, certification, coverage and the load average
of the machine when the row ran. Rounds of ``SUBPROCESS_FROM`` cities or more run in
their own process, and their peak resident memory is measured from outside
(``os.wait4``'s rusage of that child). Baselines on the same round where they fit:
greedy (best first on the engine's candidates) and SciPy's dense
``linear_sum_assignment`` up to ``DENSE_LIMIT`` cities, networkx ``max_weight_matching``
up to ``NX_LIMIT`` cities. Nothing here is a test: speed lives here, as ratios
measured in the same run.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np
from scipy.optimize import linear_sum_assignment

from matching import MatchParams, propose
from matching.datasets import PRESETS, make_preset
from matching.scoring import build_model

SUBPROCESS_FROM = 50_000
DENSE_LIMIT = 10_000
GREEDY_LIMIT = 10_000
NX_LIMIT = 200
BLOCK = 1 << 20


def gemm_floor(people):
    """Seconds for one float32 GEMM giving every mentor x mentee product (blocks of 1M)."""
    model = build_model(people, MatchParams())
    left = np.hstack([model.comp_left, model.practices, model.ctx_left]).astype(np.float32)
    right = np.hstack([model.comp_right, model.text_right, model.ctx_right_w]).astype(np.float32)
    right_t = np.ascontiguousarray(right.T)
    step = max(1, BLOCK // model.n_mentees)
    buf = np.empty(step * model.n_mentees, np.float32)
    t = time.perf_counter()
    for s in range(0, model.n_mentors, step):
        e = min(s + step, model.n_mentors)
        np.matmul(left[s:e], right_t, out=buf[:(e - s) * model.n_mentees].reshape(e - s, -1))
    return time.perf_counter() - t, left.shape[1]


def run_one(preset, n, baselines=True):
    """Everything measured for one round, in this process (a JSON-ready dict)."""
    people = make_preset(preset, n)
    load = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    r = propose(people)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    m = r.metrics
    floor, k = gemm_floor(people)
    row = {"preset": preset, "cities": n, "wall": wall, "cpu": cpu, "load": load,
           "gemm_floor": floor, "inner_dim": k, **{key: m[key] for key in (
               "features_time", "scan_time", "match_time", "price_time", "pricing_rounds",
               "priced_mentees", "candidate_edges", "certified", "coverage", "objective",
               "n_mentors", "n_mentees")}, "stopped": m.get("stopped")}
    if n < SUBPROCESS_FROM:
        tracemalloc.start()
        propose(people)
        row["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    if baselines and n <= GREEDY_LIMIT:
        t = time.perf_counter()
        g = propose(people, MatchParams(solver="greedy")).metrics
        row["greedy"] = (time.perf_counter() - t, 100 * g["objective"] / m["objective"])
    if baselines and n <= DENSE_LIMIT:
        row.update(dense_baselines(people, m["objective"]))
    return row


def dense_baselines(people, opt):
    """SciPy LSA on the dense capacity-expanded matrix (and networkx on small rounds)."""
    model = build_model(people, MatchParams())
    t = time.perf_counter()
    score, ok = model.block(0, model.n_mentors)
    w = np.where(ok, np.rint(score.astype(np.float64) * 1e6), 0.0)
    bonus = model.n_mentees * (w.max() + 1)
    expanded = np.repeat(np.where(ok, w + bonus, 0.0), model.capacity, axis=0)
    r, c = linear_sum_assignment(expanded, maximize=True)
    keep = expanded[r, c] > 0
    out = {"lsa": (time.perf_counter() - t,
                   100 * float(expanded[r, c][keep].sum() - bonus * keep.sum()) / 1e6 / opt)}
    if len(people) <= NX_LIMIT:
        import networkx as nx
        g = nx.Graph()
        slots = np.repeat(np.arange(model.n_mentors), model.capacity)
        for s, i in enumerate(slots):
            for j in np.flatnonzero(ok[i]):
                g.add_edge(("s", s), ("e", j), weight=int(w[i, j]))
        t = time.perf_counter()
        mate = nx.max_weight_matching(g, maxcardinality=True)
        out["networkx"] = (time.perf_counter() - t,
                           100 * sum(g.edges[a, b]["weight"] for a, b in mate) / 1e6 / opt)
    return out


def run_child(preset, n):
    """Run one round in a fresh process; returns the row with the child's peak RSS."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", preset, str(n)],
                            stdout=subprocess.PIPE, text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {"preset": preset, "cities": n, "failed": f"exit status {proc.returncode}"}
    row = json.loads(out.strip().splitlines()[-1])
    row["peak_mb"] = usage.ru_maxrss / 1024
    row["rss"] = True
    return row


HEADER = (f"{'preset':<16} {'cities':>7} {'wall s':>7} {'cpu s':>7} {'feat':>6} {'scan':>6} "
          f"{'GEMM':>6} {'x floor':>7} {'match':>6} {'price':>6} {'rnds':>4} {'priced':>7} "
          f"{'peak MB':>8} {'cert':>5} {'cover':>6} {'load':>5}  baselines (s, % of opt)")


def fmt(row):
    if "failed" in row:
        return f"{row['preset']:<16} {row['cities']:>7} FAILED: {row['failed']}"
    ratio = row["scan_time"] / row["gemm_floor"] if row["gemm_floor"] > 0 else float("nan")
    peak = f"{row['peak_mb']:7.0f}{'*' if row.get('rss') else ' '}" if "peak_mb" in row else ""
    base = []
    for key, label in (("greedy", "greedy"), ("lsa", "LSA"), ("networkx", "nx")):
        if key in row:
            base.append(f"{label} {row[key][0]:.2f} s {row[key][1]:.1f}%")
    text = (f"{row['preset']:<16} {row['cities']:>7} {row['wall']:7.2f} {row['cpu']:7.2f} "
            f"{row['features_time']:6.2f} {row['scan_time']:6.2f} {row['gemm_floor']:6.2f} "
            f"{ratio:7.1f} {row['match_time']:6.2f} {row['price_time']:6.2f} "
            f"{row['pricing_rounds']:>4} {row['priced_mentees']:>7} {peak:>8} "
            f"{str(row['certified'])[:5]:>5} {row['coverage']:6.3f} {row['load']:5.1f}  "
            + "; ".join(base))
    if row.get("stopped"):
        text += f"  STOPPED: {row['stopped']}"
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI smoke: 200 and 1,000 cities")
    ap.add_argument("--sizes", type=int, nargs="*")
    ap.add_argument("--presets", nargs="*", choices=sorted(PRESETS))
    ap.add_argument("--child", nargs=2, metavar=("PRESET", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        row = run_one(args.child[0], int(args.child[1]), baselines=False)
        print(json.dumps(row))
        return
    sizes = args.sizes or ([200, 1000] if args.quick else [2000, 10000, 100000])
    presets = args.presets or list(PRESETS)
    propose(make_preset("baseline", 50))                 # warm up imports and BLAS
    print(f"# {os.cpu_count()} CPUs; load average at start {os.getloadavg()}; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
    print(HEADER)
    print("-" * len(HEADER))
    for n in sizes:
        for preset in presets:
            row = run_child(preset, n) if n >= SUBPROCESS_FROM else run_one(preset, n)
            print(fmt(row), flush=True)
    print("\nwall/cpu: propose end to end (features + scan + match + price + explanations). "
          "GEMM: one float32 product of all pairs' features (the floor of scoring every pair), "
          "x floor = scan / GEMM. peak MB: tracemalloc peak of propose; * = peak resident "
          "memory of the round's own process (records and interpreter included). "
          "load: 1-minute load average when the row started.")


if __name__ == "__main__":
    main()
