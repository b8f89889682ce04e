"""Issue 16 §2: a deadline refused re-renders the list with the form as typed and the message
beside the field; dates are text fields typed gg/mm/aaaa."""

from __future__ import annotations

from tests.conftest import csrf_from, login
from tests.forms_html import read_form


def test_a_deadline_without_a_date_keeps_what_was_typed(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/scadenze").get_data(as_text=True)
    form = read_form(page, "/scadenze")
    assert form.inputs["due_date"].get("type", "text") == "text"
    assert form.inputs["due_date"]["placeholder"] == "gg/mm/aaaa"
    assert form.inputs["title"]["maxlength"] == "300"
    response = client.post(
        "/scadenze",
        data={
            "csrf_token": csrf_from(page),
            "title": "Relazione annuale",
            "kind": "parere",
            "responsible_role": "dirigente",
            "legal_basis": "TUEL art. 49",
            "description": "Da inviare alla Direzione",
        },
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "/scadenze")
    assert form.error_of("due_date") == "Manca la data della scadenza."
    assert form.value("title") == "Relazione annuale"
    assert form.value("kind") == "parere" and form.value("responsible_role") == "dirigente"
    assert form.value("description") == "Da inviare alla Direzione"


def test_a_date_typed_the_american_way_is_refused_beside_it(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/scadenze").get_data(as_text=True)
    response = client.post(
        "/scadenze",
        data={"csrf_token": csrf_from(page), "title": "X", "due_date": "12/31/2026"},
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "/scadenze")
    assert "gg/mm/aaaa" in form.error_of("due_date")
    assert form.value("due_date") == "12/31/2026"


def test_a_refused_address_is_said_beside_it_and_kept(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/profilo/posta").get_data(as_text=True)
    response = client.post(
        "/profilo/posta",
        data={"email": "müller@esempio.it", "digest": "1", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "")
    assert "SMTPUTF8" in form.error_of("email")
    assert form.value("email") == "müller@esempio.it" and form.value("digest") == "1"


def test_closing_twice_is_said_on_the_deadline_page(client, direzione, clock) -> None:
    from datetime import date

    from workflow.deadlines import operations as deadlines

    d = deadlines.create_deadline(
        title="Relata", due_date=date(2025, 7, 8), actor=direzione, clock=clock
    )
    deadlines.settle(d.id, "met", actor=direzione, clock=clock)
    login(client, "direzione")
    page = client.get(f"/scadenze/{d.id}").get_data(as_text=True)
    response = client.post(
        f"/scadenze/{d.id}/chiusura",
        data={"state": "cancelled", "note": "Doppione", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "La scadenza è già adempiuta" in html  # on its page, not a bare error page
    assert "<h1>" in html and "Relata" in html
