"""Seeded synthetic rounds for examples, tests and benchmarks."""

import numpy as np

from .records import Participant

__all__ = ["make_round"]

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
