"""Stated preferences: a bounded bonus that never breaks a hard rule or the certificate."""
import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import InvalidInput, MatchParams, Participant, propose, suggest_mentors
from matching.scoring import build_model
from tests.matching.test_engine import AREAS, oracle, rounds

NO_PREFERENCES = {"partner": 0.0, "region": 0.0, "language": 0.0, "focus": 0.0}


def _expected_bonus(mentor, mentee, w):
    """The documented bonus, computed independently of the engine's arrays."""
    def ranks(codes, spoken):
        n = len(codes)
        return sum((n - r) / (n * (n + 1) / 2) for r, c in enumerate(codes) if c in spoken)

    partner = 0.5 * (mentor.id in mentee.prefer) + 0.5 * (mentee.id in mentor.prefer)
    region = 0.5 * (mentor.region in mentee.prefer_regions) + 0.5 * (mentee.region in mentor.prefer_regions)
    language = 0.5 * ranks(mentee.prefer_languages, mentor.languages) + 0.5 * ranks(mentor.prefer_languages,
                                                                                      mentee.languages)
    return mentee.priority * (w["partner"] * partner + w["region"] * region + w["language"] * language)


@st.composite
def rounds_with_preferences(draw):
    people, params = draw(rounds())
    ids = [p.id for p in people]
    out = []
    for p in people:
        others = [i for i in ids if i != p.id]
        out.append(dataclasses.replace(
            p,
            prefer=tuple(draw(st.lists(st.sampled_from(others), max_size=3, unique=True))) if others else (),
            prefer_regions=tuple(draw(st.lists(st.sampled_from(["Europe", "Africa"]), max_size=2, unique=True))),
            prefer_languages=tuple(draw(st.lists(st.sampled_from(["fr", "en", "pt"]), max_size=3, unique=True))),
        ))
    weights = {"partner": draw(st.sampled_from([0.0, 0.2, 0.4])),
               "region": draw(st.sampled_from([0.0, 0.05, 0.1])),
               "language": draw(st.sampled_from([0.0, 0.05, 0.1])), "focus": 0.0}
    return out, dataclasses.replace(params, preference_weights=weights)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds_with_preferences())
def test_preferences_keep_every_hard_rule_and_the_certificate(case):
    people, params = case
    result = propose(people, params)
    by_id = {p.id: p for p in people}
    load = {}
    for pair in result.pairs:
        m, e = by_id[pair.mentor], by_id[pair.mentee]
        assert m.is_mentor and e.is_mentee and m.id != e.id
        assert e.id not in m.exclude and m.id not in e.exclude
        if params.require_shared_language:
            assert set(m.languages) & set(e.languages)
        if not params.allow_same_country:
            assert m.country != e.country
        assert pair.components["complementarity"] > 0  # a wish alone never makes a pair eligible
        assert pair.score == pytest.approx(sum(pair.components.values()))
        load[m.id] = load.get(m.id, 0) + 1
    assert all(load[k] <= by_id[k].capacity for k in load)
    n, total = oracle(people, params)
    assert result.metrics["certified"]
    assert result.metrics["objective"] == pytest.approx(total / 1e6, abs=1e-6)
    if params.objective == "max_coverage":
        assert len(result.pairs) == n


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds_with_preferences())
def test_the_bonus_is_exactly_the_documented_one_and_bounded(case):
    people, params = case
    w = params.preference_weights
    plain = [dataclasses.replace(p, prefer=(), prefer_regions=(), prefer_languages=()) for p in people]
    with_prefs, without = build_model(people, params), build_model(plain, params)
    score, ok = with_prefs.block(0, with_prefs.n_mentors)
    base, ok_base = without.block(0, without.n_mentors)
    np.testing.assert_array_equal(ok, ok_base)  # eligibility never changes
    bound = w["partner"] + w["region"] + w["language"]
    for i in range(with_prefs.n_mentors):
        for j in range(with_prefs.n_mentees):
            mentor, mentee = people[with_prefs.mentors[i]], people[with_prefs.mentees[j]]
            bonus = float(score[i, j]) - float(base[i, j])
            assert bonus == pytest.approx(_expected_bonus(mentor, mentee, w), abs=1e-5)
            assert -1e-6 <= bonus <= mentee.priority * bound + 1e-6


def test_a_stated_partner_turns_a_close_choice_and_the_explanation_says_so(mentor, mentee):
    lyon = mentor("lyon", name="Lyon", country="FR", languages=("fr",))
    nantes = mentor("nantes", name="Nantes", country="FR", languages=("fr",), level=4,
                    areas=("open_data", "mobility"))
    # Dakar's gap: 3 x 4 in open data, 1 x 1 in mobility (it is at level 3 there): Lyon closes
    # 12/13 of it, Nantes all of it — close enough for a wish to count (0.7 x 1/13 < 0.1).
    dakar = mentee("dakar", name="Dakar", country="SN", needs={"open_data": 3, "mobility": 1},
                   maturity={"mobility": 3})
    plain = propose([lyon, nantes, dakar])
    assert [p.mentor for p in plain.pairs] == ["nantes"]
    wished = propose([lyon, nantes, dataclasses.replace(dakar, prefer=("lyon",))])
    assert [p.mentor for p in wished.pairs] == ["lyon"]
    assert "Dakar asked for Lyon." in wished.pairs[0].explanation
    assert wished.pairs[0].components["preference_partner"] == pytest.approx(0.1)
    assert wished.metrics["certified"]
    # A clearly better fit still wins over a wish (3/7 of the gap): complementarity leads.
    strong = dataclasses.replace(dakar, need={"open_data": 1, "mobility": 3}, prefer=("lyon",))
    assert [p.mentor for p in propose([lyon, nantes, strong]).pairs] == ["nantes"]


def test_no_preference_no_change(mentor, mentee):
    people = [mentor("m1", country="FR"), mentor("m2", country="BE", level=3), mentee("e", country="SN")]
    a = propose(people)
    b = propose(people, MatchParams(preference_weights=NO_PREFERENCES))
    assert [(p.mentor, p.mentee, p.score) for p in a.pairs] == [(p.mentor, p.mentee, p.score) for p in b.pairs]
    assert set(a.pairs[0].components) == {"complementarity", "text", "context"}


def test_focus_areas_weight_the_need(mentor, mentee):
    data = mentor("data", name="Data", areas=("open_data",), country="FR")
    moves = mentor("moves", name="Moves", areas=("mobility",), country="BE")
    city = mentee("e", name="E", country="SN", needs={"open_data": 2, "mobility": 2})
    # Equal needs: tie broken by id; focusing on mobility makes Moves the better mentor.
    focused = dataclasses.replace(city, focus=("mobility",))
    assert [p.mentor for p in propose([data, moves, focused]).pairs] == ["moves"]
    assert [p.mentor for p in propose([data, moves, dataclasses.replace(city, focus=("open_data",))]).pairs] \
        == ["data"]
    pair = suggest_mentors([data, moves, focused], "e")[0]
    assert 0 < pair.components["complementarity"] <= 0.7  # still a share of the gap


def test_preference_weights_are_bounded_and_validated():
    with pytest.raises(InvalidInput, match="may not exceed"):
        MatchParams(preference_weights={"partner": 0.7, "region": 0.1})
    with pytest.raises(InvalidInput, match="unknown kind"):
        MatchParams(preference_weights={"twin": 0.1})
    with pytest.raises(InvalidInput):
        MatchParams(preference_weights={"focus": -1})
    with pytest.raises(InvalidInput, match="cannot prefer itself"):
        Participant(id="a", name="A", country="FR", prefer=("a",))
    with pytest.raises(InvalidInput):
        Participant(id="a", name="A", country="FR", prefer_languages=("French",))
    params = MatchParams(preference_weights={"partner": 0.1})
    assert MatchParams.from_dict(params.to_dict()) == params
    assert AREAS  # the shared strategy's areas
