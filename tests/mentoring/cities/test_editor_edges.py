"""The identity editor's rough edges: the language picker, completed web addresses, and the warning
when a city offers to mentor with no place."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Assessment, CapabilityArea, City
from mentoring.services.cities.validation import complete_website
from tests.conftest import login
from tests.html import find, texts
from tests.mentoring.cities.test_editor import identity_form


def test_language_picker_lists_check_boxes_with_the_citys_and_its_countrys_languages_first(app, client, people):
    login(client, people.rep_b)  # Beta, in Spain, works in Spanish
    page = client.get(f"/cities/{people.city_b.id}/edit").get_data(as_text=True)
    picker = find(page, "[data-language-picker]")[0]
    assert picker.tag == "div" and find(page, "[data-language-picker] fieldset legend")[0].text == "Working languages"
    suggested = [e.attrs["value"] for e in find(page, "#languages-suggested input")]
    others = [e.attrs["value"] for e in find(page, "#languages-others input")]
    # Spanish (chosen), then Spain's other languages (Catalan, Basque, Galician) before the rest.
    assert suggested[0] == "es" and {"ca", "eu", "gl"} <= set(suggested[1:])
    assert len(others) > 150 and not set(suggested) & set(others) and "fr" in others
    checked = [e.attrs["value"] for e in find(page, "[data-language-picker] input[checked]")]
    assert checked == ["es"]
    labels = texts(page, "#languages-suggested label")
    assert labels[0] == "Spanish (es)"
    assert not find(page, "select[name=languages]") and "Hold Ctrl" not in page
    # The search box is added by the script (hidden without it) and labelled.
    assert find(page, "[data-language-search]")[0].attrs.get("hidden") is not None
    assert texts(page, "[data-language-search] label") == ["Find a language (name or code)"]


def test_language_picker_saves_the_ticked_languages_and_keeps_them_first_on_a_refusal(app, client, people):
    login(client, people.rep_a)
    url = f"/cities/{people.city_a.id}/edit"
    refused = client.post(url, data=identity_form(1, languages=["sw", "fr"], mentor_capacity="99"))
    assert refused.status_code == 422
    again = refused.get_data(as_text=True)
    assert [e.attrs["value"] for e in find(again, "[data-language-picker] input[checked]")] == ["sw", "fr"]
    assert client.post(url, data=identity_form(1, languages=["sw", "fr"])).status_code == 302
    with app.app_context():
        assert db.session.get(City, people.city_a.id).language_codes == ["sw", "fr"]


def test_a_website_without_its_scheme_is_completed_to_https(app, client, people):
    login(client, people.rep_a)
    page = client.get(f"/cities/{people.city_a.id}/edit").get_data(as_text=True)
    website = find(page, "#website")[0]
    assert website.attrs["type"] == "text" and website.attrs["inputmode"] == "url"  # no browser refusal either
    response = client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1, website=" www.example.cl "))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(City, people.city_a.id).website == "https://www.example.cl"


def test_complete_website_adds_https_only_to_host_names():
    assert complete_website("www.example.cl") == "https://www.example.cl"
    assert complete_website("example.org/path?q=1") == "https://example.org/path?q=1"
    assert complete_website("http://example.org") == "http://example.org"
    for typed in ("javascript:alert(1)", "mailto:a@example.org", "localhost", "not a site.org", "data:x,y"):
        assert complete_website(typed) == typed  # left for safe_website to refuse
    assert complete_website("  ") is None


def _offer_to_mentor(app, city):
    with app.app_context():
        area = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "open_data"))
        db.session.add(Assessment(city_id=city.id, area_id=area.id, maturity=4, need=0, can_mentor=True))
        db.session.commit()
        return area.labels["en"]


def test_editor_and_profile_warn_when_a_city_offers_to_mentor_with_no_place(app, client, people):
    label = _offer_to_mentor(app, people.city_a)  # capacity 0
    warning = f"Alpha says it can mentor in {label}, but its mentor capacity is 0"
    for user in (people.rep_a, people.coordinator):
        login(client, user)
        for url in (f"/cities/{people.city_a.id}/edit", f"/cities/{people.city_a.id}/edit/capabilities",
                    f"/cities/{people.city_a.id}"):
            shown = texts(client.get(url).get_data(as_text=True), ".alert--warning p")
            assert any(warning in text for text in shown), (user.email, url)
    login(client, people.rep_b)  # another city's representative sees the profile without it
    shown = texts(client.get(f"/cities/{people.city_a.id}").get_data(as_text=True), ".alert--warning p")
    assert not any("mentor capacity is 0" in text for text in shown)
    login(client, people.rep_a)
    client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1, mentor_capacity="1"))
    shown = texts(client.get(f"/cities/{people.city_a.id}").get_data(as_text=True), ".alert--warning p")
    assert not any("mentor capacity is 0" in text for text in shown)


def test_the_warning_is_translated(app, client, people):
    _offer_to_mentor(app, people.city_a)
    login(client, people.rep_a)
    for lang, words in (("fr", "sa capacité de mentorat est de 0"), ("es", "su capacidad de mentoría es 0")):
        page = client.get(f"/cities/{people.city_a.id}/edit", headers={"Accept-Language": lang}).get_data(as_text=True)
        assert any(words in text for text in texts(page, ".alert--warning p")), lang
