"""The round page's proposal rows, their repeated pieces built in Python once per page.

A row's two city cells (link, name, demo tag, country, region, population, languages) were a macro call
each, with a ``url_for``, three translations and a number format: 40 macro calls were a third of the page's
rendering. Here each cell is one ``Markup.format`` with the translations and the link pattern looked up once
per page and the numbers formatted once per value and language. The HTML is the macro's (``city_facts`` in
``templates/rounds/_macros.html``, still used by the other pages).
"""
from __future__ import annotations

from functools import lru_cache

from babel import numbers
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from mentoring.services.cities.directory import display_name
from mentoring.services.geography import REGION_LABELS

_FACTS = Markup('<span class="city-facts">\n    <a href="{url}"><strong>{name}</strong></a>{demo}\n'
                '    <span class="muted small">{details}</span>\n  </span>')


@lru_cache(maxsize=8192, typed=True)
def _decimal(value: float, pattern: str, locale: str) -> str:
    return numbers.format_decimal(value, format=pattern, locale=locale)


@lru_cache(maxsize=8192, typed=True)
def _integer(value: int, locale: str) -> str:
    return numbers.format_decimal(value, locale=locale)


def link_pattern(endpoint: str, key: str):
    """``id → url_for(endpoint, **{key: id})`` for the rows of a page, with one ``url_for``."""
    marker = 987654321
    head, tail = url_for(endpoint, **{key: marker}).split(str(marker), 1)
    return lambda value: f"{head}{int(value)}{tail}"


def score_text(value: float) -> str:
    """A score as ``|number("0.00")`` writes it, formatted once per value and language."""
    return _decimal(float(value), "0.00", str(get_locale() or "en"))


def city_facts(cities) -> dict[int, Markup]:
    """``{city id: the city cell's HTML}`` for ``cities`` (their languages loaded)."""
    locale = str(get_locale() or "en")
    link = link_pattern("cities.profile", "city_id")
    demo = Markup(' <span class="tag tag--demo">{}</span>').format(_("Demo"))
    inhabitants = _("%(n)s inhabitants", n="\0")
    out = {}
    for city in cities:
        if city.id in out:
            continue
        details = [city.country, str(REGION_LABELS.get(city.region, city.region))]
        if city.population:
            details.append(inhabitants.replace("\0", _integer(int(city.population), locale)))
        if city.languages:
            details.append(", ".join(city.language_codes).upper())
        out[city.id] = _FACTS.format(url=link(city.id), name=display_name(city),
                                     demo=demo if city.is_demo else "", details=" · ".join(details))
    return out
