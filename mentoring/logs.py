"""Structured logging with a request id on every line and every response."""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    """The id of the request being served, or ``None`` outside a request (CLI, jobs)."""
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class PlainFormatter(logging.Formatter):
    """The message alone, lines kept: development e-mails on the console (``mentoring.devmail``)."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def init_app(app: Flask) -> None:
    # Development e-mails (mentoring.services.mail) are printed as plain text, outside the JSON log.
    devmail = logging.getLogger("mentoring.devmail")
    devmail.propagate = False
    devmail.setLevel(logging.INFO)
    if not any(isinstance(h.formatter, PlainFormatter) for h in devmail.handlers):
        plain = logging.StreamHandler(sys.stderr)
        plain.setFormatter(PlainFormatter())
        devmail.addHandler(plain)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("mentoring")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False

    @app.before_request
    def _assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
