"""The programme's rules in the reader's language: when a rule decided a pair or left a mentee out.

A round may set rules the plain matching cannot express (issue 10; ``matching.MatchParams``):
at most N mentees of one country, at most k mentees of one country per mentor city, a floor of
places for priority mentees, a minimum of pairs per region, pairs across commissions rewarded or
required. When a rule decided a pair, :func:`mentoring.services.matchmaking.store_result` keeps its
code with the data a sentence needs (``Proposal.rules``); the pages render the sentence here, when
they are shown, so it follows the reader's language. Every sentence is keyed by its code in one
mapping, :data:`SENTENCES`. Why a mentee is left *without* a mentor (a rule's doing or not) is
written by :mod:`mentoring.services.unmatched` from the engine's facts.
"""
from __future__ import annotations

from flask import g, has_request_context
from flask_babel import format_percent, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.i18n import localized
from mentoring.models import CityCommission, Commission
from mentoring.services.geography import REGION_LABELS, country_name
from mentoring.services.income import is_less_favoured

__all__ = ["RULE_PARAMS", "SENTENCES", "reason_text", "pair_sentences", "rules_summary", "conflict_message",
           "pair_rules", "commissions_of", "priority", "LESS_FAVOURED_PRIORITY"]

# The round parameters of the rules (stored in MatchRound.params, edited on the round form).
RULE_PARAMS = ("max_per_country", "max_per_mentor_country", "priority_floor", "min_per_region",
               "cross_commission", "cross_commission_bonus")


def _country(code) -> str:
    return country_name(str(code or ""), str(get_locale() or "en")) or str(code or "")


def _region(key) -> str:
    return str(REGION_LABELS.get(key, key or _("cities without a region")))


def _share(value) -> str:
    return format_percent(float(value or 0))


def _commission(key) -> str:
    """A commission's label in the reader's language (the table is loaded once per request)."""
    labels = g.get("_commission_labels") if has_request_context() else None
    if labels is None:
        labels = {c.key: c.labels for c in db.session.scalars(select(Commission))}
        if has_request_context():
            g._commission_labels = labels
    return localized(labels.get(key), str(key or "").replace("_", " "))


# code -> function(data) -> sentence in the current language (None: no rule decided).
SENTENCES = {
    # Why a pair is what it is.
    "cross_commission": lambda d: (
        _("The pair crosses commissions (%(mentor)s and %(mentee)s), as this round requires.",
          mentor=_commission(d.get("mentor_commission")), mentee=_commission(d.get("mentee_commission")))
        if d.get("mode") == "required" else
        _("The pair crosses commissions (%(mentor)s and %(mentee)s), which this round rewards.",
          mentor=_commission(d.get("mentor_commission")), mentee=_commission(d.get("mentee_commission")))),
    "priority_floor": lambda d: _(
        "It counts toward the places the round reserves for priority mentees (at least %(share)s).",
        share=_share(d.get("share"))),
    "min_per_region": lambda d: ngettext(
        "It counts toward the round's minimum of %(num)d pair in %(region)s.",
        "It counts toward the round's minimum of %(num)d pairs in %(region)s.",
        int(d.get("min") or 0), region=_region(d.get("region"))),
    "max_per_country": lambda d: ngettext(
        "The mentee's country (%(country)s) reached the round's limit of %(num)d mentee per country.",
        "The mentee's country (%(country)s) reached the round's limit of %(num)d mentees per country.",
        int(d.get("limit") or 0), country=_country(d.get("country"))),
}


def reason_text(code: str, data: dict | None = None) -> str | None:
    """The sentence saying how rule ``code`` decided, in the current language; None for other codes."""
    sentence = SENTENCES.get(code)
    return sentence(data or {}) if sentence else None


def pair_sentences(rules) -> list[str]:
    """The sentences of the rules stored with a pair (``Proposal.rules``), in order."""
    out = []
    for item in rules or []:
        if isinstance(item, dict):
            text = reason_text(item.get("code", ""), item)
            if text:
                out.append(text)
    return out


def rules_summary(params: dict | None) -> list[str]:
    """The round's active rules, one short line each (the round page's parameters)."""
    p = params or {}
    out = []
    if p.get("max_per_country"):
        out.append(ngettext("At most %(num)d mentee from one country", "At most %(num)d mentees from one country",
                            int(p["max_per_country"])))
    if p.get("max_per_mentor_country"):
        out.append(ngettext("At most %(num)d mentee of one country per mentor city",
                            "At most %(num)d mentees of one country per mentor city",
                            int(p["max_per_mentor_country"])))
    if p.get("priority_floor"):
        out.append(_("At least %(share)s of matched places for priority mentees", share=_share(p["priority_floor"])))
    if p.get("min_per_region"):
        out.append(ngettext("At least %(num)d pair per region", "At least %(num)d pairs per region",
                            int(p["min_per_region"])))
    if p.get("cross_commission") == "bonus":
        out.append(_("Pairs across commissions rewarded (+%(bonus)s)",
                     bonus=f"{float(p.get('cross_commission_bonus') or 0):g}"))
    elif p.get("cross_commission") == "required":
        out.append(_("Only pairs across commissions"))
    return out


_RULE_NAMES = {
    "max_per_country": lambda: _("the limit of mentees per country"),
    "min_per_region": lambda: _("the minimum of pairs per region"),
    "priority_floor": lambda: _("the places reserved for priority mentees"),
}


def conflict_message(rule: str, other_rule: str, group: tuple, other: tuple) -> str:
    """Why two rules cannot be combined on this round's mentees (the engine's ``RulesConflict``)."""
    def name(grp):
        if grp[0] == "country":
            return _country(grp[1])
        if grp[0] == "region":
            return _region(grp[1])
        return _("the priority mentees")

    return _("This rule cannot be combined with %(other)s in this round: %(a)s and %(b)s overlap and neither "
             "contains the other. Keep one of the two rules.",
             other=_RULE_NAMES.get(other_rule, lambda: other_rule)(), a=name(group), b=name(other))


# --- The data the rules need (matchmaking.participants) -----------------------------------------

# The engine counts a mentee as a priority mentee when its priority is above 1 (and its pairs'
# scores weigh that much more). With a priority floor, less-favoured countries' cities get at least this.
LESS_FAVOURED_PRIORITY = 1.1


def priority(city, floor: bool) -> float:
    """A city's engine priority: its own, raised for a less-favoured country when the round has a floor."""
    weight = float(city.priority or 1.0)
    if floor and is_less_favoured(city.country):
        return max(weight, LESS_FAVOURED_PRIORITY)
    return weight


def commissions_of(commission_ids, city_ids) -> dict[int, str]:
    """The commission (key) each city takes part through: its first of the round's commissions."""
    ids = list(commission_ids or [])
    if not ids or not city_ids:
        return {}
    rows = db.session.execute(
        select(CityCommission.city_id, Commission.id, Commission.key)
        .join(Commission, Commission.id == CityCommission.commission_id)
        .where(CityCommission.commission_id.in_(ids), CityCommission.city_id.in_(list(city_ids)))
    ).all()
    out: dict[int, str] = {}
    for city_id, _id, key in sorted(rows, key=lambda row: ids.index(row[1])):
        out.setdefault(city_id, key)
    return out


# --- What is stored (by matchmaking.store_result) ----------------------------------------------

def pair_rules(codes, params: dict, mentor, mentee, commission_of: dict) -> list[dict]:
    """The engine's rule codes of a pair (``matching.Pair.rules``) with the data of their sentences."""
    out = []
    for code in codes or ():
        item = {"code": code}
        if code == "cross_commission":
            item.update(mode=params.get("cross_commission"),
                        mentor_commission=commission_of.get(getattr(mentor, "id", None), ""),
                        mentee_commission=commission_of.get(getattr(mentee, "id", None), ""))
        elif code == "priority_floor":
            item["share"] = params.get("priority_floor")
        elif code == "min_per_region":
            item.update(min=params.get("min_per_region"), region=getattr(mentee, "region", None))
        elif code == "max_per_country":
            item.update(limit=params.get("max_per_country"), country=getattr(mentee, "country", None))
        out.append(item)
    return out
