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
from datetime import UTC

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
from mentoring.services.taxonomy import active_areas

__all__ = ["DEMO_DOMAIN", "DEMO_PASSWORD", "DEMO_CITIES", "DemoSummary", "demo_logins", "format_logins",
           "load_demo"]

DEMO_PASSWORD = "demo-password-2026"  # development only; documented in the README
# .example is reserved (RFC 2606): mail can never reach anyone. Not .test: the e-mail validator of the
# sign-in form (email_validator) refuses .test as a "special-use" name, so .test accounts could not sign in.
DEMO_DOMAIN = "demo.mentoring.example"

# (name, country, mentor city?, languages when the country's GeoNames list would be misleading)
DEMO_CITIES: tuple[tuple[str, str, bool, tuple[str, ...] | None], ...] = (
    # Africa
    ("Dakar", "SN", False, ("fr", "wo")),
    ("Abidjan", "CI", False, None),
    ("Nairobi", "KE", False, ("en", "sw")),
    ("Kigali", "RW", True, ("rw", "en", "fr")),
    ("Cape Town", "ZA", True, ("en", "af", "xh")),
    ("Accra", "GH", False, None),
    ("Addis Ababa", "ET", False, ("am", "en")),
    ("Rabat", "MA", False, ("ar", "fr")),
    ("Tunis", "TN", False, ("ar", "fr")),
    ("Maputo", "MZ", False, None),
    ("Praia", "CV", False, None),
    # Asia-Pacific
    ("Seoul", "KR", True, ("ko", "en")),
    ("Jakarta", "ID", False, ("id", "en")),
    ("Surabaya", "ID", False, ("id", "jv")),
    ("Bangkok", "TH", False, None),
    ("Pune", "IN", False, ("mr", "hi", "en")),
    ("Kathmandu", "NP", False, None),
    ("Melbourne", "AU", True, None),
    ("Kaohsiung", "TW", True, ("zh", "en")),
    ("Davao", "PH", False, ("tl", "en")),
    # Eurasia
    ("Kazan", "RU", True, ("ru", "tt")),
    ("Almaty", "KZ", False, ("kk", "ru")),
    ("Tbilisi", "GE", False, ("ka", "en")),
    ("Yerevan", "AM", False, ("hy", "ru")),
    ("Bishkek", "KG", False, ("ky", "ru")),
    ("Baku", "AZ", False, None),
    ("Tashkent", "UZ", False, ("uz", "ru")),
    # Europe
    ("Lyon", "FR", True, None),
    ("Barcelona", "ES", True, ("ca", "es", "en")),
    ("Lisbon", "PT", True, None),
    ("Bordeaux", "FR", False, None),
    ("Ghent", "BE", True, ("nl", "fr", "en")),
    ("Bologna", "IT", False, None),
    ("Tallinn", "EE", True, ("et", "en", "ru")),
    ("Porto", "PT", False, None),
    ("Rotterdam", "NL", True, None),
    # Latin America
    ("Medellín", "CO", True, None),
    ("Montevideo", "UY", True, None),
    ("Mexico City", "MX", True, None),
    ("Curitiba", "BR", True, ("pt", "es")),
    ("Recife", "BR", False, ("pt",)),
    ("Quito", "EC", False, None),
    ("Rosario", "AR", False, None),
    ("Lima", "PE", False, None),
    ("San José", "CR", False, None),
    # Middle East & West Asia
    ("Istanbul", "TR", True, None),
    ("Amman", "JO", False, None),
    ("Beirut", "LB", False, ("ar", "fr", "en")),
    ("Dubai", "AE", True, ("ar", "en")),
    ("Ramallah", "PS", False, None),
    ("Gaziantep", "TR", False, None),
    ("Muscat", "OM", False, None),
    # North America
    ("Montréal", "CA", True, ("fr", "en")),
    ("Toronto", "CA", True, ("en", "fr")),
    ("Boston", "US", True, ("en", "es")),
    ("New York City", "US", False, ("en", "es")),
    ("Seattle", "US", False, None),
    ("Vancouver", "CA", False, ("en", "fr")),
    ("Québec", "CA", False, ("fr", "en")),
    ("Austin", "US", False, ("en", "es")),
)
# New cities waiting for a coordinator, so the verification queue has something to show.
PENDING = {("Ramallah", "PS"), ("Praia", "CV"), ("Bishkek", "KG")}
# Regions whose cities rarely work in English in international programmes (English added less often).
LESS_ENGLISH = {"latin_america"}

# (e-mail local part, display name, global role, city name or None, role in the city)
DEMO_USERS: tuple[tuple[str, str, str | None, str | None, str | None], ...] = (
    ("admin", "Ada Admin (demo)", "admin", None, None),
    ("coordinator", "Cora Coordinator (demo)", "coordinator", None, None),
    ("rep.lyon", "Lyon representative (demo)", None, "Lyon", "representative"),
    ("rep.dakar", "Dakar representative (demo)", None, "Dakar", "representative"),
    ("rep.medellin", "Medellín representative (demo)", None, "Medellín", "representative"),
    ("rep.montevideo", "Montevideo representative (demo)", None, "Montevideo", "representative"),
    ("rep.seoul", "Seoul representative (demo)", None, "Seoul", "representative"),
    ("rep.kigali", "Kigali representative (demo)", None, "Kigali", "representative"),
    ("rep.amman", "Amman representative (demo)", None, "Amman", "representative"),
    ("rep.tbilisi", "Tbilisi representative (demo)", None, "Tbilisi", "representative"),
    ("rep.montreal", "Montréal representative (demo)", None, "Montréal", "representative"),
    ("rep.praia", "Praia representative (demo)", None, "Praia", "representative"),
    ("mentor.lyon", "Lyon mentor (demo)", None, "Lyon", "mentor"),
    ("mentor.seoul", "Seoul mentor (demo)", None, "Seoul", "mentor"),
    ("mentor.medellin", "Medellín mentor (demo)", None, "Medellín", "mentor"),
    ("mentor.barcelona", "Barcelona mentor (demo)", None, "Barcelona", "mentor"),
)

TEXT_LANGUAGES = ("en", "fr", "es", "pt")
# The taxonomy file has en/fr/es labels; Portuguese-speaking demo cities need their own.
PORTUGUESE_AREAS = {
    "digital_strategy": "estratégia digital e agenda digital local",
    "open_data": "dados abertos e transparência",
    "e_participation": "participação cidadã e democracia eletrónica",
    "data_governance": "governação de dados e interoperabilidade",
    "govtech_procurement": "contratação pública de inovação e GovTech",
    "online_services": "serviços públicos online e balcão único",
    "digital_identity": "identidade digital e assinatura eletrónica",
    "digital_inclusion": "inclusão e literacia digital",
    "accessibility": "serviços acessíveis e multilingues",
    "broadband": "banda larga e conectividade pública",
    "cybersecurity": "cibersegurança e privacidade",
    "iot_platforms": "sensores, IoT e plataformas de dados urbanos",
    "municipal_it": "informática municipal, nuvem e serviços partilhados",
    "innovation_ecosystem": "ecossistema de inovação e laboratórios vivos",
    "digital_skills": "competências digitais e formação contínua",
    "local_business": "apoio digital ao comércio local e ao turismo",
    "mobility_data": "dados de mobilidade e sistemas inteligentes de transporte",
    "public_transport": "transporte público digital",
    "shared_mobility": "mobilidade partilhada e ativa",
    "energy": "eficiência energética e redes inteligentes",
    "environment_monitoring": "monitorização ambiental e ação climática",
    "waste_water": "gestão de resíduos e de água",
    "health_social": "saúde digital e serviços sociais",
    "public_safety": "segurança pública e gestão de emergências",
    "urban_planning": "planeamento urbano, SIG e gémeos digitais",
}
PRACTICES = {
    "en": ("{city} is known for its work on {a} and {b}. Our teams can share tools, tender documents and "
           "lessons learned, and host study visits."),
    "fr": ("{city} est reconnue pour son action en matière de {a} et de {b}. Nos équipes peuvent partager "
           "outils, cahiers des charges et retours d'expérience, et accueillir des visites d'étude."),
    "es": ("{city} es reconocida por su trabajo en {a} y {b}. Nuestros equipos pueden compartir herramientas, "
           "pliegos y lecciones aprendidas, y recibir visitas de estudio."),
    "pt": ("{city} é reconhecida pelo seu trabalho em {a} e {b}. As nossas equipas podem partilhar "
           "ferramentas, cadernos de encargos e lições aprendidas, e receber visitas de estudo."),
}
EARLY_PRACTICES = {
    "en": "{city} has started work on {a}: a first pilot runs in two districts.",
    "fr": "{city} a engagé un premier projet en matière de {a}, expérimenté dans deux quartiers.",
    "es": "{city} ha iniciado un primer proyecto de {a}, en prueba en dos barrios.",
    "pt": "{city} iniciou um primeiro projeto de {a}, em teste em dois bairros.",
}
NEEDS = {
    "en": "We are looking for a partner city to help us with {a} and {b}: a short diagnostic, then a roadmap.",
    "fr": "Nous cherchons une ville partenaire pour nous accompagner en matière de {a} et de {b} : "
          "un diagnostic rapide, puis une feuille de route.",
    "es": "Buscamos una ciudad socia que nos acompañe en {a} y {b}: un diagnóstico breve y luego una hoja "
          "de ruta.",
    "pt": "Procuramos uma cidade parceira que nos apoie em {a} e {b}: um diagnóstico breve e depois um roteiro.",
}


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
        _demo_history(summary)
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
    city.practices = template[language].format(city=name, a=_label(strengths[0], language),
                                               b=_label(strengths[1], language))
    city.needs = NEEDS[language].format(city=name, a=_label(wants[0], language), b=_label(wants[1], language))
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


def _label(area, language: str) -> str:
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


# --- Demo history: two finished rounds and a dozen closed mentorships with outcomes -------------------

# (round name, created on, [(mentor, mentee, state)]); "withdrawn" pairs carry DEMO_WITHDRAW_REASON.
DEMO_HISTORY: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Digital cities — spring 2025 round", "2025-02-03", (
        ("Barcelona", "Dakar", "completed"), ("Seoul", "Jakarta", "completed"),
        ("Medellín", "Quito", "completed"), ("Lyon", "Tunis", "completed"),
        ("Kigali", "Addis Ababa", "completed"), ("Tallinn", "Tbilisi", "withdrawn"),
    )),
    ("Digital cities — autumn 2025 round", "2025-09-08", (
        ("Montevideo", "Rosario", "completed"), ("Cape Town", "Nairobi", "completed"),
        ("Rotterdam", "Nairobi", "completed"), ("Curitiba", "Recife", "completed"),
        ("Mexico City", "Medellín", "completed"), ("Kazan", "Almaty", "withdrawn"),
    )),
)
DEMO_WITHDRAW_REASON = "The mentee city's digital team changed after local elections; both cities agreed to stop."
DEMO_MEMBERS_SINCE = "2025-01-06"  # most demo cities joined then; a few joined in 2026 (the study's growth)
DEMO_NOTE = """# {mentee} learns {area} from {mentor}

## What we worked on

{mentee} wanted to move from first pilots to a city-wide approach to {area}. {mentor} shared its roadmap, \
tender documents and the lessons of its own first years.

## What changed

- A roadmap adopted by the city council, with a budget line for the first year.
- **Two staff trained** during a study visit to {mentor}.

## Advice for other cities

Start with one service that residents use every week, and measure it before and after.
"""


def _demo_history(summary: DemoSummary) -> None:
    """Two finished rounds whose mentorships are closed, with sessions, goals, feedback, re-assessments
    and Peer-Learning Notes, so the programme pages (network, outcomes, study, library) have a history.

    Built directly on the models with fixed dates and a fixed seed: the same history on every fresh load.
    """
    from datetime import datetime, timedelta

    from mentoring.models import (
        CapabilityArea,
        Feedback,
        Goal,
        LearningNote,
        MentoringSession,
        Mentorship,
        NotePublication,
        RoundCommission,
    )

    coordinator = db.session.scalar(select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
    by_name = {name: summary.city_ids[(name, country)] for name, country, _m, _l in DEMO_CITIES}
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(by_name.values())))}
    areas = {a.id: a for a in db.session.scalars(select(CapabilityArea))}
    assessments = list(db.session.scalars(select(Assessment).where(Assessment.city_id.in_(by_name.values()))))
    levels = {(a.city_id, areas[a.area_id].key): a for a in assessments}
    rng = random.Random(2025)

    def at(day: str, hour: int = 9) -> datetime:
        return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)

    # Membership and first assessments are dated before the history (one late joiner per six cities).
    joined = at(DEMO_MEMBERS_SINCE)
    in_history = {by_name[n] for _r, _d, pairs in DEMO_HISTORY for pair in pairs for n in pair[:2]}
    late = {city_id for i, city_id in enumerate(sorted(cities)) if i % 6 == 5 and city_id not in in_history}
    for city in cities.values():
        if city.status == "verified":
            city.verified_at = at("2026-03-02") if city.id in late else joined
    for a in assessments:
        a.assessed_at = at("2026-03-02") if a.city_id in late else joined

    commission = db.session.scalar(select(Commission).where(Commission.key == "digital_cities"))
    taken: set[tuple[int, str]] = set()  # (mentee, area): one mentorship per area, so histories stay linear
    for number, (name, day, pairs) in enumerate(DEMO_HISTORY):
        created = at(day)
        round_ = MatchRound(name=name, regions=[], params={}, seed=2025 + number, status="done", progress=1.0,
                            metrics=_history_metrics(pairs, cities, by_name), unmatched=[],
                            created_by_id=coordinator.id if coordinator else None, created_at=created,
                            started_at=created, finished_at=created,
                            progress_at=created)
        if commission is not None:
            round_.commissions = [RoundCommission(commission_id=commission.id)]
        db.session.add(round_)
        db.session.flush()
        for index, (mentor_name, mentee_name, state) in enumerate(pairs):
            mentor, mentee = cities[by_name[mentor_name]], cities[by_name[mentee_name]]
            ranked = sorted(areas.values(), key=lambda a: (
                -(levels[(mentor.id, a.key)].maturity >= 3) * levels[(mentee.id, a.key)].need,
                -levels[(mentor.id, a.key)].maturity, a.position))
            focus = [a.key for a in ranked if (mentee.id, a.key) not in taken][:2]
            taken.update((mentee.id, key) for key in focus)
            decided = created + timedelta(days=4 + index)
            start = (decided + timedelta(days=10)).date()
            proposal = Proposal(round_id=round_.id, mentor_city_id=mentor.id, mentee_city_id=mentee.id, areas=focus,
                                score=round(0.9 - index * 0.04, 2), components={}, explanation="", state="endorsed",
                                decided_by_id=coordinator.id if coordinator else None, decided_at=decided,
                                mentor_endorsed_at=decided + timedelta(days=2),
                                mentee_endorsed_at=decided + timedelta(days=3), created_at=created)
            db.session.add(proposal)
            db.session.flush()
            months = 2 if state == "withdrawn" else 6 + index % 2
            closed = at((start + timedelta(days=30 * months)).isoformat(), 16)
            mentorship = Mentorship(proposal_id=proposal.id, mentor_city_id=mentor.id, mentee_city_id=mentee.id,
                                    areas=focus, start_date=start, planned_end=start + timedelta(days=365 // 2 + 30),
                                    state=state, closed_at=closed,
                                    created_by_id=coordinator.id if coordinator else None,
                                    created_at=at(start.isoformat(), 8),
                                    withdraw_reason=DEMO_WITHDRAW_REASON if state == "withdrawn" else None,
                                    outcome=None if state == "withdrawn" else
                                    f"{mentee.name} adopted a roadmap for {focus[0].replace('_', ' ')}.")
            db.session.add(mentorship)
            db.session.flush()
            # Sessions: monthly calls, one study visit; the first one week after the start.
            count = 2 if state == "withdrawn" else 5 + index % 2
            for n in range(count):
                visit = state == "completed" and n == 2
                when = at((start + timedelta(days=7 + 30 * n)).isoformat(), 13)
                db.session.add(MentoringSession(
                    mentorship_id=mentorship.id, starts_at=when, timezone="UTC",
                    duration_minutes=480 if visit else rng.choice((60, 75, 90)),
                    format="study_visit" if visit else "video", held=True, areas=focus,
                    travel=f"{mentee.name} → {mentor.name}" if visit else None,
                    notes="Progress review and next steps.", created_at=when))
            for n, key in enumerate(focus):
                achieved = state == "completed" and (n == 0 or index % 3 != 1)
                # A closed mentorship says what became of each goal (the close-out asks).
                status = "achieved" if achieved else "partly" if state == "completed" else "dropped"
                db.session.add(Goal(mentorship_id=mentorship.id, area_key=key, progress=100 if achieved else 40,
                                    statement=f"A first city-wide step in {key.replace('_', ' ')}",
                                    status=status, created_at=at(start.isoformat())))
            for city in (mentor, mentee):
                rating = 2 if state == "withdrawn" else rng.choice((4, 4, 5, 5, 3))
                db.session.add(Feedback(mentorship_id=mentorship.id, city_id=city.id, at_close=True,
                                        fit="poor" if state == "withdrawn" else "good", rating=rating,
                                        comment="", created_at=closed))
            if state == "completed":
                for key in focus:  # the mentee's re-assessment at the close (history kept)
                    current = levels[(mentee.id, key)]
                    level = min(current.maturity + 1 + (index % 2), 4)
                    current.is_current = False
                    db.session.flush()
                    levels[(mentee.id, key)] = Assessment(
                        city_id=mentee.id, area_id=current.area_id, maturity=level, need=max(current.need - 1, 0),
                        can_mentor=False, evidence=f"Re-assessed at the close of mentorship #{mentorship.id}.",
                        is_current=True, assessed_at=closed)
                    db.session.add(levels[(mentee.id, key)])
                    db.session.flush()
                area_label = _label(next(a for a in areas.values() if a.key == focus[0]), "en")
                note = LearningNote(mentorship_id=mentorship.id, published_at=closed + timedelta(days=14),
                                    markdown=DEMO_NOTE.format(mentor=mentor.name, mentee=mentee.name, area=area_label))
                db.session.add(note)
                db.session.flush()
                # Written in English; both cities agreed to make every other note public.
                agreed = index % 2 == 0
                db.session.add(NotePublication(note_id=note.id, language="en",
                                               mentor_consent_at=closed + timedelta(days=15) if agreed else None,
                                               mentee_consent_at=closed + timedelta(days=16) if agreed else None))
            summary.history.append(f"{mentor.name} → {mentee.name} ({state})")
    db.session.flush()


def _history_metrics(pairs, cities, by_name) -> dict:
    """Round metrics in the engine's shape (the round pages show them) for a demo history round."""
    mentors = {m for m, _e, _s in pairs}
    mentees = {e for _m, e, _s in pairs}
    regions = sorted({cities[by_name[e]].region for e in mentees})
    return {"objective_name": "max_coverage", "objective": float(len(pairs)), "upper_bound": float(len(pairs)),
            "certified": True, "total_score": float(len(pairs)), "n_pairs": len(pairs), "n_mentors": len(mentors),
            "n_mentees": len(mentees), "n_matched_mentees": len(mentees), "coverage": 1.0,
            "coverage_by_region": dict.fromkeys(regions, 1.0), "coverage_by_priority": {"1": 1.0},
            "mentor_load": {"mean": round(len(pairs) / len(mentors), 2), "max": 1, "n_used": len(mentors),
                            "n_full": 0, "utilisation": 1.0},
            "solve_time": 0.0, "total_time": 0.0}
