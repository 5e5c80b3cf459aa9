"""Fixtures of the requests tests: the rounds tests' world of cities (Lyon, Barcelona, Dakar, …)."""
from __future__ import annotations

import pytest

from mentoring.extensions import db
from mentoring.models import User
from tests.mentoring.rounds.conftest import add_profile, coordinator, world  # noqa: F401  (fixtures)


@pytest.fixture
def as_user(app):
    """Call a service as a user, inside an application context; the change is committed."""

    def call(user, function, *args, **kwargs):
        with app.app_context():
            actor = db.session.get(User, user.id)
            result = function(actor, *args, **kwargs)
            db.session.commit()
            return getattr(result, "id", result)

    return call


def section(root, selector):
    """The <section> around the element ``selector`` of a parsed page (tests.html)."""
    node = root.select(selector)[0]
    while node.tag != "section":
        node = node.parent
    return node
