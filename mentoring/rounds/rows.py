"""The round page's proposal rows, written in Python once per page instead of per row in the template.

A row was a dozen template expressions, three macro calls (two city cells, the areas, the state), two
``url_for`` and five translations: for 20 rows, a third of the page's rendering. Here each row is one
``Markup % values`` (markupsafe escapes every value) with everything that repeats — the translations, the
link patterns, the state and area tags, the approval form's fixed fields — built once per page, and the
numbers formatted once per value and language; and a row is kept, under everything it is written from, until
one of those changes (:func:`proposal_rows`). The city cell's HTML is the macro's (``city_facts`` in
``templates/rounds/_macros.html``, still used by the other pages).
"""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from mentoring import cache
from mentoring.services.cities.directory import display_name
from mentoring.services.geography import REGION_LABELS
from mentoring.services.proposals import state_label
from mentoring.templating import number
from mentoring.urls import link_pattern

_FACTS = Markup('<span class="city-facts">\n    <a href="%s"><strong>%s</strong></a>%s\n'
                '    <span class="muted small">%s</span>\n  </span>')
_ROW = Markup('<tr>\n          <td>%s</td>\n          <td>%s</td>\n          <td>%s</td>\n'
              '          <td class="why"><p>%s</p>%s</td>\n'
              '          <td class="num"><strong>%s</strong></td>\n          <td>%s%s</td>\n'
              '          <td class="decide">\n            <a href="%s">%s</a>%s\n          </td>\n        </tr>\n')
_SELECT = Markup('<input type="checkbox" name="proposal" value="%s" form="bulk-form" id="sel-%s" aria-label="%s">')
_APPROVE = Markup('\n            <form method="post" action="%s">\n'
                  '              <input type="hidden" name="csrf_token" value="%s">\n'
                  '              <input type="hidden" name="version" value="%s">%s')
_APPROVE_END = Markup('\n              <input type="hidden" name="next" value="%s">\n'
                      '              <button type="submit" class="btn btn--small">%s</button>\n            </form>')
_TAG = Markup('<span class="tag tag--%s">%s</span>')
_AREA = Markup('<span class="tag tag--brand">%s</span>')
_MANUAL = Markup(' <span class="tag">%s</span>')
_NONE = Markup("")
_TOKEN = cache.TOKEN_SLOT  # the request's CSRF token, put in by cache.with_token


def score_text(value: float) -> str:
    """A score as ``|number("0.00")`` writes it, formatted once per value and language."""
    return number(float(value), "0.00")


class _Writer:
    """What the rows of one page share, built when a row is written (not when every row was kept)."""

    def __init__(self, back: str):
        self.link = link_pattern("cities.profile", "city_id")
        self.demo = Markup(' <span class="tag tag--demo">%s</span>') % _("Demo")
        self.inhabitants = _("%(n)s inhabitants", n="\0")
        self.proposal_url = link_pattern("rounds.proposal", "proposal_id")
        self.approve_url = link_pattern("rounds.approve", "proposal_id")
        self.select = _("Select %(mentor)s → %(mentee)s", mentor="\0", mentee="\1")
        self.approve_end = _APPROVE_END % (back, _("Approve"))
        self.open_label = _("Open proposal")
        self.manual = _MANUAL % _("manual")

    def facts(self, city, name: str) -> Markup:
        """The city cell (the ``city_facts`` macro's HTML)."""
        details = [city.country, str(REGION_LABELS.get(city.region, city.region))]
        if city.population:
            details.append(self.inhabitants.replace("\0", number(int(city.population))))
        if city.languages:
            details.append(", ".join(city.language_codes).upper())
        return _FACTS % (self.link(city.id), name, self.demo if city.is_demo else "", " · ".join(details))

    def row(self, p, names: dict[int, str], why: str, areas: tuple) -> Markup:
        check = approve = _NONE
        if p.state == "proposed":
            label = self.select.replace("\0", names[p.mentor_city_id]).replace("\1", names[p.mentee_city_id])
            check = _SELECT % (p.id, p.id, label)
            approve = _APPROVE % (self.approve_url(p.id), _TOKEN, p.version, self.approve_end)
        return _ROW % (check, self.facts(p.mentor_city, names[p.mentor_city_id]),
                       self.facts(p.mentee_city, names[p.mentee_city_id]), why,
                       _NONE.join(_AREA % label for _key, label in areas), score_text(p.score),
                       _TAG % (p.state, state_label(p.state)), self.manual if p.manual else _NONE,
                       self.proposal_url(p.id), self.open_label, approve)


def proposal_rows(proposals, explanations: dict, labels: dict[str, str], *, csrf: str, back: str) -> list[Markup]:
    """The ``<tr>`` of each proposal of the round page: its two cities, why, score, state, and for a
    proposed pair a checkbox for the bulk approval and an "Approve" form that comes ``back`` here.
    ``explanations``: :func:`mentoring.services.explanations.explain_many`'s; ``labels``: the areas'.

    Each row is kept (per process) under everything it is written from — the proposal's state, version,
    score and areas with their labels, its explanation's text, both cities as shown, the language, the
    page's address — so a row is written again whenever any of them changes; the request's CSRF token is
    put in afterwards."""
    names: dict[int, str] = {}
    cities: dict[int, tuple] = {}
    for p in proposals:
        for city in (p.mentor_city, p.mentee_city):
            if city.id not in names:
                names[city.id] = name = display_name(city)
                cities[city.id] = (city.id, name, city.is_demo, city.country, city.region, city.population,
                                   tuple(city.language_codes))
    page = (*cache.html_context(), back, url_for("rounds.show", round_id=0))
    writer: list[_Writer] = []
    out = []
    for p in proposals:
        areas = tuple((key, labels.get(key, key)) for key in p.areas or ())
        why = explanations[p.id].text
        key = (page, p.id, p.state, p.version, p.manual, p.score, areas, why, cities[p.mentor_city_id],
               cities[p.mentee_city_id])

        def write(p=p, why=why, areas=areas) -> Markup:
            if not writer:
                writer.append(_Writer(back))
            return writer[0].row(p, names, why, areas)

        out.append(_kept.get_or_compute(key, write))
    return cache.with_token(out, csrf)


_kept = cache.Memo(maxsize=4096)
