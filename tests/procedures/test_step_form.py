"""Issue 16 §2: a step's form is built from its definition; dates are gg/mm/aaaa text inputs and a
refused step comes back as typed with the message beside the field that caused it."""

from __future__ import annotations

from tests.conftest import csrf_from, login
from tests.factories import TO_CONSULTATION, open_psttm, run
from tests.forms_html import read_form


def test_step_dates_are_text_typed_dd_mm_yyyy(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    url = f"/procedimenti/{procedure.id}/passaggi/esame_commissione"
    form = read_form(client.get(url).get_data(as_text=True), "")
    assert form.inputs["f_data"].get("type", "text") == "text"
    assert form.inputs["f_data"]["placeholder"] == "gg/mm/aaaa"
    assert form.inputs["f_note"]["maxlength"] == "2000"


def test_a_mistyped_date_is_said_beside_it_and_the_note_kept(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    url = f"/procedimenti/{procedure.id}/passaggi/esame_commissione"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "version": procedure.version,
            "data": "31/13/2025",
            "note": "Seduta straordinaria",
        },
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "")
    assert "data non valida" in form.error_of("f_data")
    assert form.value("data") == "31/13/2025" and form.value("note") == "Seduta straordinaria"


def test_opening_a_triennio_that_exists_keeps_the_form(client, direzione, clock) -> None:
    open_psttm(direzione, clock)  # PSTTM 2025-2027
    login(client, "direzione")
    page = client.get("/procedimenti").get_data(as_text=True)
    response = client.post(
        "/procedimenti",
        data={
            "csrf_token": csrf_from(page),
            "kind": "psttm",
            "period_start": "2025",
            "title": "Un titolo scelto",
        },
    )
    assert response.status_code == 409
    form = read_form(response.get_data(as_text=True), "/procedimenti")
    assert "Esiste già" in form.error_of("period_start")
    assert form.value("title") == "Un titolo scelto" and form.value("period_start") == "2025"


def test_a_year_that_is_not_a_number_is_said_in_italian(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/procedimenti").get_data(as_text=True)
    response = client.post(
        "/procedimenti",
        data={"csrf_token": csrf_from(page), "kind": "psttm", "period_start": "duemila"},
    )
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "/procedimenti")
    assert form.error_of("period_start") == "«Primo anno del triennio»: scrivere un numero intero."


def test_planned_dates_are_typed_dd_mm_yyyy_and_a_bad_one_is_said_beside_it(
    client, direzione, clock
) -> None:
    procedure = open_psttm(direzione, clock)
    login(client, "direzione")
    url = f"/procedimenti/{procedure.id}"
    page = client.get(url).get_data(as_text=True)
    action = f"/procedimenti/{procedure.id}/pianificazione"
    form = read_form(page, action)
    names = [n for n in form.inputs if n.startswith("planned_")]
    assert len(names) >= 2 and form.inputs[names[0]]["placeholder"] == "gg/mm/aaaa"
    data = {"csrf_token": csrf_from(page), "version": str(procedure.version)}
    data[names[0]] = "30/06/2025"
    data[names[1]] = "2025-13-40"
    refused = client.post(action, data=data)
    assert refused.status_code == 422
    form = read_form(refused.get_data(as_text=True), action)
    assert "gg/mm/aaaa" in form.error_of(names[1])
    assert form.value(names[0]) == "30/06/2025" and form.value(names[1]) == "2025-13-40"
    done = client.post(action, data={**data, names[1]: "31/12/2025"})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'value="31/12/2025"' in page
