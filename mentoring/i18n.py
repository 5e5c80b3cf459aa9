"""Languages: the user's choice, then the session's, then the browser's; localised formatting."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from mentoring.extensions import babel

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # flask commands: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def localized(labels: dict | None, fallback: str = "") -> str:
    """Pick the current language's entry of a ``{"en": …, "fr": …, "es": …}`` mapping."""
    if not labels:
        return fallback
    lang = str(get_locale() or "en")
    return labels.get(lang) or labels.get("en") or fallback


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        localized=localized, LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale
    )
