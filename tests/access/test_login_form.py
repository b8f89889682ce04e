"""Issue 16 §2: the login is a WTForms form. A refused login comes back with the username kept
(never the password), the message beside an empty field, and the statuses it always had: 401 for
a wrong pair, 429 while blocked."""

from __future__ import annotations

from tests.conftest import csrf_from
from tests.forms_html import read_form
from workflow.access import operations as users


def _post(client, **data):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"csrf_token": csrf_from(page), **data})


def test_a_wrong_password_answers_401_with_the_username_kept(client, direzione) -> None:
    response = _post(client, username="direzione", password="sbagliata-davvero")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Nome utente o password non corretti." in html
    form = read_form(html, "")
    assert form.value("username") == "direzione"
    assert form.value("password") == ""  # a password is never sent back
    assert form.inputs["username"]["maxlength"] == "80"


def test_an_empty_password_is_said_beside_the_password(client, direzione) -> None:
    response = _post(client, username="direzione", password="")
    assert response.status_code == 422
    form = read_form(response.get_data(as_text=True), "")
    assert form.error_of("password") == "Manca la password."
    assert form.value("username") == "direzione"


def test_the_lockout_still_answers_429_with_the_username_kept(client, direzione) -> None:
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT):
        assert _post(client, username="direzione", password="sbagliata").status_code == 401
    blocked = _post(client, username="direzione", password="sbagliata")
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "Troppi tentativi" in html
    assert read_form(html, "").value("username") == "direzione"


def test_a_login_without_csrf_is_refused(client, direzione) -> None:
    from tests.conftest import PASSWORD

    response = client.post("/login", data={"username": "direzione", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/atti").status_code == 302  # still not logged in
