import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import MatchParams, engine, propose
from matching.datasets import make_round
from matching.solvers import dual_bound, solve_bmatching, solve_bmatching_flow, solve_bmatching_lap


@st.composite
def instances(draw):
    nl, nr = draw(st.integers(1, 7)), draw(st.integers(1, 9))
    keys = draw(st.sets(st.integers(0, nl * nr - 1), max_size=nl * nr))
    keys = np.asarray(sorted(keys), dtype=np.int64)
    w = np.asarray([draw(st.integers(1, 6)) for _ in keys], dtype=np.float64)
    big = 0.0
    if draw(st.booleans()):
        big = 1000.0         # coverage-like bonus: ties in count dominate
        w += big
    cap = np.asarray([draw(st.integers(1, 3)) for _ in range(nl)])
    return cap, nr, keys // nr, keys % nr, w, big


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(["flow", "lap"]))
def test_flow_lap_and_lp_agree_and_duals_certify(case, method):
    cap, nr, rows, cols, w, big = case
    x_lp, _, _ = solve_bmatching(cap, np.ones(nr, int), rows, cols, w)
    x, u, v = (solve_bmatching_flow(cap, rows, cols, w, big) if method == "flow"
               else solve_bmatching_lap(cap, rows, cols, w))
    assert w[x].sum() == w[x_lp].sum()
    assert np.all(np.bincount(rows[x], minlength=len(cap)) <= cap)
    assert np.all(np.bincount(cols[x], minlength=nr) <= 1)
    v = np.r_[v, np.zeros(nr - len(v))]
    assert np.all(u >= 0) and np.all(v >= 0)
    rc = np.maximum(0.0, w - u[rows] - v[cols]).sum()
    assert dual_bound(cap, np.ones(nr), u, v, rc) == w[x].sum()


@pytest.mark.parametrize("objective", ["max_coverage", "max_score"])
@pytest.mark.parametrize("top_k", [None, 2])
def test_engine_lap_and_lp_paths_agree(monkeypatch, objective, top_k):
    people = make_round(120, random_state=5)
    params = MatchParams(objective=objective, top_k=top_k)
    monkeypatch.setattr(engine, "EXACT_METHOD", "lp")
    lp = propose(people, params)
    monkeypatch.setattr(engine, "EXACT_METHOD", "auto")
    lap = propose(people, params)
    assert lap.metrics["exact_method"] == "flow" and lp.metrics["exact_method"] == "lp"
    assert lap.metrics["certified"] and lp.metrics["certified"]
    assert lap.metrics["objective"] == pytest.approx(lp.metrics["objective"], abs=1e-9)
    assert lap.metrics["n_pairs"] == lp.metrics["n_pairs"]


def test_pruned_large_round_is_certified_with_few_priced_mentees():
    people = make_round(1500, random_state=2)
    r = propose(people, MatchParams(top_k=4))
    m = r.metrics
    assert m["pruned"] and m["certified"] and m["upper_bound"] == m["objective"]
    assert m["priced_mentees"] <= m["pricing_rounds"] * m["n_mentees"]
    full = propose(people, MatchParams(solver="exact"))
    assert full.metrics["objective"] == pytest.approx(m["objective"], abs=1e-9)
