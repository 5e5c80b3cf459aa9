"""The development outbox: the e-mails the service sent, for administrators, in development only.

Without an SMTP server (development, the demo) every message stays whole in the outbox table; this
page lets an administrator read them and follow their links (confirmations, invitations). In
production (neither debug nor DEMO) the pages answer 404 (:func:`mail.outbox_page_enabled`).
"""
from __future__ import annotations

from flask import abort, current_app, render_template, request
from sqlalchemy import select

from mentoring.access import admin_required
from mentoring.admin import bp
from mentoring.extensions import db
from mentoring.models import OutboxMessage
from mentoring.services import mail


def _enabled_or_404() -> None:
    if not mail.outbox_page_enabled():
        abort(404)


@bp.get("/outbox")
@admin_required
def outbox():
    """Sent e-mails, newest first, searchable by recipient."""
    _enabled_or_404()
    recipient = request.args.get("to", "")[:254].strip()
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if recipient:
        query = query.where(OutboxMessage.recipient.contains(recipient, autoescape=True))
    page = db.paginate(query, per_page=current_app.config.get("USERS_PER_PAGE", 50),
                       max_per_page=200, error_out=False)
    return render_template("admin/outbox.html", page=page, recipient=recipient)


@bp.get("/outbox/<int:message_id>")
@admin_required
def outbox_message(message_id: int):
    """One message: its text with clickable links, its HTML part's links, its attachments."""
    _enabled_or_404()
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("admin/outbox_message.html", message=message,
                           segments=mail.link_segments(message.body))
