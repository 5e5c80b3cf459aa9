import io
import json

import pytest

from matching import InvalidInput, MatchParams, Participant, dump_jsonl, load_jsonl, read_participants


def line(**kw):
    base = {"id": "a", "name": "A", "country": "FR"}
    base.update(kw)
    return json.dumps(base)


def test_defaults_and_coercion():
    p = Participant.from_dict({"id": "a", "name": "A", "country": "fr", "languages": ["fr", "fr"]})
    assert p.country == "FR" and p.languages == ("fr",)
    assert p.capacity == 0 and p.priority == 1.0 and p.exclude == () and not p.wants_mentor
    assert hash(p) == hash(Participant.from_dict(p.to_dict()))


@pytest.mark.parametrize("field,value", [
    ("capacity", -1), ("capacity", 1.5), ("capacity", True), ("population", -3),
    ("country", "France"), ("languages", "fr"), ("languages", ["french"]),
    ("maturity", {"open_data": 5}), ("need", {"open_data": 4}), ("priority", 0.5),
    ("priority", float("nan")), ("wants_mentor", "yes"), ("exclude", ["a"]), ("name", 3),
])
def test_invalid_field_is_named(field, value):
    with pytest.raises(InvalidInput) as info:
        Participant.from_dict({"id": "a", "name": "A", "country": "FR", field: value})
    assert info.value.field == field


def test_unknown_and_missing_fields():
    with pytest.raises(InvalidInput, match="unknown field"):
        Participant.from_dict({"id": "a", "name": "A", "country": "FR", "colour": "red"})
    with pytest.raises(InvalidInput) as info:
        Participant.from_dict({"id": "a", "name": "A"})
    assert info.value.field == "country"


def test_file_errors_name_line_and_nothing_half_read():
    text = "\n".join([line(), line(id="b", capacity=-2), "{not json", line(id="a")]) + "\n"
    with pytest.raises(InvalidInput) as info:
        load_jsonl(io.StringIO(text))
    err = info.value
    assert (err.line, err.field) == (2, "capacity")
    assert [e.line for e in err.errors] == [2, 3]
    assert "line 2" in str(err)


def test_duplicate_ids_rejected():
    with pytest.raises(InvalidInput, match="duplicate id") as info:
        load_jsonl(io.StringIO(line() + "\n" + line() + "\n"))
    assert info.value.line == 2


def test_roundtrip_file(tmp_path, mentor, mentee):
    people = [mentor("m", exclude=("x",)), mentee("e", practices="texte")]
    path = tmp_path / "round.jsonl"
    dump_jsonl(people, path)
    assert load_jsonl(path) == people
    assert read_participants(str(path)) == people


def test_missing_file_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInput, match="cannot read"):
        load_jsonl(tmp_path / "nope.jsonl")


def test_params_validation_and_roundtrip():
    p = MatchParams(weights={"text": 0.5}, top_k=4, area_labels={"open_data": "Données ouvertes"})
    assert MatchParams.from_dict(p.to_dict()) == p
    assert p.label("open_data") == "Données ouvertes" and p.label("e_gov") == "e gov"
    for bad in ({"objective": "max"}, {"solver": "fast"}, {"weights": {"x": 1}},
                {"weights": {"text": -1}}, {"top_k": 0}, {"min_score": -1}):
        with pytest.raises(InvalidInput):
            MatchParams(**bad)
    with pytest.raises(InvalidInput, match="unknown parameter"):
        MatchParams.from_dict({"speed": 1})
