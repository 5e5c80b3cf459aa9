"""The mentoring network: figures of the small programme computed by hand, the API and the CLI."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Mentorship
from mentoring.services import network
from tests.conftest import login

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "mentoring" / "programme" / "network.schema.json")
                    .read_text())


def test_network_figures_match_the_hand_computed_programme(app, small):
    ids = small["ids"]
    name = {v: k for k, v in ids.items() if k[0].isupper()}
    with app.app_context():
        data = network.network()
    m = data["metrics"]
    edges = sorted((name[e["source"]], name[e["target"]], e["status"]) for e in data["edges"])
    # The withdrawn Gamma → Alpha is not a tie; the approved Beta → Delta proposal is.
    assert edges == [("Alpha", "Beta", "completed"), ("Alpha", "Gamma", "completed"),
                     ("Beta", "Delta", "approved"), ("Delta", "Gamma", "active")]
    assert (m["cities"], m["cities_tied"], m["ties"], m["mentor_cities"], m["mentee_cities"]) == (5, 4, 4, 3, 3)
    assert m["ties_by_status"] == {"approved": 1, "endorsed": 0, "active": 1, "completed": 2}
    assert m["degree"]["mentees_per_mentor"] == {"count": 3, "mean": 1.33, "max": 2, "distribution": {"1": 2, "2": 1}}
    assert m["degree"]["mentors_per_mentee"] == {"count": 3, "mean": 1.33, "max": 2, "distribution": {"1": 2, "2": 1}}
    # Beta and Delta both mentor and are mentored; no pair of cities mentors each other.
    assert sorted(name[c] for c in m["reciprocity"]["cities_both_ways"]) == ["Beta", "Delta"]
    assert m["reciprocity"]["mutual_tie_share"] == 0.0
    # Beta lies on Alpha → Delta, Delta on Beta → Gamma: one pair each out of 4 × 3 ordered pairs.
    assert {(h["name"], h["score"]) for h in m["hubs"]["betweenness"]} == {("Beta", 0.0833), ("Delta", 0.0833)}
    assert m["region_flows"]["europe"]["africa"] == 2
    assert m["region_flows"]["latin_america"]["africa"] == 1
    assert m["region_flows"]["africa"]["latin_america"] == 1
    assert sum(n for row in m["region_flows"].values() for n in row.values()) == 4
    # FR is high income (North); SN, KE, BR are South.
    coop = m["cooperation"]
    assert (coop["south_south"], coop["north_south"], coop["south_north"], coop["north_north"]) == (2, 2, 0, 0)
    assert coop["south_south_share"] == 0.5
    assert coop["triangular"] == 1  # Gamma learns from Delta (South) and Alpha (North) in R1
    assert (m["commissions"]["bridging_ties"], m["commissions"]["bridging_share"]) == (2, 0.5)
    assert [name[c] for c in m["not_reached"]["cities"]] == ["Epsilon"]
    assert m["not_reached"]["countries"] == ["PE"]
    assert sorted(len(c["cities"]) for c in m["communities"]) and sum(c["size"] for c in m["communities"]) == 4
    assert [(s["name"], s["ties"], s["cumulative_ties"], s["cities_tied"], s["reciprocal_cities"])
            for s in m["evolution"]] == [("R1", 3, 3, 4, 0), ("R2", 1, 4, 4, 2)]
    nodes = {n["name"]: n for n in data["nodes"]}
    assert (nodes["Alpha"]["degree_out"], nodes["Gamma"]["degree_in"], nodes["Alpha"]["income_group"]) == (2, 2, "high")
    jsonschema.validate(data, SCHEMA)


def test_the_cache_is_kept_until_the_data_changes(app, small):
    with app.app_context():
        first = network.network()
        assert network.network() is first  # nothing changed: the cached result
        mentorship = db.session.get(Mentorship, small["ids"]["m2"])
        mentorship.state = "withdrawn"
        db.session.commit()
        second = network.network()
        assert second is not first and second["metrics"]["ties"] == 3
        assert db.session.scalar(select(Mentorship.state).where(Mentorship.id == small["ids"]["m2"])) == "withdrawn"


def test_api_network_for_coordinators_only(app, small):
    client = app.test_client()
    assert client.get("/api/programme/network").status_code == 401
    login(client, small["member"])
    assert client.get("/api/programme/network").status_code == 403
    client = app.test_client()
    login(client, small["coordinator"])
    response = client.get("/api/programme/network")
    assert response.status_code == 200
    jsonschema.validate(response.get_json(), SCHEMA)
    assert response.get_json()["metrics"]["ties"] == 4


def test_cli_writes_json_and_graphml(app, small, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "network.json"
    result = runner.invoke(args=["programme", "network", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["metrics"]["cooperation"]["triangular"] == 1
    graphml = tmp_path / "network.graphml"
    result = runner.invoke(args=["programme", "network", "-o", str(graphml), "--format", "graphml"])
    assert result.exit_code == 0, result.output
    root = ET.parse(graphml).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:node", ns)) == 5 and len(root.findall(".//g:edge", ns)) == 4
    bad = runner.invoke(args=["programme", "network", "-o", str(out), "--format", "csv"])
    assert bad.exit_code != 0


def test_network_page_and_map_data(app, small):
    client = app.test_client()
    login(client, small["coordinator"])
    page = client.get("/programme/network")
    assert page.status_code == 200 and b"Epsilon" in page.data
    data = client.get("/programme/network.json").get_json()
    assert data["level"] == "city" and len(data["edges"]) == 4
    assert {n["name"] for n in data["nodes"]} == {"Alpha", "Beta", "Gamma", "Delta", "Epsilon"}


def test_the_openapi_description_names_the_route_and_its_schema(app):
    spec = json.loads((Path(__file__).resolve().parents[3] / "mentoring" / "programme" / "openapi.json").read_text())
    operation = spec["paths"]["/api/programme/network"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "network.schema.json"}
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert rules["/api/programme/network"] == "programme_api.api_network"
