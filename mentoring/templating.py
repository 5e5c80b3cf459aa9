"""Helpers available in every template."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache

from babel.dates import format_skeleton
from flask import Flask, current_app
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from mentoring.services.geography import REGION_LABELS
from mentoring.services.proposals import state_label
from mentoring.services.taxonomy import need_name

log = logging.getLogger("mentoring.templating")

# (endpoint, label, who sees it: None for every signed-in user, "coordinator" or "admin");
# entries whose endpoint is not registered are left out.
NAVIGATION = (
    ("cities.directory", _l("Cities"), None),
    ("cities.mine", _l("My city"), None),
    ("rounds.index", _l("Rounds"), "coordinator"),
    ("mentorships.index", _l("Mentorships"), None),
    ("rounds.mine", _l("Proposals for my city"), None),
    ("cities.verification_queue", _l("Verification"), "coordinator"),
    ("admin.index", _l("Administration"), "admin"),
)


def main_navigation():
    """The menu entries the signed-in user may open: ``[(endpoint, label), …]``."""
    user = current_user
    endpoints = current_app.view_functions
    visible = []
    for endpoint, label, audience in NAVIGATION:
        if endpoint not in endpoints:
            continue
        if audience == "coordinator" and not user.is_coordinator:
            continue
        if audience == "admin" and not user.is_admin:
            continue
        visible.append((endpoint, label))
    return visible


def template_helpers() -> dict:
    """Names every template may use for the programme's vocabulary (regions, states, needs)."""
    return {"region_label": lambda key: REGION_LABELS.get(key, key), "state_label": state_label,
            "need_name": need_name}


def url_endpoints():
    return current_app.view_functions.keys()


def local_time(moment: datetime, zone) -> str:
    """A moment in a zone, in the reader's language, with the zone's abbreviation.

    A moment whose local time falls outside the calendar (stored before dates were checked, e.g.
    9999-12-31 23:30 UTC read in Paris) is shown in UTC rather than failing the page.
    """
    try:
        local = moment.astimezone(zone)
        day = format_skeleton("yMMMEd", local, tzinfo=zone, locale=str(get_locale() or "en"))
    except (OverflowError, ValueError):
        log.warning("%s cannot be shown in %s; shown in UTC", moment.isoformat(), zone)
        local = moment.astimezone(UTC)
        day = format_skeleton("yMMMEd", local, tzinfo=UTC, locale=str(get_locale() or "en"))
    return f"{day}, {local.strftime('%H:%M %Z')}"


def duration_text(minutes: int) -> str:
    """``45 min``, ``2 h``, ``1 h 30 min``."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(minutes)d min", minutes=rest)
    if not rest:
        return _("%(hours)d h", hours=hours)
    return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)


@lru_cache(maxsize=64)
def _rendered_options(choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Each choice as (value, escaped ``<option>`` HTML), rendered once per list (so once per language)."""
    return tuple((str(value), f'<option value="{escape(value)}">{escape(label)}</option>') for value, label in choices)


def select_options(choices, selected: str = "") -> Markup:
    """The ``<option>`` elements of ``choices`` ((value, label) pairs), ``selected`` marked.

    Long lists (250 countries, 180 languages) cost a Jinja loop iteration, two escapes and a test
    each on every page; here they are rendered once per list and language and only joined.
    """
    selected = str(selected or "")
    parts = []
    for value, html in _rendered_options(tuple(choices)):
        parts.append(html.replace("<option ", "<option selected ", 1) if selected and value == selected else html)
    return Markup("".join(parts))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        main_navigation=main_navigation,
        select_options=select_options,
        url_endpoints=url_endpoints,
        local_time=local_time,
        duration_text=duration_text,
    )
    app.context_processor(template_helpers)
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_decimal,
        percent=format_percent,
    )
