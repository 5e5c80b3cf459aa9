"""Outgoing e-mail: every message is kept in the outbox; with an SMTP server it is also sent.

In development (no ``MAIL_SERVER``) the message is written to the log instead, so links in it
(confirmation, password reset, invitations) can be followed from the terminal.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from mentoring.extensions import db
from mentoring.models import OutboxMessage, utcnow

log = logging.getLogger("mentoring.mail")


def send_mail(recipient: str, subject: str, body: str, *, html: str | None = None,
              attachments: list[dict] | None = None) -> OutboxMessage:
    """Queue a message in the outbox (flushed with the caller's transaction) and deliver it.

    ``body`` is the plain-text part; ``html`` an optional HTML alternative; ``attachments`` text
    files as ``{"filename", "content_type", "content"}`` (e.g. an ``.ics`` invitation).
    """
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, html=html,
                            attachments=list(attachments) if attachments else None)
    db.session.add(message)
    db.session.flush()
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        log.info("mail to %s: %s\n%s", recipient, subject, body)
        return message
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = recipient
    email["Subject"] = subject
    email.set_content(body)
    if html:
        email.add_alternative(html, subtype="html")
    for item in attachments or ():
        maintype, _, subtype = item["content_type"].partition("/")
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
        message.error = str(error)
        log.warning("mail to %s failed: %s", recipient, error)
    return message
