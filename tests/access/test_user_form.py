"""Issue 16 §2: a new user refused comes back with what was typed (never the password) and the
message beside the field that caused it."""

from __future__ import annotations

from tests.access.test_admin_pages import _post, admin_client  # noqa: F401 (fixture)
from tests.forms_html import read_form


def test_a_user_without_a_role_keeps_the_typed_fields(admin_client) -> None:  # noqa: F811
    answer = _post(
        admin_client,
        "/admin/utenti",
        {"username": "m.rossi", "full_name": "Maria Rossi", "password": "una-password-lunga"},
    )
    assert answer.status_code == 422
    form = read_form(answer.get_data(as_text=True), "/admin/utenti")
    assert form.error_of("roles").startswith("Scegli almeno un ruolo")
    assert form.value("username") == "m.rossi" and form.value("full_name") == "Maria Rossi"
    assert form.value("password") == ""  # a password is never sent back
    assert form.inputs["full_name"]["maxlength"] == "200"


def test_a_taken_username_is_said_beside_it_with_409(admin_client) -> None:  # noqa: F811
    answer = _post(
        admin_client,
        "/admin/utenti",
        {
            "username": "capo",
            "full_name": "Un altro",
            "password": "una-password-lunga",
            "roles": ["albo", "segretario_generale"],
        },
    )
    assert answer.status_code == 409
    form = read_form(answer.get_data(as_text=True), "/admin/utenti")
    assert "esiste già" in form.error_of("username")
    assert form.values["roles"] == ["segretario_generale", "albo"]  # the list's order


def test_removing_every_role_is_said_beside_the_roles_of_that_user(
    admin_client,  # noqa: F811
    make_user,
) -> None:
    other = make_user("albo", username="vice")
    answer = _post(admin_client, "/admin/utenti/vice/ruoli", {})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    error = html[html.index(f'id="ruoli-{other.id}-errore"') :]
    assert "almeno un ruolo" in error[: error.index("</div>")]


def test_a_wrong_codice_fiscale_is_kept_beside_its_message(admin_client, make_user) -> None:  # noqa: F811
    other = make_user("albo", username="vice")
    answer = _post(admin_client, "/admin/utenti/vice/codice-fiscale", {"codice_fiscale": "RSSMRA"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'value="RSSMRA"' in html
    assert f'id="cf-{other.id}-errore"' in html
