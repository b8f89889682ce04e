"""Issue 16 §2: an act's step refused on its page comes back as typed, with the message beside
the field that caused it, and the page answers with the refusal's status."""

from __future__ import annotations

import pytest

from tests.act_factories import PASSWORD, make_people, propose
from tests.conftest import csrf_from, login
from tests.forms_html import read_form


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def test_an_opinion_without_outcome_is_refused_beside_the_outcome(client, people, clock):
    act = propose(people, clock)
    login(client, people.dirigente.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    response = client.post(
        f"/atti/{act.id}/passaggi/parere_tecnico",
        data={
            "csrf_token": csrf_from(page),
            "version": str(act.version),
            "testo": "Istruttoria completa.",
        },
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), f"/atti/{act.id}/passaggi/parere_tecnico")
    assert form.error_of("parere_tecnico-favorevole") == "Manca l'esito del parere."
    assert form.value("testo") == "Istruttoria completa."
    assert "favorevole" not in form.values  # still nothing chosen
