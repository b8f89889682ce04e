"""The staff UI: login, list, detail with milestones and acts, one step through a form."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_from, login
from tests.factories import PRESENTATIONS, TO_CONSULTATION, open_psttm, run


def test_pages_need_login(client) -> None:
    response = client.get("/procedimenti")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_in_italian(client, direzione) -> None:
    response = login(client, "direzione", "sbagliata-davvero")
    assert response.status_code == 401
    assert "non corretti" in response.get_data(as_text=True)


def test_password_is_stored_hashed(direzione) -> None:
    assert PASSWORD not in direzione.password_hash
    assert direzione.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_list_and_detail_show_state_and_acts(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    listing = client.get("/procedimenti").get_data(as_text=True)
    assert "PSTTM 2025-2027" in listing and "Consultazione" in listing
    page = client.get(f"/procedimenti/{procedure.id}").get_data(as_text=True)
    assert "Decreto R.G. 43/2025 del 19/02/2025" in page
    assert "Decreto R.G. 264/2024 del 22/10/2024" in page
    assert "Registra il primo esame in Commissione" in page


def test_advance_one_step_through_the_form(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    url = f"/procedimenti/{procedure.id}/passaggi/esame_commissione"
    form = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "version": procedure.version,
            "data": "2025-03-12",
            "note": "Seduta <b>ordinaria</b>",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/procedimenti/{procedure.id}").get_data(as_text=True)
    assert "12/03/2025" in page
    assert "Seduta &lt;b&gt;ordinaria&lt;/b&gt;" in page  # user text is escaped


def test_guard_failure_shows_the_message_and_keeps_the_form(client, direzione, clock) -> None:
    procedure = run(
        open_psttm(direzione, clock), TO_CONSULTATION + PRESENTATIONS[:1], direzione, clock
    )
    login(client, "direzione")
    url = f"/procedimenti/{procedure.id}/passaggi/adotta"
    form = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "version": procedure.version,
            "numero": "12",
            "data": "2025-04-30",
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Adozione non possibile" in text and 'value="12"' in text


def test_form_without_csrf_token_is_400(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    response = client.post(
        f"/procedimenti/{procedure.id}/passaggi/presenta_forum",
        data={"version": procedure.version, "data": "2025-03-27"},
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_role_that_may_not_gets_403_page(client, make_user, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    make_user("dirigente", username="dirigente")
    login(client, "dirigente")
    page = client.get(f"/procedimenti/{procedure.id}").get_data(as_text=True)
    assert "Nessun passaggio disponibile" in page
    url = f"/procedimenti/{procedure.id}/passaggi/presenta_forum"
    form = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={"csrf_token": csrf_from(form), "version": procedure.version, "data": "2025-03-27"},
    )
    assert response.status_code == 403


def test_open_next_triennio_from_the_list(client, direzione, clock) -> None:
    open_psttm(direzione, clock)
    login(client, "direzione")
    page = client.get("/procedimenti").get_data(as_text=True)
    assert 'value="2026"' in page
    response = client.post(
        "/procedimenti",
        data={"csrf_token": csrf_from(page), "kind": "psttm", "period_start": "2026"},
    )
    assert response.status_code == 302
    assert "PSTTM 2026-2028" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_logout(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/procedimenti").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert client.get("/procedimenti").status_code == 302
