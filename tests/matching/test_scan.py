"""The scan's promise to pricing: every pair it keeps neither as a candidate nor in the reserve
scores at most ``min(tau[mentee], sigma[mentor])``, whether it runs on one thread or two."""

import numpy as np
import pytest

from matching import MatchParams, propose
from matching import scan as scan_module
from matching.datasets import make_preset
from matching.scan import Scores, scan_candidates
from matching.scoring import build_model


def _scan(model, threads, monkeypatch, k=4, k_mentor=6, depth=24, pool_entries=None):
    monkeypatch.setattr(scan_module, "THREAD_PAIRS", 0 if threads else 1 << 62)
    return scan_candidates(model, Scores(model), k, k_mentor, depth, lambda *a: None, 0.0, 1.0,
                           pool_entries=pool_entries)


@pytest.mark.parametrize("preset", ["survey-like", "ties", "previous-rounds"])
@pytest.mark.parametrize("threads", [False, True])
def test_pairs_left_out_are_bounded_by_the_thresholds(preset, threads, monkeypatch):
    model = build_model(make_preset(preset, 700, random_state=3), MatchParams())
    # A small pool forces merges mid-scan (the running thresholds rise while it goes).
    rows, cols, vals, count, tau, sigma, (rr, rc, rv) = _scan(model, threads, monkeypatch,
                                                              pool_entries=2000)
    dense = model.masked_block(0, model.n_mentors).copy()
    assert np.array_equal(count, (dense > -np.inf).sum(axis=0))
    assert np.array_equal(dense[rows, cols], vals) and np.array_equal(dense[rr, rc], rv)
    known = np.zeros(dense.shape, dtype=bool)
    known[rows, cols] = True
    assert not known[rr, rc].any()                  # the reserve holds no candidate
    known[rr, rc] = True
    left = ~known & (dense > -np.inf)
    i, j = np.nonzero(left)
    assert len(i) > 0
    assert np.all(dense[i, j] <= np.minimum(tau[j], sigma[i]))
    # Each mentee keeps (at least) its k best as candidates, and at most depth in all.
    per_mentee = np.bincount(cols, minlength=model.n_mentees) + np.bincount(rc, minlength=model.n_mentees)
    assert np.all(per_mentee >= np.minimum(count, 4))


def test_two_threads_scan_the_same_round(monkeypatch):
    people = make_preset("survey-like", 900, random_state=1)
    params = MatchParams(top_k=3)
    monkeypatch.setattr(scan_module, "THREAD_PAIRS", 1 << 62)
    one = propose(people, params)
    monkeypatch.setattr(scan_module, "THREAD_PAIRS", 0)
    two = propose(people, params)
    assert one.metrics["certified"] and two.metrics["certified"]
    assert two.metrics["objective"] == pytest.approx(one.metrics["objective"], abs=1e-9)
    assert [(p.mentor, p.mentee) for p in two.pairs] == [(p.mentor, p.mentee) for p in one.pairs]
