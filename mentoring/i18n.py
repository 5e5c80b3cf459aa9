"""Languages: the user's choice, then the session's, then the browser's; localised formatting."""
from __future__ import annotations

from functools import lru_cache

from babel import support
from flask import Flask, current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import get_locale as babel_locale
from flask_babel import get_translations
from flask_login import current_user
from wtforms.i18n import messages_path

from mentoring.extensions import babel

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _babel_context():
    """Flask-Babel's context of the current app context (where it keeps the locale it found), if any.

    Read from the app context itself rather than through ``g`` and ``has_app_context()`` (two proxy
    lookups): a page asks a hundred times."""
    app_context = _cv_app.get(None)
    return app_context.g.__dict__.get("_flask_babel") if app_context is not None else None


def get_locale():
    """Flask-Babel's ``get_locale()``, read straight from its request context once it is known.

    A page asks a hundred times (labels, numbers, dates); Flask-Babel goes through ``g`` and its
    babel context each time. ``force_locale`` and ``refresh`` set or drop the same attribute read here.
    """
    ctx = _babel_context()
    locale = ctx.__dict__.get("babel_locale") if ctx is not None else None
    return locale if locale is not None else babel_locale()


def translations():
    """Flask-Babel's translations for the current locale, kept on the request's Babel context.

    Flask-Babel looks the context, the domain, the locale and its catalogue up again on each of the
    hundreds of ``_()`` of a page; here the catalogue is kept with the locale object it was found for,
    so :func:`flask_babel.force_locale` (mail in the recipient's language) or ``refresh()`` — which
    replace or drop that object — are seen at the next string.
    """
    ctx = _babel_context()
    if ctx is not None:
        kept = ctx.__dict__.get("mentoring_translations")
        if kept is not None and kept[0] is ctx.__dict__.get("babel_locale"):
            return kept[1]
    found = get_translations()
    ctx = _babel_context()  # get_translations() may have created it
    if ctx is not None and ctx.__dict__.get("babel_locale") is not None:
        ctx.mentoring_translations = (ctx.babel_locale, found)
    return found


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' own messages ("This field is required.") in the reader's language, from a catalogue read
    once per language. Flask-WTF reads it from disk on every request that builds a form (0.3 ms) unless
    the request already holds one (``request.wtforms_translations``, set below); the locale is looked up
    at each message, so ``force_locale`` is followed."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalogue(str(get_locale() or "en")).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(str(get_locale() or "en")).ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WTFormsTranslations()


def localized(labels: dict | None, fallback: str = "") -> str:
    """Pick the current language's entry of a ``{"en": …, "fr": …, "es": …}`` mapping."""
    if not labels:
        return fallback
    lang = str(get_locale() or "en")
    return labels.get(lang) or labels.get("en") or fallback


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _wtforms_translations():
        request.wtforms_translations = _WTFORMS_TRANSLATIONS  # (read by flask_wtf.i18n)
    app.jinja_env.globals.update(
        localized=localized, LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale
    )
