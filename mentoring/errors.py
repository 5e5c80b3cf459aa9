"""Error pages in HTML, and JSON for clients that ask for JSON; every error rolls back."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from mentoring.extensions import db

log = logging.getLogger("mentoring.errors")


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        409: _("Someone else changed this in the meantime"),
        413: _("The upload is too large"),
        422: _("Some of the data is not valid"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("Please go back, reload the page and try again."),
        403: _("If you think you should have access, ask your city's representative or a coordinator."),
        404: _("The address may be mistyped, or the page was removed."),
        405: _("Please use the buttons and forms of the pages."),
        409: _("Reload the page to see the latest version, then repeat your change."),
        413: _("Please send a smaller file."),
        422: _("Please correct the data and try again."),
        429: _("Please wait a little before trying again."),
        500: _("The error was logged and nothing was saved. Please try again in a moment."),
    }


def wants_json() -> bool:
    """True for API paths and for clients that prefer JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code: int, description: str | None = None):
    db.session.rollback()
    title = _titles().get(code, _("Error"))
    explanation = description or _explanations().get(code, "")
    if wants_json():
        return jsonify({"error": {"code": code, "title": title, "message": explanation}}), code
    return render_template("errors/error.html", code=code, title=title, explanation=explanation), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if isinstance(error, InternalServerError):
            return handle_unexpected(error)
        # Only our own aborts carry a user-facing description; werkzeug's defaults are English.
        description = getattr(error, "user_message", None)
        response = make_response(render_error(error.code or 500, description))
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        for name in ("Retry-After",):
            original = error.get_headers()
            for key, value in original:
                if key == name:
                    response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        original = getattr(error, "original_exception", None) or error
        log.exception("unhandled error", exc_info=original)
        return render_error(500)
