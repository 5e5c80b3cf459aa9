"""The OpenAPI 3.1 description of the JSON API, generated from the code (apispec).

Bodies come from the marshmallow schemas of :mod:`mentoring.api.schemas`; each operation from the
YAML after ``---`` in its view's docstring (:mod:`mentoring.api.routes`). Every view of the api
blueprint is described: :func:`build_spec` refuses one that is not, so the description cannot
fall behind the routes. Served at ``GET /api/openapi.json``.
"""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from mentoring.api.schemas import SCHEMAS

ERROR_STATUSES = {
    "400": "Not understood: a body that is not a JSON object, a missing CSRF token, or a NUL byte or "
           "unpaired surrogate in any value (refused before any view runs, so any operation may answer it).",
    "401": "Not signed in.",
    "403": "Signed in, but not allowed.",
    "404": "No such round or proposal.",
    "409": "A stale version, a transition the state machine forbids, or a full mentor city.",
    "422": "Invalid input: the messages per field are in ``errors``.",
}


def build_spec(app: Flask) -> dict:
    spec = APISpec(
        title="Mentoring API",
        version="1",
        openapi_version="3.1.0",
        info={"description": "Rounds and proposals as JSON. Session-authenticated (sign in through the "
                             "site); POSTs carry the page's CSRF token in the X-CSRFToken header. Every error "
                             "answers with the Error schema."},
        servers=[{"url": "/"}],
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for status, description in ERROR_STATUSES.items():
        spec.components.response(f"Error{status}", {
            "description": description, "content": {"application/json": {"schema": "Error"}},
        })
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie",
                                                "name": app.config["SESSION_COOKIE_NAME"]})
    with app.test_request_context():
        for endpoint, view in app.view_functions.items():
            if not endpoint.startswith("api.") or endpoint == "api.openapi":
                continue
            if "---" not in (view.__doc__ or ""):
                raise RuntimeError(f"{endpoint} has no OpenAPI description in its docstring")
            spec.path(view=view, app=app)
    out = spec.to_dict()
    _no_nul_in_strings(out)
    for operations in out.get("paths", {}).values():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operation.setdefault("responses", {}).setdefault("400", {"$ref": "#/components/responses/Error400"})
    return out


#: What every text accepts: anything but NUL (mentoring.inputs refuses it with 400 before any view runs).
TEXT_PATTERN = "^[^\\u0000]*$"


def _no_nul_in_strings(node) -> None:
    """State the NUL rule on every free-text string of the description (not on enums, formats or
    patterns of their own), so a client — and the schema-driven tests — know it before sending."""
    if isinstance(node, dict):
        kinds = node.get("type")
        if (kinds == "string" or (isinstance(kinds, list) and "string" in kinds)) \
                and not {"enum", "format", "pattern", "const"} & node.keys():
            node["pattern"] = TEXT_PATTERN
        for value in node.values():
            _no_nul_in_strings(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul_in_strings(value)
