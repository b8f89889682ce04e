"""Issue 16 §2: a body's addresses and a new Forum member are WTForms forms; a refused one comes
back on the territory page as typed, with the message beside the field and the refusal's status."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from, login
from tests.forms_html import read_form
from workflow.consultations import territory
from workflow.consultations.models import Body
from workflow.extensions import db


@pytest.fixture
def loaded(app, clock, direzione):
    territory.load(clock=clock)


def body_id(name: str) -> int:
    return db.session.scalar(select(Body.id).where(Body.name == name))


def test_a_bad_address_is_refused_beside_that_bodys_input_with_the_list_kept(client, loaded):
    login(client, "direzione")
    page = client.get("/territorio").get_data(as_text=True)
    rho = body_id("Rho")
    action = f"/territorio/{rho}/indirizzi"
    assert read_form(page, action).inputs[f"addr-{rho}"]["maxlength"] == "2000"
    typed = "comune.rho@pec.example.org, non un indirizzo"
    response = client.post(action, data={"csrf_token": csrf_from(page), "addresses": typed})
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), action)
    assert form.value("addresses") == typed
    assert "non un indirizzo" in form.error_of(f"addr-{rho}")
    assert territory.get(rho).addresses == []


def test_a_forum_member_without_name_is_refused_beside_the_name(client, loaded):
    login(client, "direzione")
    page = client.get("/territorio").get_data(as_text=True)
    assert read_form(page, "/territorio/forum").inputs["name"]["maxlength"] == "200"
    response = client.post(
        "/territorio/forum",
        data={"csrf_token": csrf_from(page), "name": "  ", "addresses": "forum@example.org"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    form = read_form(html, "/territorio/forum")
    assert form.error_of("name") == "Manca il nome del componente del Forum."
    assert form.value("addresses") == "forum@example.org"
    assert '<details class="card" open>' in html


def test_a_forum_member_already_there_is_refused_with_409_beside_the_name(client, loaded):
    login(client, "direzione")
    page = client.get("/territorio").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "name": "Legambiente Lombardia", "addresses": ""}
    assert client.post("/territorio/forum", data=data).status_code == 302
    response = client.post("/territorio/forum", data={**data, "addresses": "info@example.org"})
    assert response.status_code == 409
    form = read_form(response.get_data(as_text=True), "/territorio/forum")
    assert "già componente del Forum" in form.error_of("name")
    assert form.value("name") == "Legambiente Lombardia"
    assert form.value("addresses") == "info@example.org"


def test_a_bad_forum_address_is_refused_beside_the_addresses(client, loaded):
    login(client, "direzione")
    page = client.get("/territorio").get_data(as_text=True)
    response = client.post(
        "/territorio/forum",
        data={"csrf_token": csrf_from(page), "name": "Comitato", "addresses": "x@"},
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "/territorio/forum")
    assert form.error_of("addresses") and form.value("name") == "Comitato"
