"""The round page's proposal rows, their repeated pieces built in Python once per page.

A row's two city cells (link, name, demo tag, country, region, population, languages) were a macro call
each, with a ``url_for``, three translations and a number format: 40 macro calls were a third of the page's
rendering. Here each cell is one ``Markup.format`` with the translations and the link pattern looked up once
per page and the numbers formatted once per value and language. The HTML is the macro's (``city_facts`` in
``templates/rounds/_macros.html``, still used by the other pages).
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from mentoring.services.cities.directory import display_name
from mentoring.services.geography import REGION_LABELS
from mentoring.templating import number
from mentoring.urls import link_pattern

_FACTS = Markup('<span class="city-facts">\n    <a href="{url}"><strong>{name}</strong></a>{demo}\n'
                '    <span class="muted small">{details}</span>\n  </span>')


def score_text(value: float) -> str:
    """A score as ``|number("0.00")`` writes it, formatted once per value and language."""
    return number(float(value), "0.00")


def city_facts(cities) -> dict[int, Markup]:
    """``{city id: the city cell's HTML}`` for ``cities`` (their languages loaded)."""
    link = link_pattern("cities.profile", "city_id")
    demo = Markup(' <span class="tag tag--demo">{}</span>').format(_("Demo"))
    inhabitants = _("%(n)s inhabitants", n="\0")
    out = {}
    for city in cities:
        if city.id in out:
            continue
        details = [city.country, str(REGION_LABELS.get(city.region, city.region))]
        if city.population:
            details.append(inhabitants.replace("\0", number(int(city.population))))
        if city.languages:
            details.append(", ".join(city.language_codes).upper())
        out[city.id] = _FACTS.format(url=link(city.id), name=display_name(city),
                                     demo=demo if city.is_demo else "", details=" · ".join(details))
    return out
