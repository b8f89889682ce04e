"""Issue 16 §2: a document's withdrawal, role change and the signed referto are WTForms forms; a
refused one comes back on the act's page as typed, with the message beside the field and the
refusal's status."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from tests.act_factories import PASSWORD, fire, make_people, propose, to_adopted, to_published
from tests.conftest import csrf_from, login
from tests.forms_html import read_form
from workflow.acts import documents
from workflow.acts import operations as acts
from workflow.demo.signing import simple_pdf


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def _with_document(people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    document = documents.attach(
        act.id,
        expected_version=act.version,
        filename="allegato.pdf",
        content=simple_pdf(["Allegato"]),
        kind="allegato",
        original_id=None,
        actor=people.albo,
        clock=clock,
    )
    return acts.get(act.id), document


def test_a_withdrawal_without_reason_is_refused_beside_the_reason(client, people, clock):
    act, document = _with_document(people, clock)
    login(client, people.albo.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    action = f"/atti/{act.id}/documenti/{document.id}/ritiro"
    assert read_form(page, action).inputs[f"motivazione-{document.id}"]["maxlength"] == "2000"
    response = client.post(
        action,
        data={"csrf_token": csrf_from(page), "version": str(act.version), "motivazione": " "},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    form = read_form(html, action)
    assert form.error_of(f"motivazione-{document.id}") == "Manca la motivazione del ritiro."
    assert "<details open>" in html  # the refused form is shown, not folded away
    assert acts.get(act.id).documents[0].withdrawn_at is None


def test_a_withdrawal_on_a_stale_page_keeps_the_typed_reason(client, people, clock):
    act, document = _with_document(people, clock)
    login(client, people.albo.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    action = f"/atti/{act.id}/documenti/{document.id}/ritiro"
    response = client.post(
        action,
        data={
            "csrf_token": csrf_from(page),
            "version": str(act.version - 1),
            "motivazione": "Caricato per errore al posto della versione firmata.",
        },
    )
    assert response.status_code == 409
    form = read_form(response.get_data(as_text=True), action)
    assert form.value("motivazione") == "Caricato per errore al posto della versione firmata."
    assert form.error_of(f"motivazione-{document.id}")


def test_a_withdrawal_that_is_accepted_goes_back_to_the_act(client, people, clock):
    act, document = _with_document(people, clock)
    login(client, people.albo.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    response = client.post(
        f"/atti/{act.id}/documenti/{document.id}/ritiro",
        data={"csrf_token": csrf_from(page), "version": str(act.version), "motivazione": "Errore."},
    )
    assert response.status_code == 302
    assert acts.get(act.id).documents[0].withdrawn_reason == "Errore."


def test_a_role_change_refused_keeps_the_chosen_role_and_says_why_beside_it(client, people, clock):
    act, document = _with_document(people, clock)
    login(client, people.albo.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    action = f"/atti/{act.id}/documenti/{document.id}/ruolo"
    assert read_form(page, action).value("kind") == "allegato"
    response = client.post(
        action,
        data={
            "csrf_token": csrf_from(page),
            "version": str(act.version),
            "kind": "omissis",
            "original_id": "",
        },
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), action)
    assert form.value("kind") == "omissis"
    assert "originale" in form.error_of(f"ruolo-{document.id}-kind")
    assert acts.get(act.id).documents[0].kind == "allegato"


def test_a_role_change_without_csrf_is_refused(client, people, clock):
    act, document = _with_document(people, clock)
    login(client, people.albo.username, PASSWORD)
    response = client.post(
        f"/atti/{act.id}/documenti/{document.id}/ruolo",
        data={"version": str(act.version), "kind": "atto", "original_id": ""},
    )
    assert response.status_code in (400, 422)
    assert acts.get(act.id).documents[0].kind == "allegato"


def test_a_referto_that_is_no_pdf_is_refused_beside_the_file(client, people, clock):
    act = to_published(propose(people, clock), people, clock)
    clock.instant = datetime(2025, 7, 21, 8, 0, tzinfo=UTC)
    act = fire(act, "relata", people.segretario, clock, note="Pubblicazione regolare.")
    login(client, people.segretario.username, PASSWORD)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    action = f"/atti/{act.id}/referto"
    assert "referto-file" in read_form(page, action).inputs
    response = client.post(
        action,
        data={
            "csrf_token": csrf_from(page),
            "version": str(act.version),
            "file": (io.BytesIO(b"non un pdf"), "referto.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (409, 422)
    message = read_form(response.get_data(as_text=True), action).error_of("referto-file")
    assert "Ricarica il file" in message
    missing = client.post(
        action,
        data={"csrf_token": csrf_from(page), "version": str(act.version)},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 400
    message = read_form(missing.get_data(as_text=True), action).error_of("referto-file")
    assert message == "Scegliere il PDF del referto firmato."
