"""Issue 17: users carry a codice fiscale (16 characters, check character per DM 23/12/1976),
set on the admin page and with `flask users`; it is unique, audited, and the demo has them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from, login
from workflow.access import operations as users
from workflow.access.models import User
from workflow.access.roles import ADMIN
from workflow.audit.models import AuditEvent
from workflow.core import codicefiscale
from workflow.core.errors import Conflict, InvalidData
from workflow.demo.load import DEMO_CODICI_FISCALI
from workflow.extensions import db


@pytest.mark.parametrize(
    "code",
    [
        "RSSMRA85T10A562S",  # the Agenzia delle Entrate's own example
        "rssmra85t10a562s",  # typed in lower case
        "RSS MRA 85T10 A562S",  # typed with spaces
        "RSSMRA85T10A56NH",  # omocodia: the last digit replaced, check character recomputed
        *DEMO_CODICI_FISCALI.values(),
    ],
)
def test_valid_codici_fiscali_are_accepted_in_upper_case(code):
    assert codicefiscale.check(code) == codicefiscale.normalise(code)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("RSSMRA85T10A562", "16 caratteri"),
        ("RSSMRA85T10A562SX", "16 caratteri"),
        ("RSSMRA85Z10A562S", "non ha la forma"),  # Z is no month
        ("1SSMRA85T10A562S", "non ha la forma"),
        ("RSSMRA85T10A562T", "dovrebbe essere S"),
    ],
)
def test_malformed_codici_fiscali_are_refused_saying_why(code, why):
    with pytest.raises(InvalidData, match=why):
        codicefiscale.check(code)


def test_certificate_serial_number_gives_the_codice_fiscale():
    assert codicefiscale.from_certificate_serial("TINIT-RSSMRA85T10A562S") == "RSSMRA85T10A562S"
    assert codicefiscale.from_certificate_serial("tinit-rssmra85t10a562s") == "RSSMRA85T10A562S"
    assert codicefiscale.from_certificate_serial("VATIT-12345678901") is None
    assert codicefiscale.from_certificate_serial(None) is None


def test_admin_form_creates_a_user_with_codice_fiscale_and_refuses_a_bad_one(client, make_user):
    admin = make_user(ADMIN)
    login(client, admin.username)
    token = csrf_from(client.get("/admin/utenti").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "username": "m.rossi",
        "full_name": "Mario Rossi",
        "password": "una-password-lunga",
        "roles": ["dirigente"],
    }
    refused = client.post("/admin/utenti", data={**form, "codice_fiscale": "RSSMRA85T10A562T"})
    assert refused.status_code == 422
    assert "dovrebbe essere S" in refused.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "m.rossi")) is None
    created = client.post("/admin/utenti", data={**form, "codice_fiscale": "rssmra85t10a562s"})
    assert created.status_code == 302
    assert users.find_user("m.rossi").codice_fiscale == "RSSMRA85T10A562S"


def test_admin_sets_and_clears_a_codice_fiscale_audited_and_unique(client, make_user):
    admin = make_user(ADMIN)
    other = make_user("dirigente")
    login(client, admin.username)
    page = client.get("/admin/utenti").get_data(as_text=True)
    url = f"/admin/utenti/{other.username}/codice-fiscale"
    answer = client.post(url, data={"csrf_token": csrf_from(page), "codice_fiscale": "XX"})
    assert answer.status_code == 422 and "16 caratteri" in answer.get_data(as_text=True)
    answer = client.post(
        url, data={"csrf_token": csrf_from(page), "codice_fiscale": "RSSMRA85T10A562S"}
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert users.find_user(other.username).codice_fiscale == "RSSMRA85T10A562S"
    assert "RSSMRA85T10A562S" in client.get("/admin/utenti").get_data(as_text=True)
    taken = client.post(
        f"/admin/utenti/{admin.username}/codice-fiscale",
        data={"csrf_token": csrf_from(page), "codice_fiscale": "RSSMRA85T10A562S"},
    )
    assert taken.status_code == 409
    client.post(url, data={"csrf_token": csrf_from(page), "codice_fiscale": ""})
    db.session.expire_all()
    assert users.find_user(other.username).codice_fiscale is None
    changes = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.codice_fiscale_changed")
    ).all()
    assert len(changes) == 2


def test_cli_creates_with_and_sets_a_codice_fiscale(app, clock):
    runner = app.test_cli_runner()
    base = ["users", "create", "--username", "p.verdi", "--full-name", "Paola Verdi"]
    result = runner.invoke(
        args=[*base, "--role", "ragioneria", "--password", "una-password-lunga"]
        + ["--codice-fiscale", "VRDPLA75H45F205C"]
    )
    assert result.exit_code == 0, result.output
    assert users.find_user("p.verdi").codice_fiscale == "VRDPLA75H45F205C"
    bad = runner.invoke(args=["users", "codice-fiscale", "p.verdi", "VRDPLA75H45F205X"])
    assert bad.exit_code == 1 and "dovrebbe essere C" in bad.output
    cleared = runner.invoke(args=["users", "codice-fiscale", "p.verdi", "-"])
    assert cleared.exit_code == 0 and "senza codice fiscale" in cleared.output


def test_same_codice_fiscale_cannot_belong_to_two_users(app, clock):
    users.create_user(
        "a.uno",
        "A Uno",
        "una-password-lunga",
        ["dirigente"],
        actor=None,
        clock=clock,
        codice_fiscale="RSSMRA85T10A562S",
    )
    with pytest.raises(Conflict, match="già associato"):
        users.create_user(
            "b.due",
            "B Due",
            "una-password-lunga",
            ["dirigente"],
            actor=None,
            clock=clock,
            codice_fiscale="RSSMRA85T10A562S",
        )
