"""The API keeps the promises of its own OpenAPI description, for good and bad input alike.

Schemathesis reads ``/api/openapi.json`` from the application (over WSGI, no server) and calls
every operation as a signed-in coordinator, on a seeded round with proposals: the documented
examples, the ``coverage`` phase (boundary and wrong-type values for every parameter and body
field) and random fuzzing, positive and negative. Every answer must be a documented status with
the documented content type and body schema, and none may be a 5xx.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Proposal
from tests.conftest import login
from tests.mentoring.rounds.conftest import open_and_run


@pytest.fixture
def seeded(app, world, coordinator):
    """A round that ran (three proposals) and the coordinator's session cookie."""
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        proposal_ids = list(db.session.scalars(select(Proposal.id).where(Proposal.round_id == round_id)))
    client = app.test_client()
    login(client, coordinator)
    name = app.config["SESSION_COOKIE_NAME"]
    return {"round_id": round_id, "proposal_id": proposal_ids[0], "cookie": f"{name}={client.get_cookie(name).value}"}


@pytest.fixture
def api_schema(app, seeded):
    spec = app.test_client().get("/api/openapi.json").get_json()
    # Point the path parameters' examples at the seeded rows, so the examples phase reaches the
    # operations' real answers (the fuzzing phase still tries ids that do not exist).
    for item in spec["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in seeded:
                    parameter["example"] = seeded[parameter["name"]]
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis' pytest loader still reads ``Node._nodeid``, which pytest 9 no longer sets."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_described(case, seeded):
    case.call_and_validate(headers={"Cookie": seeded["cookie"]})
