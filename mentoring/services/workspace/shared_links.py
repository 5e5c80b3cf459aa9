"""Web links the two cities share in their workspace."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row

from mentoring.extensions import db
from mentoring.models import Mentorship, SharedLink, User
from mentoring.services import ServiceError
from mentoring.services.audit import record
from mentoring.services.workspace.access import clean
from mentoring.services.workspace.reads import prepared, read


def add_link(actor: User, mentorship: Mentorship, *, title: str, url: str) -> SharedLink:
    errors: dict[str, list[str]] = {}
    title, url = clean(title), clean(url)
    if not title:
        errors["title"] = [_("Give the link a title.")]
    if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url):
        errors["url"] = [_("Give a web address starting with https:// or http://.")]
    if errors:
        raise ServiceError(_("The link could not be saved."), errors)
    link = SharedLink(mentorship_id=mentorship.id, title=title[:200], url=url[:500],
                      added_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    record(actor, "link.add", link, after={"title": link.title, "url": link.url})
    return link


def remove_link(actor: User, link: SharedLink) -> None:
    record(actor, "link.remove", link, before={"title": link.title, "url": link.url})
    db.session.delete(link)
    db.session.flush()


@prepared
def _links_statement():
    return (select(SharedLink.id, SharedLink.title, SharedLink.url)
            .where(SharedLink.mentorship_id == bindparam("mentorship_id"))
            .order_by(SharedLink.created_at, SharedLink.id))


def links_of(mentorship_id: int) -> list[Row]:
    """The mentorship's links, oldest first, as rows (``id``, ``title``, ``url``)."""
    return read(_links_statement(), mentorship_id=mentorship_id).all()
