"""Error pages tell each person what they can do next."""
from __future__ import annotations

from tests.conftest import login
from tests.html import texts


def test_a_coordinator_refused_the_administration_is_sent_to_an_administrator(client, make_user):
    login(client, make_user(role="coordinator"))
    response = client.get("/admin/")
    assert response.status_code == 403
    explanation = " ".join(texts(response.get_data(as_text=True), "main p"))
    assert "ask an administrator" in explanation
    assert "city's representative" not in explanation


def test_a_representative_refused_is_sent_to_a_coordinator(client, make_user):
    login(client, make_user())
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "ask your city's representative or a coordinator" in " ".join(
        texts(response.get_data(as_text=True), "main p"))
