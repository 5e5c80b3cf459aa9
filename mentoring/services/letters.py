"""Composing e-mail: one letter, a plain-text and an HTML part, in the recipient's language.

Every letter carries absolute links (:mod:`mentoring.links`) and, for members, a footer linking
to their notification preferences with a one-click unsubscribe for the letter's event. A member's
preferences decide whether a letter is sent now, held for the daily digest, or not e-mailed at
all (the caller's bell notification is unaffected). Programme contacts without an account receive
letters at their address, in the first of their languages.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from mentoring.links import external_url
from mentoring.models import OutboxMessage, User
from mentoring.services import mail_preferences as preferences
from mentoring.services.mail import send_mail

LANGUAGES = ("en", "fr", "es")


@dataclass
class Letter:
    """What a letter says; built by the caller *inside* the recipient's language."""

    subject: str
    paragraphs: list[str]
    link: str | None = None
    link_label: str | None = None
    attachments: list[dict] = field(default_factory=list)
    html_extra: str | None = None  # already-safe HTML (e.g. a circular's rendered Markdown)


def language_of(user: User | None = None, languages=()) -> str:
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    for code in languages or ():
        if code in LANGUAGES:
            return code
    return "en"


def _footer(user: User | None, event: str | None) -> tuple[list[str], dict]:
    if user is None:
        note = _("You receive this e-mail because a city named you as its programme contact.")
        return [note], {"note": note}
    preferences_url = external_url("people.preferences")
    lines = [_("Choose which e-mails you receive: %(url)s", url=preferences_url)]
    context = {"preferences_url": preferences_url}
    if event:
        unsubscribe_url = external_url("people.unsubscribe", token=preferences.unsubscribe_token(user, event))
        lines.append(_("Unsubscribe from these e-mails: %(url)s", url=unsubscribe_url))
        context["unsubscribe_url"] = unsubscribe_url
    return lines, context


def render(letter: Letter, user: User | None, event: str | None) -> tuple[str, str]:
    """The plain-text and HTML parts (call inside the recipient's locale)."""
    footer_lines, footer = _footer(user, event)
    text = list(letter.paragraphs)
    if letter.link:
        text.append(f"{letter.link_label or _('Open')}: {letter.link}" if letter.link_label else letter.link)
    body = "\n\n".join(text) + "\n\n-- \n" + "\n".join(footer_lines) + "\n"
    html = render_template("mail/letter.html", letter=letter, footer=footer)
    return body, html


def send(user: User, event: str | None, compose) -> OutboxMessage | None:
    """Send ``compose()`` (a :class:`Letter`, built in the user's language) as the user chose.

    Returns the outbox message, or None when held for the digest, switched off or inactive.
    """
    if not user.active:
        return None
    choice = preferences.delivery(user, event) if event else "immediate"
    if choice == "off":
        return None
    with force_locale(language_of(user)):
        letter = compose()
        if choice == "digest" and not letter.attachments:
            body = "\n\n".join(letter.paragraphs)
            preferences.hold_for_digest(user, event, letter.subject, body, letter.link)
            return None
        body, html = render(letter, user, event)
    return send_mail(user.email, letter.subject, body, html=html, attachments=letter.attachments or None)


def send_to_address(email: str, languages, compose) -> OutboxMessage:
    """A letter to someone without an account (a programme contact)."""
    with force_locale(language_of(None, languages)):
        letter = compose()
        body, html = render(letter, None, None)
    return send_mail(email, letter.subject, body, html=html, attachments=letter.attachments or None)


def send_digest(user: User, items) -> OutboxMessage:
    """One e-mail gathering the held items (the caller marks them sent)."""
    with force_locale(language_of(user)):
        paragraphs = []
        for item in items:
            paragraphs.append(f"• {item.subject}\n{item.body}" + (f"\n{item.link}" if item.link else ""))
        letter = Letter(subject=_("Your daily digest: %(num)d updates", num=len(items)), paragraphs=paragraphs)
        body, html = render(letter, user, None)
    return send_mail(user.email, letter.subject, body, html=html)
