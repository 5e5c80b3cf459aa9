"""App-wide limits on what a request may carry, so no input can reach the database as a 500.

One place for the rules every view relies on without knowing it:

- ``<int:…>`` URL parts are bounded to PostgreSQL's ``integer`` (int4) range: a larger number is a
  page that cannot exist (404), on every backend alike.
- ``page`` and ``per_page`` query arguments: a whole number above :data:`PAGE_ARG_MAX` is a page
  that cannot exist (404); smaller, zero, negative or non-numeric values are left to the listing,
  which shows its first page (or, in the JSON API, says which argument is wrong).
- Text may not contain NUL characters (PostgreSQL refuses them) nor, in JSON, lone surrogates
  (no encoding can store them): a query argument, form field, file name or JSON string carrying
  one is refused with 400 and a message that says so. Uploaded file *contents* are left to the
  import that reads them.
- JSON bodies nested deeper than :data:`JSON_MAX_DEPTH` load as invalid JSON (a 400 from the
  endpoint, in the JSON error shape) instead of exhausting the interpreter's stack.
"""
from __future__ import annotations

import json

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter

INT4_MAX = 2**31 - 1
# A page number or page size above this cannot address any row: (page - 1) * per_page must fit a
# 64-bit OFFSET on both databases, and 10**9 * 10**9 does.
PAGE_ARG_MAX = 10**9
PAGE_ARGS = ("page", "per_page")
JSON_MAX_DEPTH = 64


def _at_most(limit: str) -> str:
    """A regular expression for the decimal numbers from 0 to ``limit`` (leading zeros allowed)."""
    choices = [rf"\d{{1,{len(limit) - 1}}}"] if len(limit) > 1 else []
    for i, digit in enumerate(limit):
        rest = len(limit) - i - 1
        if i == len(limit) - 1:
            choices.append(limit[:i] + f"[0-{digit}]")
        elif digit > ("1" if i == 0 else "0"):  # a smaller digit here, anything after it
            choices.append(limit[:i] + f"[{'1' if i == 0 else '0'}-{int(digit) - 1}]" + rf"\d{{{rest}}}")
    return "0*(?:" + "|".join(choices) + ")"


class BoundedIntegerConverter(IntegerConverter):
    """werkzeug's ``int`` converter, limited to the int4 range of our primary keys.

    The bound is in the regular expression too, so a larger number matches no rule at all (404),
    even where a rule with other methods has the same path (werkzeug would answer 405).
    """

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        bound = INT4_MAX if max is None or max > INT4_MAX else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)
        if not fixed_digits:
            self.regex = ("-?" if signed else "") + _at_most(str(bound))


class InputError(BadRequest):
    """A 400 whose description is shown to the user (see :mod:`mentoring.errors`)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.user_message = message
        self.errors = {field: [message]} if field else {}


def _depth_exceeds(value, limit: int) -> bool:
    """Whether ``value`` nests lists/objects deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _strings(value):
    """Every string in a decoded JSON document, keys included (iterative)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def unstorable(text: str) -> bool:
    """Whether ``text`` holds a character no database column can store (NUL, lone surrogate)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider whose ``loads`` fails with ``ValueError`` on over-deep documents.

    Flask turns a ``ValueError`` from loading a request body into a 400 (or ``None`` with
    ``silent=True``), exactly as for malformed JSON.
    """

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if _depth_exceeds(value, JSON_MAX_DEPTH):
            raise ValueError("JSON nested too deeply")
        return value


def _refused(field: str | None = None) -> InputError:
    from flask_babel import gettext as _

    return InputError(_("The request contains a character that cannot be stored (a NUL byte or an "
                        "unpaired surrogate). Please remove it and try again."), field)


def _check_request() -> None:
    # Runs before the session checks: it must not touch the locale or current_user (translating
    # would load the user), so messages are only built when a request is refused.
    for name in PAGE_ARGS:
        for raw in request.args.getlist(name):
            text = raw.strip()
            if text.lstrip("+-").isdigit() and text.isascii() and int(text) > PAGE_ARG_MAX:
                raise NotFound()
    if "\x00" in request.path:
        raise _refused()
    for key, value in request.args.items(multi=True):
        if unstorable(key) or unstorable(value):
            raise _refused(None if unstorable(key) else key)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, value in request.form.items(multi=True):
            if unstorable(key) or unstorable(value):
                raise _refused(None if unstorable(key) else key)
        for key, upload in request.files.items(multi=True):
            if unstorable(key) or unstorable(upload.filename or ""):
                raise _refused()
    elif request.is_json and request.content_length != 0:
        # Malformed or over-deep JSON loads as None here: each endpoint says what it expected.
        data = request.get_json(silent=True)
        if isinstance(data, dict):  # name the top-level field that carries it
            for key, value in data.items():
                if unstorable(key) or any(unstorable(text) for text in _strings(value)):
                    raise _refused(None if unstorable(key) else key)
        elif any(unstorable(text) for text in _strings(data)):
            raise _refused()


def init_app(app: Flask) -> None:
    """Install the rules above; call before any blueprint is registered (the converter)."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)
    # First of the before_request functions: nothing else sees a refused request.
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
