"""The family of generated rounds: knobs do what they say, presets are reproducible."""

import numpy as np

from matching.datasets import PRESETS, RoundSpec, generate_round, make_preset


def test_at_least_six_presets_including_the_hard_ones():
    assert len(PRESETS) >= 6
    assert {"survey-like", "ties", "one-language"} <= set(PRESETS)


def test_presets_are_seeded():
    assert make_preset("survey-like", 40, random_state=4) == make_preset("survey-like", 40, random_state=4)
    assert make_preset("survey-like", 40, random_state=4) != make_preset("survey-like", 40, random_state=5)


def test_knobs_shape_the_round():
    spec = RoundSpec(text_chars=(300, 900), need_areas=(1, 2), capacity=(1, 5), capacity_skew=2.0,
                     mentor_share=0.3, exclusions=3.0, commissions=3)
    people = generate_round(600, spec, random_state=1)
    mentees = [p for p in people if p.wants_mentor]
    mentors = [p for p in people if not p.wants_mentor]
    assert len(mentors) == 180
    assert all(300 <= len(p.needs_text) <= 900 for p in mentees)
    assert all(1 <= len(p.need) <= 2 for p in mentees)
    caps = np.asarray([p.capacity for p in mentors])
    assert caps.min() >= 1 and caps.max() <= 5 and np.mean(caps == 1) > np.mean(caps == 5)
    assert np.mean([len(p.exclude) for p in mentees]) > 1
    assert len({p.commission for p in people}) == 3
    # Real places: GeoNames city names and countries, languages of the country.
    assert all(len(p.country) == 2 for p in people) and len({p.country for p in people}) > 30
    assert any(len(p.languages) > 1 for p in people)


def test_presets_differ_where_they_say():
    one = make_preset("one-language", 200)
    assert {lang for p in one for lang in p.languages} == {"en"}
    ties = make_preset("ties", 200)
    assert all(p.needs_text == "" and p.practices == "" for p in ties)
    assert {lvl for p in ties for lvl in p.maturity.values()} <= {2, 4}
    survey = make_preset("survey-like", 200)
    lengths = [len(p.needs_text) for p in survey if p.wants_mentor]
    assert min(lengths) >= 100 and max(lengths) <= 600
    assert {lang for p in survey for lang in p.languages} >= {"en", "fr", "es", "pt", "ar"}
