"""Every main page fits every width and passes axe (see tests/e2e/every_page.py): the coordinator and a
mentee city's representative."""
from __future__ import annotations

import pytest

from tests.e2e.every_page import LANGUAGES, check_every_page, open_role_pages

pytestmark = pytest.mark.slow

ROLES = ("coordinator", "mentee-representative")


@pytest.fixture(scope="module")
def role_pages(live_app, live_server, browser):
    yield from open_role_pages(live_app, live_server, browser, ROLES)


def test_the_crawl_reaches_the_main_pages_of_each_role(role_pages):
    endpoints = {role: set(found) for role, (_, found) in role_pages.items()}
    assert {"cities.mine", "cities.profile", "mentorships.index", "rounds.mine", "auth.account",
            "auth.notifications"} <= endpoints["mentee-representative"]
    assert {"rounds.index", "rounds.show", "cities.verification_queue", "cities.directory"} \
        <= endpoints["coordinator"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_every_width_and_passes_axe(role_pages, live_server, role, lang):
    assert check_every_page(role_pages, live_server, role, lang) == []
