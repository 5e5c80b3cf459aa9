"""The programme's rules as a flow network: behaviour, refusals, and the networkx oracle."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import InvalidInput, MatchParams, Participant, dump_jsonl, propose
from matching.cli import main
from matching.datasets import make_preset
from matching.engine import _scaling
from matching.network import RoundNetwork, network_simplex_value
from matching.scoring import build_model


def _mentees_by_country(result, people):
    country = {p.id: p.country for p in people}
    out = {}
    for pair in result.pairs:
        out[country[pair.mentee]] = out.get(country[pair.mentee], 0) + 1
    return out


@pytest.fixture(scope="module")
def round_():
    return make_preset("survey-like", 300, random_state=3)


def test_defaults_keep_the_plain_matching(round_):
    plain = propose(round_)
    assert plain.metrics["exact_method"] == "flow" and all(p.rules == () for p in plain.pairs)


def test_at_most_n_mentees_of_one_country(round_):
    free = propose(round_)
    capped = propose(round_, MatchParams(max_per_country=2))
    assert max(_mentees_by_country(free, round_).values()) > 2
    assert max(_mentees_by_country(capped, round_).values()) <= 2
    assert capped.metrics["certified"] and capped.metrics["exact_method"] == "network"
    reasons = {u.reason for u in capped.unmatched}
    assert "rule_max_per_country" in reasons
    detail = next(u.detail for u in capped.unmatched if u.reason == "rule_max_per_country")
    assert "at most 2 mentees" in detail


def test_a_country_cap_is_named_only_where_it_left_a_mentee_out(mentor, mentee):
    people = [mentor("m1", capacity=3, country="FR"), mentee("a", country="SN"), mentee("b", country="SN"),
              mentee("c", country="PE")]
    r = propose(people, MatchParams(max_per_country=1))
    rules = {p.mentee: p.rules for p in r.pairs}
    assert len(rules) == 2 and rules["c"] == ()  # Peru has one mentee: its cap decided nothing
    assert [rules[m] for m in rules if m != "c"] == [("max_per_country",)]
    assert [u.reason for u in r.unmatched] == ["rule_max_per_country"]
    assert r.metrics["binding_rules"] == {"max_per_country": ["SN"], "floors": []}


def test_at_most_k_mentees_of_one_country_per_mentor(mentor, mentee):
    people = [mentor("m1", capacity=3, country="FR"), mentor("m2", capacity=1, country="BE",
                                                             maturity={"open_data": 3}),
              mentee("a", country="SN"), mentee("b", country="SN"), mentee("c", country="SN")]
    assert len(propose(people).pairs) == 3
    r = propose(people, MatchParams(max_per_mentor_country=1))
    by_mentor = {}
    for p in r.pairs:
        by_mentor[p.mentor] = by_mentor.get(p.mentor, 0) + 1
    assert by_mentor == {"m1": 1, "m2": 1}
    assert [u.reason for u in r.unmatched] == ["rule_max_per_mentor_country"]


def test_priority_floor_reserves_places(mentor, mentee):
    # One place; the plain optimum gives it to the better-scoring non-priority mentee.
    people = [mentor("m1", capacity=1), mentee("rich", country="BE", needs={"open_data": 3}),
              mentee("poor", country="SN", needs={"open_data": 1, "e_gov": 3}, priority=1.01)]
    assert [p.mentee for p in propose(people).pairs] == ["rich"]
    r = propose(people, MatchParams(priority_floor=0.5))
    assert [p.mentee for p in r.pairs] == ["poor"] and r.pairs[0].rules == ("priority_floor",)
    assert "priority mentees" in r.pairs[0].explanation
    (u,) = r.unmatched
    assert u.reason == "capacity" and "reserved" in u.detail


def test_region_floor_and_unreachable_floor(mentor, mentee):
    people = [mentor("m1", capacity=1), mentee("e", country="BE", region="Europe"),
              mentee("a", country="SN", region="Africa", needs={"open_data": 1, "e_gov": 3})]
    assert [p.mentee for p in propose(people).pairs] == ["e"]
    r = propose(people, MatchParams(min_per_region=1))
    # One place cannot serve both floors: the best the pairs allow is met, certified.
    assert len(r.pairs) == 1 and r.metrics["certified"]
    assert r.pairs[0].rules == ("min_per_region",)


def test_cross_commission_required_and_rewarded(mentor, mentee):
    people = [mentor("same", commission="digital_cities", country="BE"),
              mentor("other", commission="urban_mobility", maturity={"open_data": 3}),
              mentee("a", country="SN", commission="digital_cities")]
    assert [p.mentor for p in propose(people).pairs] == ["same"]
    req = propose(people, MatchParams(cross_commission="required"))
    assert [p.mentor for p in req.pairs] == ["other"] and "requires" in req.pairs[0].explanation
    bonus = propose(people, MatchParams(cross_commission="bonus", cross_commission_bonus=0.5))
    assert [p.mentor for p in bonus.pairs] == ["other"]
    assert bonus.pairs[0].components["cross_commission"] == pytest.approx(0.5)
    only_same = [people[0], people[2]]
    (u,) = propose(only_same, MatchParams(cross_commission="required")).unmatched
    assert u.reason == "no_eligible_mentor" and "cross commissions" in u.detail and u.rule == "commission"


def test_rules_outside_the_flow_class_are_refused(mentor, mentee):
    # SN has a priority mentee and another one: a per-country cap and a priority floor
    # would overlap without nesting.
    people = [mentor("m1", capacity=2), mentee("a", country="SN", priority=1.5),
              mentee("b", country="SN"), mentee("c", country="CI", priority=1.5)]
    with pytest.raises(InvalidInput, match="cannot be combined") as err:
        propose(people, MatchParams(max_per_country=1, priority_floor=0.5))
    assert err.value.field in ("max_per_country", "priority_floor")
    # Priority by whole country nests: accepted.
    people[2] = mentee("b", country="SN", priority=1.5)
    assert propose(people, MatchParams(max_per_country=1, priority_floor=0.5)).metrics["certified"]


def test_invalid_rule_values_name_the_field():
    for kw, field in (({"max_per_country": 0}, "max_per_country"),
                      ({"priority_floor": 1.5}, "priority_floor"),
                      ({"cross_commission": "maybe"}, "cross_commission"),
                      ({"memory_budget": 10}, "memory_budget"),
                      ({"max_per_country": 2, "solver": "greedy"}, "solver")):
        with pytest.raises(InvalidInput) as err:
            MatchParams(**kw)
        assert err.value.field == field


def test_rules_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "round.jsonl"
    dump_jsonl(make_preset("baseline", 120, random_state=2), path)
    out = tmp_path / "out.json"
    assert main(["propose", str(path), "-o", str(out), "--max-per-country", "1",
                 "--cross-commission", "bonus", "--no-progress"]) == 0
    data = json.loads(out.read_text())
    countries = {}
    people = {p.id: p for p in make_preset("baseline", 120, random_state=2)}
    for pair in data["pairs"]:
        c = people[pair["mentee"]].country
        countries[c] = countries.get(c, 0) + 1
    assert max(countries.values()) == 1
    assert data["params"]["max_per_country"] == 1


_countries = st.sampled_from(["FR", "SN", "BR", "MA"])


@st.composite
def small_rounds(draw):
    n_mentors = draw(st.integers(1, 4))
    n_mentees = draw(st.integers(1, 6))
    areas = ["a", "b", "c"]
    people = []
    for i in range(n_mentors):
        mat = {a: draw(st.integers(3, 4)) for a in draw(st.sets(st.sampled_from(areas), min_size=1))}
        people.append(Participant(id=f"m{i}", name=f"M{i}", country=draw(_countries),
                                  region=draw(st.sampled_from(["X", "Y"])), languages=("fr",),
                                  maturity=mat, can_mentor=tuple(mat), capacity=draw(st.integers(1, 3)),
                                  commission=draw(st.sampled_from(["", "dc", "um"]))))
    for j in range(n_mentees):
        country = draw(_countries)
        people.append(Participant(
            id=f"e{j}", name=f"E{j}", country=country, region="X" if country in ("FR", "SN") else "Y",
            languages=("fr",), wants_mentor=True,
            need={a: draw(st.integers(1, 3)) for a in draw(st.sets(st.sampled_from(areas), min_size=1))},
            priority=1.5 if country in ("SN", "MA") else 1.0,
            commission=draw(st.sampled_from(["", "dc", "um"]))))
    params = MatchParams(
        max_per_country=draw(st.one_of(st.none(), st.integers(1, 3))),
        max_per_mentor_country=draw(st.one_of(st.none(), st.integers(1, 2))),
        priority_floor=draw(st.sampled_from([0.0, 0.5, 1.0])),
        min_per_region=draw(st.sampled_from([0, 1, 2])),
        cross_commission=draw(st.sampled_from(["off", "bonus", "required"])),
        objective=draw(st.sampled_from(["max_coverage", "max_score"])))
    return people, params


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_rounds())
def test_network_simplex_agrees_with_the_fast_solver(case):
    people, params = case
    if not params.network_rules:
        params = MatchParams(**{**params.to_dict(), "max_per_country": 3})
    try:
        model = build_model(people, params)
    except Exception:                       # no mentor or no mentee: nothing to compare
        return
    score, ok = model.block(0, model.n_mentors)
    rows, cols = np.nonzero(ok)
    scale, big = _scaling(model, params)
    weight = np.rint(score[rows, cols].astype(np.float64) * scale) + big
    try:
        net = RoundNetwork(model, params, rows, cols, weight)
    except InvalidInput:
        return                              # refused combination (tested above)
    chosen, _, info = net.solve()
    assert info["dual"] == pytest.approx(info["objective"], abs=0.5)     # the certificate
    assert network_simplex_value(net.graph) == pytest.approx(info["objective"], abs=0.5)
    assert -weight[chosen].sum() == pytest.approx(info["objective"], abs=0.5)
    result = propose(people, params)
    assert result.metrics["certified"]


@pytest.mark.parametrize("rules", [{"max_per_mentor_country": 1},
                                   {"max_per_country": 3, "cross_commission": "bonus"}])
def test_pruned_network_is_priced_to_the_exact_optimum(rules):
    people = make_preset("survey-like", 300, random_state=2)
    pruned = propose(people, MatchParams(top_k=3, **rules)).metrics
    exact = propose(people, MatchParams(solver="exact", **rules)).metrics
    assert pruned["pruned"] and pruned["pricing_rounds"] >= 1 and pruned["certified"]
    assert pruned["objective"] == pytest.approx(exact["objective"], abs=1e-6)
