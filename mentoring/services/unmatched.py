"""Why a mentee is left without a mentor, in the reader's language.

The engine stores each unmatched mentee with a reason code, an English sentence (``detail``, the audit
record) and the facts behind it (``facts``: the rule, the number of candidate mentors, the caps and
floors; see ``matching.Unmatched``). Pages write the sentence again here from the code and the facts, so a
French or Spanish page never shows the English one. Rounds stored before the engine recorded its facts
show the reason alone outside English.
"""
from __future__ import annotations

from flask_babel import format_decimal, format_number, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import City, MatchRound, Proposal
from mentoring.services.geography import REGION_LABELS, country_name, language_name
from mentoring.services.proposals import LIVE_STATES

__all__ = ["describe", "reason_label", "unmatched_mentees", "unmatched_reasons", "with_cities"]


def reason_label(code: str) -> str:
    """The short reason of a code (engine reasons and the decisions that put a mentee back)."""
    labels = {
        "no_eligible_mentor": _("No eligible mentor under the round's rules"),
        "capacity": _("Eligible mentors' places went to other mentees"),
        "rule_max_per_country": _("The round's cap on mentees per country is reached"),
        "rule_max_per_mentor_country": _("Its mentors' cap on mentees per country is reached"),
        "rejected": _("Proposal rejected"),
        "declined": _("Proposal declined by a city"),
        "expired": _("Proposal expired without an answer"),
    }
    return labels.get(code, code)


def _languages(codes, locale: str) -> str:
    from babel.lists import format_list

    names = [language_name(code, locale) for code in codes]
    if locale in ("fr", "es"):  # language names are lower case inside a French or Spanish sentence
        names = [name[:1].lower() + name[1:] for name in names]
    return format_list(names, locale=locale) if names else ""


def _ineligible(facts: dict, mentee: str, locale: str) -> str:
    rule = facts.get("rule")
    if rule == "no_need":
        return _("%(mentee)s states no need in any area, so no mentor can be proposed.", mentee=mentee)
    if rule == "needs":
        return _("No mentor in this round teaches (at level 3 or 4, in an area it offers to mentor) an area "
                 "where %(mentee)s needs to progress.", mentee=mentee)
    if rule == "language":
        if not facts.get("languages"):
            return _("%(mentee)s gives no working language, and a shared language is required.", mentee=mentee)
        return _("No mentor who could help %(mentee)s shares one of its working languages (%(languages)s); "
                 "a shared language is required.", mentee=mentee, languages=_languages(facts["languages"], locale))
    if rule == "country":
        return _("The only mentors who could help %(mentee)s are in the same country (%(country)s); "
                 "same-country pairs are not allowed.", mentee=mentee,
                 country=country_name(facts.get("country", ""), locale))
    if rule == "exclusion":
        return _("The only mentors who could help %(mentee)s are excluded for it (exclude list or previous "
                 "pairs).", mentee=mentee)
    if rule == "commission":
        return _("The only mentors who could help %(mentee)s take part through the same commission (or none); "
                 "the round requires pairs that cross commissions.", mentee=mentee)
    if rule == "min_score":
        return _("No mentor who could help %(mentee)s reaches the minimum score of %(score)s.", mentee=mentee,
                 score=format_decimal(facts.get("min_score", 0), format="0.##"))
    return ""


def _floor(floor: dict) -> str:
    if floor.get("kind") == "priority":
        return _("at least %(share)s of the places for priority mentees",
                 share=format_percent(floor.get("share", 0)))
    region = floor.get("region", "")
    return _("at least %(pairs)s pairs for %(region)s", pairs=format_number(floor.get("pairs", 0)),
             region=str(REGION_LABELS.get(region, region)))


def _sentence(code: str, facts: dict, mentee: str, locale: str) -> str:
    if code == "no_eligible_mentor":
        return _ineligible(facts, mentee, locale)
    num = int(facts.get("candidates", 0))
    country = country_name(facts.get("country", ""), locale)
    if code == "rule_max_per_country":
        limit = int(facts.get("max_per_country", 0))
        return ngettext(
            "The round's limit of %(num)d mentee per country was reached for its country (%(country)s).",
            "The round's limit of %(num)d mentees per country was reached for its country (%(country)s).",
            limit, country=country)
    if code == "rule_max_per_mentor_country":
        limit = int(facts.get("max_per_mentor_country", 0))
        return ngettext(
            "The mentors who could still take a mentee already have %(num)d mentee of its country "
            "(%(country)s), the most the round allows per mentor.",
            "The mentors who could still take a mentee already have %(num)d mentees of its country "
            "(%(country)s), the most the round allows per mentor.",
            limit, country=country)
    if code == "capacity":
        text = ngettext(
            "%(num)s mentor could help %(mentee)s, but its places go to other mentees in the best round "
            "under the chosen objective.",
            "%(num)s mentors could help %(mentee)s, but their places go to other mentees in the best round "
            "under the chosen objective.", num, mentee=mentee)
        floors = [_floor(f) for f in facts.get("floors") or []]
        if floors:
            text += " " + _("Some places are reserved by the programme's floors (%(floors)s).",
                            floors="; ".join(floors))
        return text
    return ""


def describe(items: list[dict]) -> list[dict]:
    """``items`` from :func:`unmatched_mentees` with ``label`` (the reason), ``text`` (the sentence
    in the current language, or the person's own words for a rejection or a refusal) and ``country`` (the
    mentee's country name)."""
    locale = str(get_locale() or "en")
    out = []
    for item in items:
        code, facts = item.get("reason", ""), item.get("facts") or {}
        if code in ("rejected", "declined"):
            text = item.get("detail", "")  # what the coordinator or the city wrote, as written
        elif facts:
            text = _sentence(code, facts, item["city"].name, locale)
        else:  # stored before the engine recorded its facts: the English record only in English
            text = item.get("detail", "") if locale == "en" else ""
        out.append({**item, "label": reason_label(code), "text": text,
                    "country": country_name(item["city"].country, locale)})
    return out


def unmatched_reasons(round_: MatchRound) -> list[tuple[int, dict]]:
    """``(mentee city id, reason)`` of the round's mentees without a live pair, by city name.

    From the engine (no eligible mentor, capacity) and from decisions (rejected, declined, expired).
    Ids and reasons only (the names are read for the order): the round page keeps this list for the
    round's state and loads the cities of the rows it shows.
    """
    live = set(db.session.scalars(
        select(Proposal.mentee_city_id).where(Proposal.round_id == round_.id, Proposal.state.in_(LIVE_STATES))
    ))
    reasons: dict[int, dict] = {}
    for item in round_.unmatched or []:
        reasons[int(item["mentee"])] = {
            "reason": item["reason"],
            "detail": item.get("detail", ""),
            "facts": item.get("facts") or {},
        }
    for state, mentee_id, decision_reason, decline_reason in db.session.execute(
        select(Proposal.state, Proposal.mentee_city_id, Proposal.decision_reason, Proposal.decline_reason)
        .where(Proposal.round_id == round_.id, Proposal.state.in_(("rejected", "declined", "expired")))
        .order_by(Proposal.updated_at)
    ):
        if state == "expired":
            reasons[mentee_id] = {"reason": "expired", "detail": ""}
        elif state == "rejected":
            reasons[mentee_id] = {"reason": "rejected", "detail": decision_reason or ""}
        else:
            reasons[mentee_id] = {"reason": "declined", "detail": decline_reason or ""}
    ids = [city_id for city_id in reasons if city_id not in live]
    names = {city_id: name for city_id, name in db.session.execute(
        select(City.id, City.name).where(City.id.in_(ids)))} if ids else {}
    return sorted(((city_id, reasons[city_id]) for city_id in ids if city_id in names),
                  key=lambda item: (names[item[0]], item[0]))


def with_cities(reasons: list[tuple[int, dict]], cities: dict[int, City] | None = None) -> list[dict]:
    """``reasons`` (from :func:`unmatched_reasons`) as items with their ``city``: from ``cities`` when
    the caller has loaded them already, else in one query."""
    if cities is None:
        ids = [city_id for city_id, _reason in reasons]
        cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(ids)))} if ids else {}
    return [{"city": cities[city_id], **reason} for city_id, reason in reasons if city_id in cities]


def unmatched_mentees(round_: MatchRound) -> list[dict]:
    """Mentees of the round without a live pair, each with its ``city`` and the reason they are unmatched."""
    return with_cities(unmatched_reasons(round_))
