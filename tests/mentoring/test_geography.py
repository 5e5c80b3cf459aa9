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


def test_city_lookup_and_time_zones():
    lyon = geography.find_city("Lyon", "FR")
    assert lyon["timezone"] == "Europe/Paris" and lyon["latitude"] == pytest.approx(45.75, abs=0.1)
    assert geography.country_timezone("BR") == "America/Sao_Paulo"
    assert geography.find_city("No Such Place", "FR") is None
