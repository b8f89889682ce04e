"""Issue 16 §2: the one-button forms (outbox requeue, unlock, API token, a Forum member in or out)
are Flask-WTF forms: a submission whose CSRF token is missing or wrong is refused in Italian (400),
even where the application-wide CSRF check is switched off, and a valid one goes through."""

from __future__ import annotations

import pytest
from flask import session
from flask_wtf.csrf import generate_csrf

from workflow.core.errors import BadRequest
from workflow.core.forms import ButtonForm


def test_a_button_without_its_token_is_refused_by_the_form_itself(app) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # the app-wide check off: the form still checks
    with (
        app.test_request_context("/posta/1/riprova", method="POST", data={}),
        pytest.raises(BadRequest, match="ricarica la pagina"),
    ):
        ButtonForm().checked()


def test_a_button_with_its_token_passes_and_says_on_or_off(app) -> None:
    with app.test_request_context("/"):
        token = generate_csrf()
        cookie = dict(session)
    for active, on in (("1", True), ("0", False), ("", False)):
        with app.test_request_context(
            "/x", method="POST", data={"csrf_token": token, "active": active}
        ):
            session.update(cookie)
            assert ButtonForm().checked().on is on
