"""Helpers available in every template."""
from __future__ import annotations

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_decimal, format_percent
from flask_babel import lazy_gettext as _l

# (endpoint, label, coordinators only); entries whose endpoint is not registered are left out.
NAVIGATION = (
    ("cities.directory", _l("Cities"), False),
    ("cities.mine", _l("My city"), False),
    ("rounds.index", _l("Rounds"), True),
    ("mentorships.index", _l("Mentorships"), False),
    ("rounds.mine", _l("Proposals for my city"), False),
    ("cities.verification_queue", _l("Verification"), True),
    ("admin.index", _l("Administration"), True),
)


def main_navigation():
    endpoints = current_app.view_functions
    return [entry for entry in NAVIGATION if entry[0] in endpoints]


def url_endpoints():
    return current_app.view_functions.keys()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(main_navigation=main_navigation, url_endpoints=url_endpoints)
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_decimal,
        percent=format_percent,
    )
