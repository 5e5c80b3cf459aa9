"""The API's OpenAPI 3.1 description, and absolute links in e-mails sent outside a request."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Notification, OutboxMessage, Proposal, User
from tests.mentoring.rounds.conftest import open_and_run


def test_the_description_covers_every_api_operation_with_its_error_schema(app, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    routes = {
        (rule.rule.replace("<int:", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routes
    assert set(spec["components"]["schemas"]["Error"]["required"]) == {"message", "errors"}
    decision = spec["paths"]["/api/proposals/{proposal_id}/decision"]["post"]
    assert decision["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Decision"}
    assert {"200", "400", "409", "422"} <= set(decision["responses"])
    listing = spec["paths"]["/api/rounds/{round_id}/proposals"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"round_id", "region", "area", "state", "min_score",
                                                          "page", "per_page"}


def test_approval_mail_sent_outside_a_request_carries_an_absolute_link(app, world, coordinator):
    from mentoring.services import proposals

    round_id = open_and_run(app, coordinator)
    with app.app_context():  # like the CLI or the demo loader: no request
        proposal_id = db.session.scalar(select(Proposal.id).where(Proposal.round_id == round_id))
        proposals.approve(db.session.get(User, coordinator.id), proposal_id)
        db.session.commit()
        mails = db.session.scalars(select(OutboxMessage)).all()
        notes = db.session.scalars(select(Notification)).all()
    link = f"{app.config['PUBLIC_URL']}/rounds/proposals/{proposal_id}"
    assert mails and all(link in m.body for m in mails)  # the footer (preferences) follows it
    assert notes and {n.link for n in notes} == {f"/rounds/proposals/{proposal_id}"}
