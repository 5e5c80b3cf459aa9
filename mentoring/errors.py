"""Error pages in HTML, and JSON for clients that ask for JSON; every error rolls back."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError

from mentoring.extensions import db
from mentoring.services import ServiceError
from mentoring.urls import safe_next

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


def _forbidden_explanation() -> str:
    """Who can open the door depends on who knocks: a coordinator is not sent to a coordinator."""
    if current_user.is_authenticated and getattr(current_user, "is_coordinator", False):
        return _("This page is for administrators. If you need it, ask an administrator.")
    return _("If you think you should have access, ask your city's representative or a coordinator.")


def _explanations() -> dict[int, str]:
    return {
        400: _("Please go back, reload the page and try again."),
        403: _forbidden_explanation(),
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


def json_error(status: int, message: str, errors: dict | None = None):
    """The one JSON error shape: ``{"message": …, "errors": {field: [messages]}}``."""
    body = {"message": str(message), "errors": {
        name: [str(m) for m in (messages if isinstance(messages, (list, tuple)) else [messages])]
        for name, messages in (errors or {}).items()
    }}
    return jsonify(body), status


def render_error(code: int, description: str | None = None, errors: dict | None = None):
    """An error answer in HTML or JSON (see :func:`wants_json`); the request's changes roll back."""
    db.session.rollback()
    title = _titles().get(code, _("Error"))
    explanation = description or _explanations().get(code, "")
    if wants_json():
        return json_error(code, description or title, errors)
    return render_template("errors/error.html", code=code, title=title, explanation=explanation), code


def error_response(code: int, description: str | None = None):
    """:func:`render_error` as a response object (for ``after_request`` functions)."""
    return make_response(render_error(code, description))


def apply_errors(form, error: ServiceError) -> int:
    """Show a refused change on the form it came from; returns the status to answer with.

    Field messages go under their fields (hidden fields and unknown names become form-level
    messages, as does the error's message when it names no field).
    """
    for name, messages in error.errors.items():
        field = getattr(form, name, None)
        messages = [str(m) for m in (messages if isinstance(messages, (list, tuple)) else [messages])]
        if field is not None and hasattr(field, "errors") and getattr(field, "type", "") != "HiddenField":
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(m for m in messages if m not in form.form_errors)
    if not error.errors:
        form.form_errors.append(str(error.message))
    return error.status


def flash_refusal(error: ServiceError) -> list[str]:
    """Tell the person, on the next page they see, why their change was refused."""
    details = [str(m) for messages in error.errors.values() for m in messages if str(m) != str(error.message)]
    flash(" ".join([str(error.message), *details]).strip(), "error")
    return details


def handle_service_error(error: ServiceError):
    """A business rule refused the change and the view did not show it on a form.

    JSON clients get the error shape with its status. A browser gets the message as a flash and
    goes back to the page it came from (Post/Redirect/Get), or an error page when there is none.
    """
    db.session.rollback()
    if wants_json():
        return json_error(error.status, error.message, error.errors)
    details = flash_refusal(error)
    back = safe_next(request.form.get("next")) or _same_site_referrer()
    if back:
        return redirect(back, code=303)
    return render_template("errors/error.html", code=error.status, title=str(error.message),
                           explanation=" ".join(details)), error.status


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def init_app(app: Flask) -> None:
    from mentoring.database import commit_response

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if isinstance(error, InternalServerError):
            return handle_unexpected(error)
        # Only our own aborts carry a user-facing description; werkzeug's defaults are English.
        description = getattr(error, "user_message", None)
        response = make_response(render_error(error.code or 500, description, getattr(error, "errors", None)))
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        for key, value in error.get_headers():
            if key == "Retry-After":
                response.headers[key] = value
        return response

    app.register_error_handler(ServiceError, handle_service_error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        original = getattr(error, "original_exception", None) or error
        log.exception("unhandled error", exc_info=original)
        return render_error(500)

    # Registered last, so it runs before the other after_request functions (headers, logs).
    app.after_request(commit_response)
