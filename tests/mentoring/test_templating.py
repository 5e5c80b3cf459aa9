"""Template helpers shared by every page: the request's catalogue kept once, and still right."""
from __future__ import annotations

from flask import session
from flask_babel import force_locale, refresh

from mentoring.i18n import translations


def test_templates_follow_the_locale_within_one_request(app):
    """The catalogue is kept for the request, yet mail written in the recipient's language
    (``force_locale``) and a language changed mid-request (``refresh``) are translated right."""
    template = app.jinja_env.from_string('{{ _("Sign out") }}|{{ ngettext("%(num)d filter", "%(num)d filters", 2) }}')
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert template.render() == "Se déconnecter|2 filtres"
        assert translations() is translations()  # kept, not looked up again
        with force_locale("es"):
            assert template.render().startswith("Cerrar sesión|")
        assert template.render().startswith("Se déconnecter|")
        session["lang"] = "es"  # as the language switch does
        refresh()
        assert template.render().startswith("Cerrar sesión|")


def test_templates_render_outside_a_request(app):
    with app.app_context():
        assert app.jinja_env.from_string('{{ _("Sign out") }}').render() == "Sign out"


def test_long_choice_lists_mark_the_chosen_option_once_and_escape_every_label(app):
    from mentoring.templating import select_options

    choices = [("FR", "France"), ("CI", "Côte d'Ivoire"), ("X\"Y", "<b>odd</b>")]
    with app.app_context():
        assert str(select_options(choices, "CI")).count(" selected") == 1
        assert '<option value="CI" selected>Côte d&#39;Ivoire</option>' in select_options(choices, "CI")
        assert '<option value="X&#34;Y" selected>&lt;b&gt;odd&lt;/b&gt;</option>' in select_options(choices, 'X"Y')
        assert " selected" not in select_options(choices, "ZZ") and " selected" not in select_options(choices)
        assert " selected" not in select_options(choices)  # the cached list was not changed by a choice


def test_the_date_filter_writes_what_flask_babel_writes_in_each_language_and_time_zone(app):
    """The ``date`` filter formats each day once per pattern and language (templating.day), yet writes what
    Flask-Babel's ``format_date`` writes: the moment's day in the reader's time zone, in the reader's language."""
    from datetime import UTC, date, datetime

    from flask_babel import format_date

    template = app.jinja_env.from_string("{{ when|date }}|{{ when|date('long') }}")
    late = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)  # already the 15th in Paris
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        for value in (late, late.replace(hour=1), date(2026, 3, 14)):
            assert template.render(when=value) == f"{format_date(value)}|{format_date(value, 'long')}"
            with force_locale("es"):
                assert template.render(when=value) == f"{format_date(value)}|{format_date(value, 'long')}"
        from flask import g
        from pytz import timezone

        g._flask_babel.babel_tzinfo = timezone("Europe/Paris")  # a reader in Paris (what a time zone selector gives)
        assert template.render(when=late) == f"{format_date(late)}|{format_date(late, 'long')}"
        assert template.render(when=late).startswith("15 mars 2026|")


def test_a_session_time_is_written_in_the_readers_language_and_the_zone_asked(app):
    """``local_time`` keeps each formatted time (per moment, zone and language), yet writes each right."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from mentoring.templating import local_time

    moment = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    paris, santiago = ZoneInfo("Europe/Paris"), ZoneInfo("America/Santiago")
    seen = {}
    for _ in range(2):  # the second round comes from the cache: the same answers
        for language in ("en", "fr", "es"):
            with app.test_request_context("/", headers={"Accept-Language": language}):
                for zone in (paris, santiago):
                    seen.setdefault((language, zone.key), set()).add(local_time(moment, zone))
    assert all(len(texts) == 1 for texts in seen.values())
    (en_paris,), (fr_paris,), (es_santiago,) = seen["en", "Europe/Paris"], seen["fr", "Europe/Paris"], seen[
        "es", "America/Santiago"]
    assert en_paris.startswith("Wed, Jul 1, 2026") and en_paris.endswith("14:30 CEST")
    assert fr_paris.startswith("mer. 1 juil. 2026") and fr_paris.endswith("14:30 CEST")
    assert "jul" in es_santiago and es_santiago.endswith("08:30 -04")
