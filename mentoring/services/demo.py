"""The demonstration programme: about 60 real cities with illustrative profiles, and demo accounts.

Names, countries, coordinates, populations and time zones are real (GeoNames, through
:mod:`mentoring.services.geography`); languages follow each country's languages in GeoNames. The
capability levels, needs, texts and commission memberships are *illustrative* — generated with a fixed
seed per city, so every run gives the same programme — and every demo city is marked ``is_demo``.

Demo accounts share one documented password (:data:`DEMO_PASSWORD`). They are refused unless the
``DEMO`` setting is true (``make run`` writes ``DEMO = True`` into ``instance/config.py``) or the
caller forces it, so a production database never receives known passwords by accident.

Loading is idempotent: cities are matched on name and country, accounts on e-mail; what exists is
left as it is. :func:`load_demo` returns a :class:`DemoSummary` — the hook for later steps
(e.g. a demo matching round) to build on.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    City,
    CityCommission,
    CityLanguage,
    CityMember,
    Commission,
    MatchRound,
    Proposal,
    User,
    utcnow,
)
from mentoring.models.cities import MIN_MENTOR_LEVEL
from mentoring.security import hash_password
from mentoring.services import ServiceError, geography
from mentoring.services.audit import record
from mentoring.services.demo_data import (
    DEMO_CITIES,
    DEMO_DOMAIN,
    DEMO_HISTORY,
    DEMO_PASSWORD,
    DEMO_USERS,
    EARLY_PRACTICES,
    LESS_ENGLISH,
    NEEDS,
    PENDING,
    PORTUGUESE_AREAS,
    PRACTICES,
    TEXT_LANGUAGES,
)
from mentoring.services.taxonomy import active_areas

__all__ = ["DEMO_DOMAIN", "DEMO_PASSWORD", "DEMO_CITIES", "DemoSummary", "demo_logins", "format_logins",
           "load_demo"]


@dataclass
class DemoSummary:
    """What :func:`load_demo` did; ``city_ids`` maps ``(name, country)`` to the id of each demo city."""

    skipped: str | None = None
    cities_created: int = 0
    cities_existing: int = 0
    users_created: int = 0
    users_existing: int = 0
    assessments: int = 0
    mentor_cities: int = 0
    regions: set[str] = field(default_factory=set)
    city_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    round_id: int | None = None
    round_note: str = ""
    proposals: int = 0
    approved: list[str] = field(default_factory=list)
    endorsed: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.skipped:
            return self.skipped
        text = (
            f"Demo cities: {self.cities_created} created, {self.cities_existing} already there "
            f"({self.mentor_cities} potential mentors, {len(self.regions)} regions, {self.assessments} assessments). "
            f"Demo accounts: {self.users_created} created, {self.users_existing} already there."
        )
        if self.round_id is not None:
            text += (f"\nDemo matching round {self.round_id} ({DEMO_ROUND_NAME!r}), run by the demo coordinator: "
                     f"{self.proposals} proposals; approved: {', '.join(self.approved) or 'none'}; "
                     f"endorsed by both cities (mentorship started): {', '.join(self.endorsed) or 'none'}.")
        elif self.round_note:
            text += "\n" + self.round_note
        if self.history:
            text += (f"\nDemo history: {len(DEMO_HISTORY)} finished rounds, {len(self.history)} closed mentorships "
                     f"with outcomes ({', '.join(self.history)}).")
        return text


def load_demo(*, if_empty: bool = False, force: bool = False) -> DemoSummary:
    """Create the demo cities and accounts that do not exist yet; flushes, the caller commits.

    ``if_empty``: do nothing when any city exists. Refused (``ServiceError``) when the ``DEMO`` setting
    is off, unless ``force``.
    """
    if if_empty and db.session.scalar(select(City.id).limit(1)) is not None:
        return DemoSummary(skipped="Cities exist already: the demo programme was not loaded.")
    if not current_app.config.get("DEMO") and not force:
        raise ServiceError(_("The DEMO setting is off: demo accounts have a published password and must not "
                             "reach a real database. Set DEMO = True (development) or use --force."))
    areas = active_areas()
    if not areas:
        raise ServiceError(_("Load the taxonomy first (flask taxonomy load)."))
    commissions = {c.key: c for c in db.session.scalars(select(Commission))}
    summary = DemoSummary()
    existing = {
        (c.name.casefold(), c.country): c
        for c in db.session.scalars(
            select(City).where(City.country.in_({country for _, country, _, _ in DEMO_CITIES}))
        )
    }
    now = utcnow()
    for name, country, mentor, languages in DEMO_CITIES:
        city = existing.get((name.casefold(), country))
        if city is not None:
            summary.cities_existing += 1
        else:
            city = _create_city(name, country, mentor, languages, areas, commissions, now)
            summary.cities_created += 1
            summary.assessments += len(areas)
        summary.city_ids[(name, country)] = city.id
        summary.regions.add(city.region)
        summary.mentor_cities += int(city.mentor_capacity > 0)
    # Two large cities of one name in one country, so that the directory shows how they are told apart.
    for geonames_id, mentor in DEMO_HOMONYMS:
        place = geography.city_by_geonames_id(geonames_id)
        if place is None or db.session.scalar(select(City.id).where(City.geonames_id == geonames_id)):
            continue
        _create_city(place["name"], place["countrycode"], mentor, None, areas, commissions, now, place=place)
        summary.cities_created += 1
        summary.assessments += len(areas)
    _create_users(summary, now)
    _demo_round(summary)
    if summary.cities_created and summary.round_id is not None:  # a fresh demo, not a real programme
        from mentoring.services.demo_history import add_history  # it builds on this module's summary

        add_history(summary)
    record(None, "demo.load", object_type="demo", after={
        "cities_created": summary.cities_created, "users_created": summary.users_created,
        "round": summary.round_id,
    })
    db.session.flush()
    return summary


#: GeoNames ids of homonyms: Suzhou (Jiangsu) and Suzhou (Anhui).
DEMO_HOMONYMS = ((1886760, True), (1793743, False))

DEMO_ROUND_NAME = "Digital cities — demo round"
DEMO_APPROVALS = 4


def _demo_round(summary: DemoSummary) -> None:
    """A finished round on the demo cities, run with the real engine by the demo coordinator.

    Only on a database without any round (so a second load, or a real programme, gets none). The
    best proposals are approved (pairs whose cities have demo representatives first, so their
    "Proposals for my city" pages are not empty) and one is endorsed by both cities, which starts
    a mentorship. Everything goes through the same services as the pages, audited.
    """
    from mentoring.services import matchmaking
    from mentoring.services import proposals as proposal_service

    if db.session.scalar(select(MatchRound.id).limit(1)) is not None:
        summary.round_note = "A matching round exists already: no demo round added."
        return
    coordinator = db.session.scalar(select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
    commission = db.session.scalar(select(Commission).where(Commission.key == "digital_cities"))
    if coordinator is None or commission is None:
        summary.round_note = "No demo coordinator or no digital cities commission: no demo round added."
        return
    round_ = matchmaking.open_round(coordinator, name=DEMO_ROUND_NAME, commission_ids=[commission.id], seed=2026)
    matchmaking.request_run(coordinator, round_)
    round_.status, round_.started_at = "running", utcnow()
    result = matchmaking.solve(matchmaking.participants(round_), matchmaking.engine_params(round_))
    proposals = matchmaking.store_result(coordinator, round_, result)
    summary.round_id, summary.proposals = round_.id, len(proposals)

    reps: dict[int, User] = {}
    for member in db.session.scalars(
        select(CityMember).where(CityMember.role == "representative").options(selectinload(CityMember.user))
    ):
        reps.setdefault(member.city_id, member.user)

    def both_represented(p: Proposal) -> int:
        return int(p.mentor_city_id in reps) + int(p.mentee_city_id in reps)

    ordered = sorted(proposals, key=lambda p: (-both_represented(p), -p.score, p.id))
    approved: list[Proposal] = []
    for proposal in ordered:
        if len(approved) >= DEMO_APPROVALS:
            break
        try:
            with db.session.begin_nested():
                proposal_service.approve(coordinator, proposal.id, proposal.version)
        except ServiceError:
            continue
        approved.append(proposal)
    summary.approved = [f"{p.mentor_city.name} → {p.mentee_city.name}" for p in approved]
    for proposal in approved:
        if both_represented(proposal) == 2:
            proposal_service.endorse(reps[proposal.mentee_city_id], proposal.id, "mentee")
            proposal_service.endorse(reps[proposal.mentor_city_id], proposal.id, "mentor")
            summary.endorsed.append(f"{proposal.mentor_city.name} → {proposal.mentee_city.name}")
            break
    db.session.flush()


def _create_city(name, country, mentor, languages, areas, commissions, now, place=None) -> City:
    """A demo city; ``place`` (a GeoNames record) identifies it, else it is looked up by name."""
    identified = place is not None
    rng = random.Random(f"{name}|{country}|{(place or {}).get('geonameid', '')}")  # the same profile every run
    place = place or geography.find_city(name, country) or {}
    region = geography.region_for_country(country)
    codes = list(languages or _country_languages(country))
    if "en" not in codes and (region not in LESS_ENGLISH or rng.random() < 0.4):
        codes.append("en")
    city = City(
        name=name,
        country=country,
        subdivision=geography.subdivision_of(place) if place else "",
        geonames_id=place.get("geonameid") if identified else None,
        region=region,
        population=place.get("population"),
        latitude=place.get("latitude"),
        longitude=place.get("longitude"),
        timezone=place.get("timezone") or geography.country_timezone(country),
        status="pending" if (name, country) in PENDING else "verified",
        verified_at=None if (name, country) in PENDING else now,
        mentor_capacity=rng.randint(1, 3) if mentor else 0,
        wants_mentor=(not mentor) or rng.random() < 0.25,
        is_demo=True,
    )
    city.languages = [CityLanguage(code=code, position=i) for i, code in enumerate(codes)]
    keys = ["digital_cities"] + [k for k, p in (("strategic_planning", 0.4), ("urban_mobility", 0.3))
                                 if rng.random() < p]
    city.commissions = [CityCommission(commission=commissions[k]) for k in keys if k in commissions]
    db.session.add(city)
    db.session.flush()

    levels = _levels(rng, [a.key for a in areas], mentor)
    for area in areas:
        maturity, need, can_mentor = levels[area.key]
        db.session.add(Assessment(city_id=city.id, area_id=area.id, maturity=maturity, need=need,
                                  can_mentor=can_mentor, is_current=True, assessed_at=now))
    language = next((code for code in codes if code in TEXT_LANGUAGES), "en")
    strengths = sorted(areas, key=lambda a: (-levels[a.key][0], a.position))[:2]
    wants = sorted(areas, key=lambda a: (-levels[a.key][1], levels[a.key][0], a.position))[:2]
    template = PRACTICES if mentor else EARLY_PRACTICES
    city.practices = template[language].format(city=name, a=area_name(strengths[0], language),
                                               b=area_name(strengths[1], language))
    city.needs = NEEDS[language].format(city=name, a=area_name(wants[0], language), b=area_name(wants[1], language))
    return city


def _levels(rng: random.Random, keys: list[str], mentor: bool) -> dict[str, tuple[int, int, bool]]:
    """Illustrative (maturity, need, can_mentor) per area: mentors have a few real strengths."""
    levels = {}
    if mentor:
        strong = set(rng.sample(keys, rng.randint(3, 5)))
        good = set(rng.sample([k for k in keys if k not in strong], rng.randint(3, 5)))
        for key in keys:
            if key in strong:
                maturity = rng.choice((3, 4, 4))
            elif key in good:
                maturity = 3
            else:
                maturity = rng.choice((1, 2, 2, 3))
            can_mentor = maturity >= MIN_MENTOR_LEVEL and (key in strong or rng.random() < 0.3)
            need = 0 if maturity >= 3 else rng.choice((0, 1, 1, 2))
            levels[key] = (maturity, need, can_mentor)
    else:
        better = set(rng.sample(keys, rng.randint(1, 3)))
        for key in keys:
            maturity = rng.choice((2, 3)) if key in better else rng.choice((0, 1, 1, 1, 2, 2))
            # Needs concentrate where maturity is low.
            need = {0: rng.choice((2, 3, 3)), 1: rng.choice((1, 2, 3)), 2: rng.choice((0, 1, 2))}.get(maturity, 0)
            levels[key] = (maturity, need, False)
    return levels


def area_name(area, language: str) -> str:
    if language == "pt":
        text = PORTUGUESE_AREAS.get(area.key, area.labels.get("en", area.key))
    else:
        text = area.labels.get(language) or area.labels.get("en") or area.key
    return text[:1].lower() + text[1:]


def _country_languages(country: str) -> list[str]:
    """The ISO 639-1 code of the country's main GeoNames language ("fr-FR,frp,br" → ["fr"])."""
    info = geography._geonames().get_countries().get(country, {})
    codes = []
    for item in (info.get("languages") or "").split(","):
        code = item.split("-")[0].strip().lower()
        if len(code) == 2 and geography.is_language(code) and code not in codes:
            codes.append(code)
    return codes[:1] or ["en"]


def _create_users(summary: DemoSummary, now) -> None:
    emails = [f"{local}@{DEMO_DOMAIN}" for local, *_ in DEMO_USERS]
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    password_hash = None  # argon2 is slow on purpose: hash the shared password once, only if needed
    cities = {name: summary.city_ids.get((name, country)) for name, country, _, _ in DEMO_CITIES}
    for local, name, role, city_name, city_role in DEMO_USERS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = existing.get(email)
        if user is not None:
            summary.users_existing += 1
        else:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(email=email, name=name, password_hash=password_hash, role=role,
                        email_confirmed_at=now)
            db.session.add(user)
            db.session.flush()
            summary.users_created += 1
        city_id = cities.get(city_name) if city_name else None
        if city_id is not None and db.session.get(CityMember, (city_id, user.id)) is None:
            db.session.add(CityMember(city_id=city_id, user_id=user.id, role=city_role))
    db.session.flush()


def demo_logins() -> list[dict]:
    """The demo accounts present in the database, with the shared password, role and city."""
    users = db.session.scalars(
        select(User)
        .where(func.lower(User.email).like(f"%@{DEMO_DOMAIN}"))
        .options(selectinload(User.memberships).selectinload(CityMember.city))
        .order_by(User.id)
    )
    rows = []
    for user in users:
        membership = user.memberships[0] if user.memberships else None
        rows.append({
            "email": user.email,
            "password": DEMO_PASSWORD,
            "role": user.role or (membership.role if membership else "—"),
            "city": membership.city.name if membership else "—",
        })
    return rows


def format_logins(rows: list[dict]) -> str:
    """A plain-text table of :func:`demo_logins` for the terminal."""
    if not rows:
        return "No demo accounts in this database (run: flask demo load)."
    headers = {"email": "E-mail", "password": "Password", "role": "Role", "city": "City"}
    widths = {k: max(len(headers[k]), *(len(str(r[k])) for r in rows)) for k in headers}
    lines = ["Demo logins (development only):",
             "  ".join(headers[k].ljust(widths[k]) for k in headers),
             "  ".join("-" * widths[k] for k in headers)]
    lines += ["  ".join(str(r[k]).ljust(widths[k]) for k in headers) for r in rows]
    return "\n".join(lines)
