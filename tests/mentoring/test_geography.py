"""Countries, regions, languages and time zones."""
from __future__ import annotations

import pycountry
import pytest

from mentoring.models.cities import REGIONS
from mentoring.services import geography


@pytest.mark.parametrize(
    "country, region",
    [("FR", "europe"), ("US", "north_america"), ("CA", "north_america"), ("MX", "latin_america"),
     ("BR", "latin_america"), ("RU", "eurasia"), ("KZ", "eurasia"), ("TR", "middle_east_west_asia"),
     ("AE", "middle_east_west_asia"), ("JP", "asia_pacific"), ("AU", "asia_pacific"), ("EG", "africa"),
     ("KE", "africa"), ("fr", "europe")],
)
def test_region_defaults_from_country(country, region):
    assert geography.region_for_country(country) == region


def test_every_iso_country_has_a_uclg_region():
    missing = [c.alpha_2 for c in pycountry.countries if geography.region_for_country(c.alpha_2) not in REGIONS]
    assert missing == []
    assert geography.region_for_country("XX") is None


def test_names_are_localised():
    assert geography.country_name("DE", "fr") == "Allemagne"
    assert geography.country_name("DE", "es") == "Alemania"
    assert geography.language_name("es", "fr") == "Espagnol"
    assert geography.is_language("pt") and not geography.is_language("xx") and not geography.is_language("por")
    assert geography.is_country("sn") and not geography.is_country("XX")


@pytest.mark.parametrize("code, names", [
    ("TW", ("Taiwan", "Taïwan", "Taiwán")), ("RU", ("Russia", "Russie", "Rusia")),
    ("KR", ("South Korea", "Corée du Sud", "Corea del Sur")), ("BO", ("Bolivia", "Bolivie", "Bolivia")),
    ("HK", ("Hong Kong", "Hong Kong", "Hong Kong")), ("US", ("United States", "États-Unis", "Estados Unidos")),
])
def test_country_names_are_the_common_short_names_in_every_language(code, names):
    assert tuple(geography.country_name(code, locale) for locale in ("en", "fr", "es")) == names
    assert all(dict(geography.country_choices(locale))[code] == name for locale, name in zip(("en", "fr", "es"), names))


def test_country_names_fall_back_and_choices_sort_accents_with_their_letter():
    assert geography.country_name("ZZ", "fr") == "ZZ" and geography.country_name("", "fr") == ""
    assert geography.country_name("XK", "fr") == "Kosovo"
    assert geography.country_name("TW", "pt_BR") == "Taiwan" and geography.country_name("TW", "xx") == "Taiwan"
    names = [name for _, name in geography.country_choices("fr")]
    assert names.index("Égypte") < names.index("Espagne") < names.index("Estonie")
    # No ISO official or inverted form remains in any list.
    for locale in ("en", "fr", "es"):
        assert not [n for c, n in geography.country_choices(locale) if c != "SH" and (", " in n or "province" in n)]


@pytest.mark.parametrize("text, code", [
    ("Russie, Fédération de", "RU"), ("Russian Federation", "RU"), ("Russie", "RU"), ("Rusia", "RU"),
    ("Taïwan, province de Chine", "TW"), ("Taiwan, Province of China", "TW"), ("Taïwan", "TW"), ("Taiwán", "TW"),
    ("Bolivia, Plurinational State of", "BO"), ("Bolivie", "BO"), ("Hong Kong", "HK"),
    ("Türkiye", "TR"), ("Turkey", "TR"), ("Turquía", "TR"), ("Corée du Sud", "KR"), ("Korea, Republic of", "KR"),
])
def test_imports_read_the_official_and_the_common_names(text, code):
    assert geography.country_code(text) == code


def test_city_lookup_and_time_zones():
    lyon = geography.find_city("Lyon", "FR")
    assert lyon["timezone"] == "Europe/Paris" and lyon["latitude"] == pytest.approx(45.75, abs=0.1)
    assert geography.country_timezone("BR") == "America/Sao_Paulo"
    assert geography.find_city("No Such Place", "FR") is None


def test_time_zones_offer_the_country_first_then_canonical_zones_only(ctx):
    import zoneinfo

    from flask_babel import force_locale

    with force_locale("fr"):
        groups = geography.timezone_choices("CL", "fr", "America/Santiago")
    labels = list(groups)
    assert labels[0] == "Fuseaux horaires\u202f: Chili"
    chile = dict(groups[labels[0]])
    assert chile["America/Santiago"] == "Santiago (UTC−03:00)" or chile["America/Santiago"] == "Santiago (UTC−04:00)"
    assert chile["Pacific/Easter"].startswith("Île de Pâques (UTC−0")
    values = [value for choices in groups.values() for value, _ in choices]
    assert len(values) == len(set(values)) and 400 < len(values) < 450  # not the ~600 names with their aliases
    assert not [v for v in values if v.startswith(("US/", "Etc/", "Canada/", "Brazil/")) or "/" not in v and v != "UTC"]
    assert set(values) <= zoneinfo.available_timezones()
    others = dict(groups[labels[-1]])
    assert others["Europe/Paris"].startswith("France\u202f: Paris (UTC+0")


def test_time_zones_keep_a_stored_alias_and_work_without_a_country(ctx):
    groups = geography.timezone_choices("", "en", "US/Samoa")
    assert groups[None] == [("US/Samoa", "US/Samoa")]
    assert list(groups)[1:] == ["Other time zones"]
    assert dict(groups["Other time zones"])["Asia/Kolkata"].startswith("India: Kolkata (UTC+05:30)")
