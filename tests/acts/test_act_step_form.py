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


def test_a_proposal_is_linked_to_a_procedure_picked_by_title(client, people, clock):
    from tests.factories import open_psttm

    procedure = open_psttm(people.direzione, clock)
    login(client, people.direzione.username, PASSWORD)
    page = client.get("/atti").get_data(as_text=True)
    form = read_form(page, "/atti")
    assert form.inputs["procedure_id"]  # a select, not a number to type
    assert f'<option value="{procedure.id}">{procedure.title}</option>' in page
    assert form.inputs["oggetto"]["maxlength"] == "1000"
    response = client.post(
        "/atti",
        data={
            "csrf_token": csrf_from(page),
            "act_type": "decreto_sindaco",
            "oggetto": "APPROVAZIONE DI PROVA",
            "fascicolo": "2.16/2024/1",
            "procedure_id": str(procedure.id),
            "proponente": "SINDACO",
            "materia": "",
            "struttura": "DIREZIONE GENERALE",
            "testo": "Testo.",
        },
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "/atti")
    assert form.error_of("materia") == "Manca la materia."
    assert form.value("procedure_id") == str(procedure.id)
    assert form.value("oggetto") == "APPROVAZIONE DI PROVA" and form.value("testo") == "Testo."


def test_a_document_that_is_no_pdf_keeps_its_role_and_asks_for_the_file_again(
    client, people, clock
):
    import io

    act = propose(people, clock)
    login(client, people.albo.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    response = client.post(
        f"/atti/{act.id}/documenti",
        data={
            "csrf_token": csrf_from(page),
            "version": str(act.version),
            "kind": "allegato",
            "file": (io.BytesIO(b"non un pdf"), "allegato.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), f"/atti/{act.id}/documenti")
    assert "PDF" in form.error_of("file")
    assert form.value("kind") == "allegato"
