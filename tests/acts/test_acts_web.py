"""Staff pages for acts: login required, forms carry CSRF, refusals come back in Italian."""

from __future__ import annotations

import io
import re

import pytest

from tests.act_factories import PASSWORD, make_people, propose
from tests.conftest import csrf_from, login
from workflow.demo.signing import simple_pdf


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def test_acts_pages_need_login(client):
    assert client.get("/atti").status_code == 302


def test_propose_through_the_form(client, people):
    login(client, people.direzione.username, PASSWORD)
    page = client.get("/atti").get_data(as_text=True)
    response = client.post(
        "/atti",
        data={
            "csrf_token": csrf_from(page),
            "act_type": "decreto_sindaco",
            "oggetto": "APPROVAZIONE DI PROVA",
            "fascicolo": "2.16/2024/1",
            "proponente": "SINDACO",
            "materia": "PIANIFICAZIONE STRATEGICA",
            "struttura": "DIREZIONE GENERALE",
            "testo": "Testo.",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Proposta registrata" in text and "APPROVAZIONE DI PROVA" in text


def test_form_refusal_shows_the_italian_message(client, people):
    login(client, people.direzione.username, PASSWORD)
    page = client.get("/atti").get_data(as_text=True)
    response = client.post("/atti", data={"csrf_token": csrf_from(page), "oggetto": "X"})
    assert response.status_code == 422
    assert "Titolario/Anno/Fascicolo" in response.get_data(as_text=True)


def test_opinion_given_through_the_form(client, people, clock):
    act = propose(people, clock)
    login(client, people.dirigente.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    assert "Parere di regolarità tecnica" in page
    response = client.post(
        f"/atti/{act.id}/passaggi/parere_tecnico",
        data={
            "csrf_token": csrf_from(page),
            "version": act.version,
            "favorevole": "contrario",
            "testo": "Manca la copertura finanziaria.",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Sospeso per parere contrario" in text and "Contrario" in text


def test_upload_through_the_form_shows_fingerprint_and_unsigned(client, people, clock):
    act = propose(people, clock)
    login(client, people.albo.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    response = client.post(
        f"/atti/{act.id}/documenti",
        data={
            "csrf_token": csrf_from(page),
            "version": str(act.version),
            "kind": "allegato",
            "file": (io.BytesIO(simple_pdf(["Allegato"])), "allegato.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Impronta SHA-256" in text and "non firmato digitalmente" in text


def test_form_without_csrf_is_refused(client, people, clock):
    act = propose(people, clock)
    login(client, people.dirigente.username, PASSWORD)
    response = client.post(f"/atti/{act.id}/passaggi/parere_tecnico", data={"version": 1})
    assert response.status_code == 400


def test_relata_printable_after_it_is_issued(client, people, clock):
    from datetime import timedelta

    from tests.act_factories import fire, to_published

    act = to_published(propose(people, clock), people, clock)
    login(client, people.segretario.username, PASSWORD)
    assert client.get(f"/atti/{act.id}/relata").status_code == 404
    clock.instant += timedelta(days=15)
    fire(act, "relata", people.segretario, clock)
    # Fifteen days later on the app's clock the first session has long expired: a new login.
    login(client, people.segretario.username, PASSWORD)
    page = client.get(f"/atti/{act.id}/relata").get_data(as_text=True)
    assert "1/2025" in page and "dal 01/07/2025 al 15/07/2025" in page
    assert "Antonio Sebastiano Purcaro" in page


def test_opinion_form_presets_no_outcome(client, people, clock):
    act = propose(people, clock)
    login(client, people.dirigente.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    # Two radio buttons, Favorevole and Contrario, both required and neither checked: a
    # Favorevole preselected would be a legal risk (issue 16).
    boxes = page[page.index('id="parere_tecnico-favorevole"') :]
    boxes = boxes[: boxes.index("</fieldset>")]
    radios = re.findall(r"<input[^>]*>", boxes)
    assert len(radios) == 2 and all('type="radio"' in r and "required" in r for r in radios)
    assert 'value="favorevole"' in radios[0] and 'value="contrario"' in radios[1]
    assert "checked" not in boxes
