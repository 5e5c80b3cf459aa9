"""The JSON API's bodies as marshmallow schemas: the OpenAPI description is generated from them.

Each schema mirrors what :mod:`mentoring.api.routes` answers (``round_json``, ``proposal_json``)
or accepts; the routes' docstrings name them in their OpenAPI operations.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from mentoring.models.cities import REGIONS
from mentoring.models.rounds import PROPOSAL_STATES, ROUND_STATUSES

REASON_MAX = 2000
MAX_PER_PAGE = 100


class ErrorSchema(Schema):
    """The one error shape (:func:`mentoring.errors.json_error`)."""

    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                         metadata={"description": "Messages per field ({} when no field is concerned)."})


class CitySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    country = fields.String(required=True)
    region = fields.String(allow_none=True, required=True)
    population = fields.Integer(allow_none=True, required=True)
    languages = fields.List(fields.String(), required=True)


class AreaFactsSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    mentor_level = fields.Integer(allow_none=True, required=True)
    mentee_level = fields.Integer(allow_none=True, required=True)
    mentee_need = fields.Integer(allow_none=True, required=True)


class ExplanationSchema(Schema):
    """Why the pair was proposed, in the reader's language (``stored``: the engine's English text)."""

    text = fields.String(required=True)
    sentences = fields.List(fields.String(), required=True)
    areas = fields.List(fields.Nested(AreaFactsSchema), required=True)
    shared_languages = fields.List(fields.String(), required=True)
    same_region = fields.Boolean(required=True)
    comparable_population = fields.Boolean(required=True)
    stored = fields.String(allow_none=True, required=True)


class ProposalSchema(Schema):
    id = fields.Integer(required=True)
    round_id = fields.Integer(allow_none=True, required=True)
    state = fields.String(required=True, validate=validate.OneOf(PROPOSAL_STATES))
    version = fields.Integer(required=True)
    mentor = fields.Nested(CitySchema, required=True)
    mentee = fields.Nested(CitySchema, required=True)
    areas = fields.List(fields.String(), required=True)
    score = fields.Float(required=True)
    components = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    explanation = fields.Nested(ExplanationSchema, required=True)
    manual = fields.Boolean(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    decision_reason = fields.String(allow_none=True, required=True)
    mentor_endorsed_at = fields.DateTime(allow_none=True, required=True)
    mentee_endorsed_at = fields.DateTime(allow_none=True, required=True)
    decline_reason = fields.String(allow_none=True, required=True)


class RoundSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ROUND_STATUSES),
                           metadata={"description": "A queued or running round that stopped reporting "
                                                    "progress is shown as failed (``stale``)."})
    stale = fields.Boolean(required=True)
    progress = fields.Float(allow_none=True, required=True)
    progress_message = fields.String(allow_none=True, required=True)
    error = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(allow_none=True, required=True)
    started_at = fields.DateTime(allow_none=True, required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
    version = fields.Integer(required=True)


class RoundDetailSchema(RoundSchema):
    regions = fields.List(fields.String(), required=True)
    commissions = fields.List(fields.String(), required=True)
    params = fields.Dict(allow_none=True, required=True, metadata={"description": "The engine's parameters."})
    seed = fields.Integer(allow_none=True, required=True)
    metrics = fields.Dict(allow_none=True, required=True, metadata={"description": "Coverage, load, optimality."})
    proposals_by_state = fields.Dict(keys=fields.String(validate=validate.OneOf(PROPOSAL_STATES)),
                                     values=fields.Integer(), required=True)
    unmatched = fields.Integer(required=True)


class RoundListSchema(Schema):
    items = fields.List(fields.Nested(RoundSchema), required=True)


class ProposalFiltersSchema(Schema):
    """The query of ``GET /api/rounds/{round_id}/proposals``; unknown values answer 422."""

    region = fields.String(validate=validate.OneOf(REGIONS))
    area = fields.String(metadata={"description": "A focus area key of the taxonomy."})
    state = fields.String(validate=validate.OneOf(PROPOSAL_STATES))
    min_score = fields.Float(metadata={"description": "Only pairs scoring at least this."})
    page = fields.Integer(validate=validate.Range(min=1, max=10**6))
    per_page = fields.Integer(validate=validate.Range(min=1, max=MAX_PER_PAGE))


class AppliedFiltersSchema(Schema):
    region = fields.String(required=True)
    area = fields.String(required=True)
    state = fields.String(required=True)
    min_score = fields.Float(allow_none=True, required=True)


class ProposalPageSchema(Schema):
    round = fields.Integer(required=True)
    filters = fields.Nested(AppliedFiltersSchema, required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    items = fields.List(fields.Nested(ProposalSchema), required=True)


class DecisionSchema(Schema):
    """A coordinator's decision; ``reason`` is required to reject."""

    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                             metadata={"description": "The proposal's version you read (409 if it changed)."})
    reason = fields.String(validate=validate.Length(max=REASON_MAX))


class EndorsementSchema(Schema):
    """A city's endorsement; ``reason`` is required to decline, ``side`` only for someone who
    represents both cities."""

    decision = fields.String(required=True, validate=validate.OneOf(("endorse", "decline")))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    reason = fields.String(validate=validate.Length(max=REASON_MAX))
    side = fields.String(validate=validate.OneOf(("mentor", "mentee")))


class DecisionResultSchema(Schema):
    changed = fields.Boolean(required=True, metadata={"description": "False when the decision was already taken."})
    proposal = fields.Nested(ProposalSchema, required=True)


SCHEMAS = {
    "Error": ErrorSchema, "City": CitySchema, "AreaFacts": AreaFactsSchema, "Explanation": ExplanationSchema,
    "Proposal": ProposalSchema, "Round": RoundSchema, "RoundDetail": RoundDetailSchema,
    "RoundList": RoundListSchema, "AppliedFilters": AppliedFiltersSchema, "ProposalPage": ProposalPageSchema,
    "Decision": DecisionSchema, "Endorsement": EndorsementSchema, "DecisionResult": DecisionResultSchema,
}
