"""Outgoing e-mail: every message is kept in the outbox; with an SMTP server it is also sent.

In development (no ``MAIL_SERVER``) the message is written to the log and kept whole in the
outbox, so links in it (confirmation, password reset, invitations) can be followed from there.
With an SMTP server the outbox keeps the message with its secrets removed: the token of every
link is replaced by :data:`REDACTED` once the message has been handed over (or has failed), so a
copy of the database or of the logs never holds a live reset or invitation link.
"""
from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage

from flask import current_app

from mentoring.extensions import db
from mentoring.models import OutboxMessage, utcnow

log = logging.getLogger("mentoring.mail")
#: Development only: each message as plain text on the console (links on their own lines), see logs.py.
dev_log = logging.getLogger("mentoring.devmail")

REDACTED = "[removed]"
# A path segment or query value of 32+ URL-safe characters inside a link: signed tokens
# (itsdangerous "payload.time.signature") and random tokens (secrets.token_urlsafe(32)).
_LINK = re.compile(r"https?://\S+")
_SECRET = re.compile(r"(?<=[/=])[A-Za-z0-9_\-.~]{32,}")


def redact(text: str) -> str:
    """``text`` with the tokens of its links replaced by :data:`REDACTED`."""
    return _LINK.sub(lambda link: _SECRET.sub(REDACTED, link.group(0)), text)


def keeps_live_links() -> bool:
    """Whether the outbox and the log may hold live links: development, i.e. no SMTP server."""
    return not current_app.config.get("MAIL_SERVER")


def outbox_page_enabled() -> bool:
    """The administrators' outbox page exists in development only (debug or the demo), never in
    production: it shows whole messages, whose links may sign someone in."""
    return bool(current_app.debug or current_app.config.get("DEMO"))


def link_segments(text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``("text", …)`` and ``("link", url)`` pieces, for a page to show its links
    as links (the template escapes every piece; only http(s) addresses become links)."""
    pieces, start = [], 0
    for match in _LINK.finditer(text or ""):
        url = match.group(0).rstrip(".,;:!?)»”'\"")
        end = match.start() + len(url)
        if match.start() > start:
            pieces.append(("text", text[start:match.start()]))
        pieces.append(("link", url))
        start = end
    if start < len(text or ""):
        pieces.append(("text", text[start:]))
    return pieces


def _print_for_development(message: OutboxMessage) -> None:
    """The whole message as plain lines on the console, so its links can be clicked or copied."""
    from mentoring.links import external_url

    rule = "─" * 72
    dev_log.info("%s\nE-mail to %s: %s\n%s\n%s\n(Outbox: %s)\n%s", rule, message.recipient, message.subject,
                 rule, message.body.rstrip(), external_url("admin.outbox_message", message_id=message.id), rule)


def send_mail(recipient: str, subject: str, body: str, *, html: str | None = None,
              attachments: list[dict] | None = None) -> OutboxMessage:
    """Queue a message in the outbox (flushed with the caller's transaction) and deliver it.

    ``body`` is the plain-text part; ``html`` an optional HTML alternative; ``attachments`` text
    files as ``{"filename", "content_type", "content"}`` (e.g. an ``.ics`` invitation).
    """
    server = current_app.config.get("MAIL_SERVER")
    live = keeps_live_links()
    message = OutboxMessage(recipient=recipient, subject=subject, body=body if live else redact(body),
                            html=html if live or html is None else redact(html),
                            attachments=list(attachments) if attachments else None)
    db.session.add(message)
    db.session.flush()
    if not server:
        # The development mailbox: in development (debug, or `make run`, which sets DEMO) the
        # whole message is printed as plain text; tests log it whole; elsewhere the log shows
        # links without their tokens.
        if outbox_page_enabled():  # the whole message as plain lines; the JSON log names it only
            log.info("mail to %s: %s (outbox #%d)", recipient, subject, message.id)
            _print_for_development(message)
            return message
        log.info("mail to %s: %s\n%s", recipient, subject, body if current_app.testing else redact(body))
        return message
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = recipient
    email["Subject"] = subject
    email.set_content(body)
    if html:
        email.add_alternative(html, subtype="html")
    for item in attachments or ():
        maintype, _sep, subtype = item["content_type"].partition("/")
        email.add_attachment(item["content"].encode("utf-8"), maintype=maintype,
                             subtype=subtype.split(";")[0], filename=item["filename"])
    try:
        with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=10) as smtp:
            if current_app.config["MAIL_USE_TLS"]:
                smtp.starttls()
            if current_app.config.get("MAIL_USERNAME"):
                smtp.login(current_app.config["MAIL_USERNAME"], current_app.config["MAIL_PASSWORD"])
            smtp.send_message(email)
        message.sent_at = utcnow()
    except (OSError, smtplib.SMTPException) as error:
        # Kept in the outbox with the error; the operation that sent it still succeeds.
        message.error = redact(str(error))
        log.warning("mail to %s failed: %s", recipient, redact(str(error)))
    return message
