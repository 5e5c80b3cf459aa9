"""The round page's summary (counts by state, preferences met, mentees without a mentor) is kept per round
state (issue 11) and follows every write that changes it: decisions, stated preferences, a city's languages."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import City, CityLanguage, Proposal, utcnow
from mentoring.services import preferences
from tests.conftest import login
from tests.html import parse
from tests.mentoring.requests.conftest import section
from tests.mentoring.rounds.conftest import open_and_run


def _page(client, round_id):
    response = client.get(f"/rounds/{round_id}")
    assert response.status_code == 200
    return parse(response)


def _state_option(soup, state):
    return soup.select(f'#f-state option[value="{state}"]')[0].text


def _section_text(soup, title):
    """The text of the page's section headed by ``title`` ("" when the page has none)."""
    return section(soup, title).text if soup.select(title) else ""


def _unmatched(soup):
    return _section_text(soup, "#unmatched-title")


def test_a_decision_updates_the_counts_and_the_mentees_without_a_mentor(app, client, world, coordinator):
    round_id = open_and_run(app, coordinator)
    login(client, coordinator)
    before = _page(client, round_id)
    assert _state_option(before, "rejected").endswith("(0)")
    assert "Dakar" not in _unmatched(before)
    with app.app_context():
        p = db.session.scalar(select(Proposal).where(Proposal.round_id == round_id,
                                                     Proposal.mentee_city_id == world.cities["Dakar"].id))
        proposed = db.session.query(Proposal).filter_by(round_id=round_id, state="proposed").count()
    client.post(f"/rounds/proposals/{p.id}/reject", data={"reject-version": p.version, "reject-reason": "Not now"})
    after = _page(client, round_id)
    assert _state_option(after, "rejected").endswith("(1)")
    assert _state_option(after, "proposed").endswith(f"({proposed - 1})")
    assert "Dakar" in _unmatched(after) and "Proposal rejected" in _unmatched(after)
    # The pager's total follows too: the state filter lists what the count says.
    rejected = parse(client.get(f"/rounds/{round_id}?state=rejected"))
    assert len(rejected.select("table.proposals tbody tr")) == 1


def _met(soup):
    return _section_text(soup, "#prefs-met-title")


def test_stated_preferences_and_a_partners_languages_update_the_preferences_met(app, client, world, coordinator):
    round_id = open_and_run(app, coordinator)
    login(client, coordinator)
    assert _met(_page(client, round_id)) == ""
    with app.app_context():
        dakar = db.session.get(City, world.cities["Dakar"].id)
        mentor_id = db.session.scalar(select(Proposal.mentor_city_id).where(
            Proposal.round_id == round_id, Proposal.mentee_city_id == dakar.id))
        preferences.save(None, dakar, languages=["ar"], preferred_city_ids=[mentor_id])
        db.session.commit()
        mentor_name = db.session.get(City, mentor_id).name
    text = _met(_page(client, round_id))
    # Its partner, asked for by name (met), does not speak Arabic (not met).
    assert "1 of 2 stated preferences met" in text and f"paired with {mentor_name}, as it asked" in text
    with app.app_context():  # as the city editor does: languages changed, the city's row stamped
        mentor = db.session.get(City, mentor_id)
        mentor.languages.append(CityLanguage(code="ar", position=len(mentor.languages)))
        mentor.updated_at = utcnow()
        db.session.commit()
    assert "2 of 2 stated preferences met" in _met(_page(client, round_id))


def _why(soup, proposal_id):
    row = [tr for tr in soup.select("table.proposals tbody tr") if tr.select(f"#sel-{proposal_id}")][0]
    return row.select("td.why")[0].text


def test_a_rows_explanation_follows_its_focus_areas_and_its_cities(app, client, world, coordinator):
    round_id = open_and_run(app, coordinator)
    login(client, coordinator)
    with app.app_context():
        p = db.session.scalar(select(Proposal).where(Proposal.round_id == round_id,
                                                     Proposal.mentee_city_id == world.cities["Dakar"].id))
        mentor_id, version = p.mentor_city_id, p.version
    before = _why(_page(client, round_id), p.id)
    assert "They share" in before
    client.post(f"/rounds/proposals/{p.id}/areas", data={"areas-version": version, "areas-areas": ["broadband"]})
    after = _why(_page(client, round_id), p.id)
    assert "Broadband" in after and after != before
    with app.app_context():  # the mentor city no longer speaks the mentee's languages
        mentor = db.session.get(City, mentor_id)
        mentor.languages = [CityLanguage(code="ja", position=0)]
        mentor.updated_at = utcnow()
        db.session.commit()
    assert "They have no working language in common." in _why(_page(client, round_id), p.id)
