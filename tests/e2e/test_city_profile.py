"""A representative registers a city, fills its identity and capability grid, and sees the profile."""
from __future__ import annotations

from mentoring.extensions import db
from tests.e2e.conftest import screenshot


def test_register_fill_and_view_city_profile(live_app, live_server, page):
    from mentoring.services.accounts import create_user

    with live_app.test_request_context():
        create_user("amina@example.org", "Amina Diallo", "correct horse battery", confirmed=True)
        db.session.commit()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(live_server + "/auth/login")
    page.fill("#email", "amina@example.org")
    page.fill("#password", "correct horse battery")
    page.click("#submit")

    page.goto(live_server + "/cities/register")
    page.fill("#name", "Dakar")
    page.select_option("#country", "SN")
    page.click("#submit")
    page.wait_for_url("**/edit")
    assert page.locator("#region").input_value() == "africa"  # filled from the country
    page.fill("#population", "3100000")
    page.check("input[name=languages][value=fr]")
    page.check("input[name=languages][value=wo]")
    page.check("input[name=commissions][value=digital_cities]")
    page.fill("#mentor_capacity", "2")
    page.fill("#website", "https://www.villededakar.sn")
    page.click("#submit")
    assert "is saved" in page.locator(".flashes").inner_text()

    page.click("text=Capabilities")
    page.select_option("#open_data_maturity", "4")
    assert "Leading" in page.locator("#open_data_maturity-desc").inner_text()
    page.select_option("#open_data_need", "0")
    page.check("#open_data_can_mentor")
    page.fill("#open_data_evidence", "Open data portal since 2015")
    page.select_option("#cybersecurity_maturity", "1")
    page.select_option("#cybersecurity_need", "3")
    page.select_option("#urban_planning_maturity", "2")
    page.select_option("#urban_planning_need", "2")
    page.locator("#submit").click()
    assert "3 area(s) changed" in page.locator(".flashes").inner_text()
    screenshot(page, "city-editor-en")

    page.click("text=View profile")
    page.wait_for_selector("#capability-chart")
    page.wait_for_function("() => window.Chart && Chart.getChart('capability-chart')")
    table = page.locator(".capability-table").inner_text()
    assert "Open data and transparency" in table and "Leading" in table
    assert page.locator("a[href='https://www.villededakar.sn']").count() == 1
    screenshot(page, "city-profile-en")

    with page.expect_navigation():  # the switcher submits its form on change
        page.select_option("#lang-select", "fr")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.wait_for_function("() => window.Chart && Chart.getChart('capability-chart')")
    assert "Sénégal" in page.locator(".page-header").inner_text()
    screenshot(page, "city-profile-fr")
    assert problems == []
