"""A pair of cities for the people tests: Mexico City has no member at all, Valparaíso has one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from mentoring.extensions import db
from mentoring.models import Mentorship, OutboxMessage, Proposal, User, utcnow


@dataclass
class World:
    coordinator: User
    mentor_rep: User  # Valparaíso (mentor city)
    mentee_rep: User  # Pune (mentee city, for the mentorship)
    outsider: User
    mexico_id: int  # memberless mentee city
    valparaiso_id: int
    pune_id: int
    proposal_id: int  # Valparaíso → Mexico City, proposed
    mentorship_id: int  # Valparaíso → Pune, active

    def get(self, user: User) -> User:
        return db.session.get(User, user.id)


@pytest.fixture
def world(app, make_user, make_city) -> World:
    coordinator = make_user("coord@example.org", name="Cora Coordinator", role="coordinator")
    mentor_rep = make_user("rep@valpo.example", name="Valentina Valpo", locale="es")
    mentee_rep = make_user("rep@pune.example", name="Priya Pune", locale="en")
    outsider = make_user("rep@quito.example", name="Omar Outsider")
    valparaiso = make_city("Valparaíso", "CL", region="latin_america", capacity=3, timezone="America/Santiago",
                           languages=("es",), members=[(mentor_rep, "representative")])
    mexico = make_city("Mexico City", "MX", region="latin_america", timezone="America/Mexico_City",
                       languages=("es", "en"))
    pune = make_city("Pune", "IN", region="asia_pacific", timezone="Asia/Kolkata", languages=("en",),
                     members=[(mentee_rep, "representative")])
    make_city("Quito", "EC", region="latin_america", members=[(outsider, "representative")])
    with app.app_context():
        proposal = Proposal(mentor_city_id=valparaiso.id, mentee_city_id=mexico.id, areas=[], score=0.8,
                            state="proposed", explanation="Both work on open data.")
        mentorship = Mentorship(mentor_city_id=valparaiso.id, mentee_city_id=pune.id, areas=[],
                                start_date=date(2026, 1, 5), state="active")
        db.session.add_all([proposal, mentorship])
        db.session.commit()
        ids = proposal.id, mentorship.id
    return World(coordinator, mentor_rep, mentee_rep, outsider, mexico.id, valparaiso.id, pune.id, *ids)


def outbox(recipient: str | None = None) -> list[OutboxMessage]:
    from sqlalchemy import select

    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        statement = statement.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(statement))


def approve_directly(app, proposal_id: int, by: User) -> None:
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.state, proposal.decided_at, proposal.decided_by_id = "approved", utcnow(), by.id
        db.session.commit()


class _Collector:
    """Elements of an HTML page as (tag, attributes, text) — enough to assert on what is shown."""

    def __init__(self, markup: str):
        from html.parser import HTMLParser

        self.items: list[tuple[str, dict, list[str]]] = []
        stack: list[tuple[str, dict, list[str]]] = []
        collector = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                item = (tag, dict(attrs), [])
                collector.items.append(item)
                if tag not in ("br", "img", "input", "meta", "link", "hr"):
                    stack.append(item)

            def handle_endtag(self, tag):
                while stack:
                    if stack.pop()[0] == tag:
                        break

            def handle_data(self, data):
                for item in stack:
                    item[2].append(data)

        Parser().feed(markup)


def elements(markup: str, tag: str, **attrs) -> list[tuple[dict, str]]:
    """``[(attributes, text)]`` of the ``tag`` elements whose attributes include ``attrs``."""
    found = []
    for name, attributes, text in _Collector(markup).items:
        if name == tag and all(attributes.get(k.rstrip("_")) == v for k, v in attrs.items()):
            found.append((attributes, " ".join("".join(text).split())))
    return found
