"""The round page's proposal rows, written in Python once per page instead of per row in the template.

A row was a dozen template expressions, three macro calls (two city cells, the areas, the state), two
``url_for`` and five translations: for 20 rows, a third of the page's rendering. Here each row is one
``Markup % values`` (markupsafe escapes every value) with everything that repeats — the translations, the
link patterns, the state and area tags, the approval form's fixed fields — built once per page, and the
numbers formatted once per value and language. The city cell's HTML is the macro's (``city_facts`` in
``templates/rounds/_macros.html``, still used by the other pages).
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from mentoring.services.cities.directory import display_name
from mentoring.services.geography import REGION_LABELS
from mentoring.services.proposals import STATE_LABELS, state_label
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


def score_text(value: float) -> str:
    """A score as ``|number("0.00")`` writes it, formatted once per value and language."""
    return number(float(value), "0.00")


def city_facts(cities, names: dict[int, str] | None = None) -> dict[int, Markup]:
    """``{city id: the city cell's HTML}`` for ``cities`` (their languages loaded); ``names`` is filled with
    their names as shown."""
    link = link_pattern("cities.profile", "city_id")
    demo = Markup(' <span class="tag tag--demo">%s</span>') % _("Demo")
    inhabitants = _("%(n)s inhabitants", n="\0")
    out = {}
    names = {} if names is None else names
    for city in cities:
        if city.id in out:
            continue
        names[city.id] = name = display_name(city)
        details = [city.country, str(REGION_LABELS.get(city.region, city.region))]
        if city.population:
            details.append(inhabitants.replace("\0", number(int(city.population))))
        if city.languages:
            details.append(", ".join(city.language_codes).upper())
        out[city.id] = _FACTS % (link(city.id), name, demo if city.is_demo else "",
                                 " · ".join(details))
    return out


def proposal_rows(proposals, explanations: dict, labels: dict[str, str], *, csrf: str, back: str) -> list[Markup]:
    """The ``<tr>`` of each proposal of the round page: its two cities, why, score, state, and for a
    proposed pair a checkbox for the bulk approval and an "Approve" form that comes ``back`` here.
    ``explanations``: :func:`mentoring.services.explanations.explain_many`'s; ``labels``: the areas'."""
    names: dict[int, str] = {}
    facts = city_facts((c for p in proposals for c in (p.mentor_city, p.mentee_city)), names)
    proposal_url = link_pattern("rounds.proposal", "proposal_id")
    approve_url = link_pattern("rounds.approve", "proposal_id")
    select = _("Select %(mentor)s → %(mentee)s", mentor="\0", mentee="\1")
    approve_end = _APPROVE_END % (back, _("Approve"))
    open_label = _("Open proposal")
    states = {state: _TAG % (state, label) for state, label in ((s, state_label(s)) for s in STATE_LABELS)}
    manual = _MANUAL % _("manual")
    areas_html: dict[tuple, Markup] = {}
    out = []
    for p in proposals:
        areas = tuple(p.areas or ())
        if areas not in areas_html:
            areas_html[areas] = _NONE.join(_AREA % labels.get(key, key) for key in areas)
        proposed = p.state == "proposed"
        if proposed:
            label = select.replace("\0", names[p.mentor_city_id]).replace("\1", names[p.mentee_city_id])
            check = _SELECT % (p.id, p.id, label)
            approve = _APPROVE % (approve_url(p.id), csrf, p.version, approve_end)
        else:
            check = approve = _NONE
        state = states.get(p.state) or _TAG % (p.state, state_label(p.state))
        out.append(_ROW % (check, facts[p.mentor_city_id], facts[p.mentee_city_id], explanations[p.id].text,
                           areas_html[areas], score_text(p.score), state, manual if p.manual else _NONE,
                           proposal_url(p.id), open_label, approve))
    return out
