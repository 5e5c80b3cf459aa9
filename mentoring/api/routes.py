"""Views of the api blueprint: rounds and proposals as JSON.

The same services as the HTML views (:mod:`mentoring.services.proposals`,
:mod:`mentoring.services.matchmaking`, :mod:`mentoring.services.explanations`), the same access
rules, one commit per request (:func:`mentoring.database.commit_response`). The operations are
described in OpenAPI 3.1 at ``GET /api/openapi.json`` (:mod:`mentoring.api.spec`).

Errors: bad input → 400 (the body is not a JSON object) or 422, as
``{"message": "...", "errors": {field: [messages]}}``; a stale ``version`` or a transition the
state machine forbids → 409; a full mentor city → 409 with ``errors.capacity``. Anonymous → 401,
not allowed → 403 (see :mod:`mentoring.errors`; a refused ServiceError reaches the application's
handler, which answers in the same shape). POSTs are CSRF-protected like every form: a
browser session sends its token in the ``X-CSRFToken`` header.
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mentoring.access import coordinator_required, owner_required, public
from mentoring.api import bp
from mentoring.api.schemas import MAX_PER_PAGE, REASON_MAX
from mentoring.api.spec import build_spec
from mentoring.errors import json_error
from mentoring.extensions import db
from mentoring.models import City, MatchRound, Proposal
from mentoring.services import explanations, matchmaking, proposal_filters
from mentoring.services import proposals as proposal_service
from mentoring.services.geography import REGION_LABELS
from mentoring.services.proposals import can_see_proposal, represents_a_city_of
from mentoring.services.taxonomy import area_labels

# --- Serialisation ------------------------------------------------------------------------------

def _iso(value):
    return value.isoformat() if value is not None else None


def _city(city: City) -> dict:
    return {"id": city.id, "name": city.name, "country": city.country, "region": city.region,
            "population": city.population, "languages": city.language_codes}


def round_json(round_: MatchRound, *, detail: bool = False) -> dict:
    stale = matchmaking.is_stale(round_)
    out = {
        "id": round_.id, "name": round_.name, "status": matchmaking.display_status(round_), "stale": stale,
        "progress": round_.progress, "progress_message": round_.progress_message,
        "error": matchmaking.stale_message() if stale else round_.error,
        "created_at": _iso(round_.created_at), "started_at": _iso(round_.started_at),
        "finished_at": _iso(round_.finished_at), "version": round_.version,
    }
    if detail:
        counts = dict(db.session.execute(
            select(Proposal.state, func.count()).where(Proposal.round_id == round_.id).group_by(Proposal.state)
        ).all())
        out.update({
            "regions": list(round_.regions or []),
            "commissions": [link.commission.key for link in round_.commissions],
            "params": round_.params, "seed": round_.seed, "metrics": round_.metrics,
            "proposals_by_state": {state: counts.get(state, 0) for state in proposal_service.TRANSITIONS},
            "unmatched": len(round_.unmatched or []),
        })
    return out


def proposal_json(proposal: Proposal, explanation: explanations.Explanation) -> dict:
    return {
        "id": proposal.id, "round_id": proposal.round_id, "state": proposal.state, "version": proposal.version,
        "mentor": _city(proposal.mentor_city), "mentee": _city(proposal.mentee_city),
        "areas": list(proposal.areas or []), "score": proposal.score, "components": dict(proposal.components or {}),
        "explanation": explanation.to_dict(), "manual": proposal.manual,
        "decided_at": _iso(proposal.decided_at), "decision_reason": proposal.decision_reason,
        "mentor_endorsed_at": _iso(proposal.mentor_endorsed_at),
        "mentee_endorsed_at": _iso(proposal.mentee_endorsed_at),
        "decline_reason": proposal.decline_reason,
    }


def _one_proposal_json(proposal_id: int) -> dict:
    proposal = db.session.scalar(
        select(Proposal).where(Proposal.id == proposal_id).options(
            selectinload(Proposal.mentor_city).selectinload(City.languages),
            selectinload(Proposal.mentee_city).selectinload(City.languages),
        ).execution_options(populate_existing=True)
    )
    explanation = explanations.explain(proposal.mentor_city, proposal.mentee_city, proposal.areas,
                                       proposal.components, stored=proposal.explanation, rules=proposal.rules)
    return proposal_json(proposal, explanation)


# --- Errors -------------------------------------------------------------------------------------

@bp.errorhandler(CSRFError)
def _csrf_error(error):
    message = _("The security token is missing or expired: send the page's CSRF token in the X-CSRFToken header.")
    return json_error(400, message, {"csrf": [message]})


def _body() -> tuple[dict | None, tuple | None]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        message = _("Send a JSON object (Content-Type: application/json).")
        return None, json_error(400, message, {"body": [message]})
    return data, None


def _clean_text(value) -> str | None:
    """A reason as text, or None when it is not acceptable text."""
    if not isinstance(value, str) or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from "\ud800" escapes
        return None
    return value.strip()


def _decision_input(data: dict, choices: tuple[str, ...], needs_reason: str):
    """``(decision, reason, version, errors)`` from a decision body."""
    errors: dict[str, list[str]] = {}
    decision = data.get("decision")
    if not isinstance(decision, str) or decision not in choices:
        errors["decision"] = [_("Choose one of: %(choices)s.", choices=", ".join(choices))]
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        errors["version"] = [_("Give the version of the proposal you read (a whole number).")]
    raw = data.get("reason")
    reason = ""
    if raw is not None:
        reason = _clean_text(raw)
        if reason is None:
            errors["reason"] = [_("The reason must be plain text.")]
        elif len(reason) > REASON_MAX:
            errors["reason"] = [_("At most %(n)d characters.", n=REASON_MAX)]
    if decision == needs_reason and not reason and "reason" not in errors:
        errors["reason"] = [_("Please give a reason.")]
    return decision, reason or "", version, errors


# --- Rounds -------------------------------------------------------------------------------------

@bp.get("/rounds")
@coordinator_required
def rounds():
    """The rounds, newest first.
    ---
    get:
      summary: List the matching rounds (coordinators)
      security: [{session: []}]
      responses:
        "200": {description: The rounds, content: {application/json: {schema: RoundList}}}
        "401": Error401
        "403": Error403
    """
    items = db.session.scalars(select(MatchRound).order_by(MatchRound.created_at.desc(), MatchRound.id.desc()))
    return jsonify({"items": [round_json(r) for r in items]})


@bp.get("/rounds/<int:round_id>")
@coordinator_required
def round_detail(round_id: int):
    """One round with its parameters, metrics and proposal counts.
    ---
    get:
      summary: Show a round (coordinators)
      security: [{session: []}]
      parameters:
        - {in: path, name: round_id, required: true, schema: {type: integer}}
      responses:
        "200": {description: The round, content: {application/json: {schema: RoundDetail}}}
        "401": Error401
        "403": Error403
        "404": Error404
    """
    round_ = db.get_or_404(MatchRound, round_id)
    return jsonify(round_json(round_, detail=True))


@bp.get("/rounds/<int:round_id>/proposals")
@coordinator_required
def round_proposals(round_id: int):
    """A round's proposals, best first, filtered and paginated in the database.
    ---
    get:
      summary: List a round's proposals (coordinators)
      security: [{session: []}]
      parameters:
        - {in: path, name: round_id, required: true, schema: {type: integer}}
        - {in: query, schema: ProposalFiltersSchema}
      responses:
        "200": {description: One page of proposals, content: {application/json: {schema: ProposalPage}}}
        "401": Error401
        "403": Error403
        "404": Error404
        "422": Error422
    """
    round_ = db.get_or_404(MatchRound, round_id)
    filters, errors = proposal_filters.parse_filters(
        request.args, regions=REGION_LABELS, area_keys=set(area_labels(active_only=True))
    )
    page_number, per_page = 1, 50
    for name, low, high in (("page", 1, 10**6), ("per_page", 1, MAX_PER_PAGE)):
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            errors[name] = [_("A whole number from %(low)d to %(high)d.", low=low, high=high)]
        elif name == "page":
            page_number = value
        else:
            per_page = value
    if errors:
        return json_error(422, _("Some filters are not valid."), errors)
    page = db.paginate(proposal_filters.round_proposals_query(round_.id, filters), page=page_number,
                       per_page=per_page, error_out=False)
    texts = explanations.explain_many(page.items)
    return jsonify({
        "round": round_.id, "filters": filters, "page": page.page, "per_page": page.per_page,
        "total": page.total, "pages": page.pages,
        "items": [proposal_json(p, texts[p.id]) for p in page.items],
    })


# --- Proposals ----------------------------------------------------------------------------------

@bp.get("/proposals/<int:proposal_id>")
@owner_required("proposal", can_see_proposal)
def proposal(proposal_id: int):
    """One proposal with its explanation in the reader's language.
    ---
    get:
      summary: Show a proposal (coordinators; the two cities' representatives once approved)
      security: [{session: []}]
      parameters:
        - {in: path, name: proposal_id, required: true, schema: {type: integer}}
      responses:
        "200": {description: The proposal, content: {application/json: {schema: Proposal}}}
        "401": Error401
        "403": Error403
        "404": Error404
    """
    return jsonify(_one_proposal_json(proposal_id))


@bp.post("/proposals/<int:proposal_id>/decision")
@coordinator_required
def decision(proposal_id: int):
    """``{"decision": "approve"|"reject", "reason": "...", "version": N}``.
    ---
    post:
      summary: Approve or reject a proposal (coordinators)
      security: [{session: []}]
      parameters:
        - {in: path, name: proposal_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content: {application/json: {schema: Decision}}
      responses:
        "200": {description: Decided (or already decided so), content: {application/json: {schema: DecisionResult}}}
        "400": Error400
        "401": Error401
        "403": Error403
        "404": Error404
        "409": Error409
        "422": Error422
    """
    db.get_or_404(Proposal, proposal_id)
    data, refused = _body()
    if refused:
        return refused
    decision_, reason, version, errors = _decision_input(data, ("approve", "reject"), needs_reason="reject")
    if errors:
        return json_error(422, _("Some of the data is not valid."), errors)
    if decision_ == "approve":
        _proposal, changed = proposal_service.approve(current_user, proposal_id, version)
    else:
        _proposal, changed = proposal_service.reject(current_user, proposal_id, reason, version)
    return jsonify({"changed": changed, "proposal": _one_proposal_json(proposal_id)})


@bp.post("/proposals/<int:proposal_id>/endorsement")
@owner_required("proposal_city", represents_a_city_of)
def endorsement(proposal_id: int):
    """``{"decision": "endorse"|"decline", "reason": "...", "version": N, "side": "mentor"|"mentee"}``.

    ``side`` is needed only by someone who represents both cities.
    ---
    post:
      summary: Endorse or decline a proposal for one's city (its representatives)
      security: [{session: []}]
      parameters:
        - {in: path, name: proposal_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content: {application/json: {schema: Endorsement}}
      responses:
        "200": {description: Recorded (or already so), content: {application/json: {schema: DecisionResult}}}
        "400": Error400
        "401": Error401
        "403": Error403
        "404": Error404
        "409": Error409
        "422": Error422
    """
    proposal_ = db.get_or_404(Proposal, proposal_id)
    data, refused = _body()
    if refused:
        return refused
    decision_, reason, version, errors = _decision_input(data, ("endorse", "decline"), needs_reason="decline")
    sides = proposal_service.representative_sides(current_user, proposal_)
    side = data.get("side")
    if side is None:
        side = sides[0]
    elif not isinstance(side, str) or side not in sides:
        errors["side"] = [_("You represent: %(sides)s.", sides=", ".join(sides))]
    if errors:
        return json_error(422, _("Some of the data is not valid."), errors)
    if decision_ == "endorse":
        _proposal, changed = proposal_service.endorse(current_user, proposal_id, side, version)
    else:
        _proposal, changed = proposal_service.decline(current_user, proposal_id, side, reason, version)
    return jsonify({"changed": changed, "proposal": _one_proposal_json(proposal_id)})


@bp.get("/openapi.json")
@public
def openapi():
    """This API's OpenAPI 3.1 description, generated from the routes and their schemas."""
    app = current_app._get_current_object()
    if "api_spec" not in app.extensions:
        app.extensions["api_spec"] = build_spec(app)
    return jsonify(app.extensions["api_spec"])
