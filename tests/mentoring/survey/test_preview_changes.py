"""The preview of updates: each changed field as before → after; unchanged cities counted, not listed."""
from __future__ import annotations

from mentoring.extensions import db
from mentoring.services.survey import import_csv, preview_import, preview_report
from tests.conftest import login
from tests.html import find
from tests.mentoring.survey.test_web import upload

FIRST = (b"name,country,population,languages,capacity,open_data_maturity,open_data_can_mentor\n"
         b"Nantes,FR,300000,fr,1,2,0\nLyon,FR,500000,fr,0,1,0\n")
SECOND = (b"name,country,population,languages,capacity,open_data_maturity,open_data_can_mentor\n"
          b"Nantes,FR,320000,fr;en,1,3,yes\nLyon,FR,500000,fr,0,1,no\nQuito,EC,2000000,es,0,,\n")


def test_the_preview_lists_what_each_update_changes_and_counts_unchanged_rows(app, ctx, make_user):
    coordinator = make_user(role="coordinator")
    import_csv(FIRST, coordinator)
    db.session.commit()
    report = preview_report(preview_import(SECOND))
    assert (report["new"], report["updated"], report["unchanged"]) == (1, 1, 1)
    listed = {row["name"]: row for row in report["listed"]}
    assert set(listed) == {"Nantes", "Quito"}  # Lyon is unchanged: counted, not listed
    assert listed["Nantes"]["action"] == "update"
    assert listed["Nantes"]["changes"] == [
        ["population", "300000", "320000"],
        ["languages", "fr", "fr;en"],
        ["open_data_maturity", "2", "3"],
        ["open_data_can_mentor", "no", "yes"],
    ]
    assert listed["Quito"]["action"] == "new" and listed["Quito"]["changes"] == []


def test_the_preview_page_shows_before_and_after(app, client, make_user):
    coordinator = make_user(role="coordinator")
    with app.app_context():
        import_csv(FIRST, coordinator)
        db.session.commit()
    login(client, coordinator)
    page = client.get(upload(client, SECOND).headers["Location"]).get_data(as_text=True)
    changes = find(page, "ul.survey-changes")
    assert len(changes) == 1  # one updated city; Lyon is not listed
    text = changes[0].text
    assert "population" in text and "300000" in text and "320000" in text and "→" in text
    assert "open_data_maturity" in text
    assert "1 city of the file is already up to date" in page
    assert "Lyon" not in page.split('id="rows-title"')[1]


def test_a_file_that_changes_nothing_offers_no_import(app, client, make_user):
    coordinator = make_user(role="coordinator")
    with app.app_context():
        import_csv(FIRST, coordinator)
        db.session.commit()
    login(client, coordinator)
    page = client.get(upload(client, FIRST).headers["Location"]).get_data(as_text=True)
    assert "already up to date: there is nothing to import" in page
    assert not [f for f in find(page, "form") if f.attrs.get("action", "").endswith("/confirm")]
