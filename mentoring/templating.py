"""Helpers available in every template."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from functools import lru_cache

from babel import numbers
from babel.dates import format_skeleton
from flask import Flask, current_app, request, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    to_user_timezone,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from mentoring.i18n import get_locale, translations
from mentoring.services.geography import REGION_LABELS
from mentoring.services.messages import unread_counts
from mentoring.services.proposals import state_label
from mentoring.services.taxonomy import need_name
from mentoring.urls import template_url_for

log = logging.getLogger("mentoring.templating")

# (endpoint, label, who sees it: None for every signed-in user, "coordinator" or "admin");
# entries whose endpoint is not registered are left out.
NAVIGATION = (
    ("cities.directory", _l("Cities"), None),
    ("cities.mine", _l("My city"), None),
    ("rounds.index", _l("Rounds"), "coordinator"),
    ("mentorships.index", _l("Mentorships"), None),
    ("rounds.mine", _l("Proposals for my city"), None),
    ("programme.network_page", _l("Programme"), "coordinator"),
    ("requests.index", _l("Requests"), None),
    ("people.circulars_index", _l("Circulars"), None),
    ("cities.verification_queue", _l("Verification"), "coordinator"),
    ("admin.index", _l("Administration"), "admin"),
)


def main_navigation():
    """The menu entries the signed-in user may open: ``[(endpoint, url, label), …]``.

    Built once per language, role and application root (ten ``url_for`` and translations saved
    on every page); the page marks the current entry itself.
    """
    user = current_user
    key = (str(get_locale()), bool(user.is_coordinator), bool(user.is_admin), request.script_root)
    built = current_app.extensions.setdefault("mentoring.navigation", {})
    if key not in built:
        endpoints = current_app.view_functions
        built[key] = tuple(
            (endpoint, url_for(endpoint), str(label)) for endpoint, label, audience in NAVIGATION
            if endpoint in endpoints
            and (audience != "coordinator" or user.is_coordinator) and (audience != "admin" or user.is_admin))
    return built[key]


def template_helpers() -> dict:
    """Names every template may use for the programme's vocabulary (regions, states, needs)."""
    return {"region_label": lambda key: REGION_LABELS.get(key, key), "state_label": state_label,
            "need_name": need_name}


def url_endpoints():
    return current_app.view_functions.keys()


def local_time(moment: datetime, zone) -> str:
    """A moment in a zone, in the reader's language, with the zone's abbreviation: formatted once per
    moment, zone and language (a workspace shows each session's time in two zones on every request).

    A moment whose local time falls outside the calendar (stored before dates were checked, e.g.
    9999-12-31 23:30 UTC read in Paris) is shown in UTC rather than failing the page.
    """
    locale = str(get_locale() or "en")
    try:
        return _local_time(moment, zone, locale)
    except (OverflowError, ValueError):  # (not kept: said in the log each time it is shown)
        log.warning("%s cannot be shown in %s; shown in UTC", moment.isoformat(), zone)
        return _local_time(moment, UTC, locale)


@lru_cache(maxsize=4096)
def _local_time(moment: datetime, zone, locale: str) -> str:
    local = moment.astimezone(zone)
    return f"{format_skeleton('yMMMEd', local, tzinfo=zone, locale=locale)}, {local.strftime('%H:%M %Z')}"


def duration_text(minutes: int) -> str:
    """``45 min``, ``2 h``, ``1 h 30 min``."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(minutes)d min", minutes=rest)
    if not rest:
        return _("%(hours)d h", hours=hours)
    return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)


def city_name(city) -> str:
    """A city's name as pages show it: with its subdivision when it has homonyms in its country."""
    from mentoring.services.cities import display_name

    return display_name(city)


def label(text) -> str:
    """``text`` followed by a colon as the reader's language writes it: "Outcome:" in English and
    Spanish, "Résultat :" (narrow no-break space) in French."""
    return f"{text}\u202f:" if str(get_locale() or "en").startswith("fr") else f"{text}:"


@lru_cache(maxsize=8192, typed=True)
def _formatted(kind: str, value: int | float, format: str | None, locale) -> str:
    write = numbers.format_percent if kind == "percent" else numbers.format_decimal
    return write(value, format=format, locale=locale)


def _kept(value) -> bool:
    # (A float zero is left to Babel: 0.0 and -0.0 are one cache key but print "0" and "-0".)
    return type(value) is int or (type(value) is float and value != 0)


def number(value, format=None) -> str:
    """Flask-Babel's ``format_decimal``; plain numbers (populations, counts, scores: most of a list's
    cells) are formatted once per value, pattern and language, Babel's pattern machinery costing ~50 µs a call."""
    if _kept(value):
        return _formatted("decimal", value, format, get_locale())
    return format_decimal(value, format)


def percent(value, format=None) -> str:
    """Flask-Babel's ``format_percent``, formatted once per value, pattern and language like :func:`number`."""
    if _kept(value):
        return _formatted("percent", value, format, get_locale())
    return format_percent(value, format)


@lru_cache(maxsize=4096)
def _formatted_day(day: date, format: str | None, locale) -> str:
    return format_date(day, format, rebase=False)


def day(value=None, format=None, rebase=True) -> str:
    """Flask-Babel's ``format_date`` (the ``date`` filter), formatted once per day, pattern and language:
    a list of assessments or sessions shows a few days many times. Only the date part of a moment is
    shown, in the reader's time zone, as Flask-Babel does."""
    if rebase and isinstance(value, datetime):
        value = to_user_timezone(value)
    if isinstance(value, datetime):
        value = value.date()
    if type(value) is not date:
        return format_date(value, format, rebase=False)
    return _formatted_day(value, format, get_locale())


@lru_cache(maxsize=64)
def _rendered_options(choices: tuple[tuple[str, str], ...]) -> Markup:
    """Every ``<option>`` of a list, as one string rendered once per list (so once per language)."""
    option = Markup('<option value="{}">{}</option>')
    return Markup("").join(option.format(value, label) for value, label in choices)


def select_options(choices, selected: str = "") -> Markup:
    """The ``<option>`` elements of ``choices`` ((value, label) pairs), ``selected`` marked.

    Long lists (250 countries, 180 languages) cost a Jinja loop iteration, two escapes and a test
    each on every page; here they are rendered once per list and language, and the chosen one is
    marked by replacing its opening tag (values are unique in a list).
    """
    html = _rendered_options(tuple(choices))
    selected = str(selected or "")
    if selected:
        html = html.replace(Markup('<option value="{}">').format(selected),
                            Markup('<option value="{}" selected>').format(selected), 1)
    return html


def init_app(app: Flask) -> None:
    from mentoring.requests.routes import mentor_suggestions, request_mentor_url

    app.jinja_env.globals.update(
        url_for=template_url_for,
        request_mentor_url=request_mentor_url,
        mentor_suggestions=mentor_suggestions,
        main_navigation=main_navigation,
        select_options=select_options,
        url_endpoints=url_endpoints,
        local_time=local_time,
        duration_text=duration_text,
        city_name=city_name,
        unread_counts=unread_counts,
    )
    app.context_processor(template_helpers)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(
        date=day,
        datetime=format_datetime,
        number=number,
        percent=percent,
        label=label,
    )
