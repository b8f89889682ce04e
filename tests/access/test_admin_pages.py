"""Administration that an office needs without a shell: the last administrator cannot be
disabled or demoted, an account locked by failed logins is unlocked from the users page, and
delegations are recorded and revoked on a page (issue 16 §4)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_from, login
from workflow.access import operations as users
from workflow.access.models import Delegation
from workflow.audit.models import AuditEvent
from workflow.core.errors import Conflict
from workflow.extensions import db


@pytest.fixture
def admin_client(client, make_user):
    make_user("admin", username="capo")
    assert login(client, "capo").status_code == 302
    return client


def _post(client, path: str, data: dict, page: str = "/admin/utenti"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_last_active_admin_cannot_be_disabled_or_demoted(admin_client, make_user) -> None:
    events = _count(AuditEvent)
    answer = _post(admin_client, "/admin/utenti/capo/stato", {"active": "0"})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "ultimo amministratore attivo" in page
    assert "Nuovo utente" in page  # said on the users page, not on a bare error page
    answer = _post(admin_client, "/admin/utenti/capo/ruoli", {"roles": ["direzione_generale"]})
    assert answer.status_code == 409
    assert _count(AuditEvent) == events
    # With a second active administrator, the first may go.
    make_user("admin", username="vice")
    assert _post(admin_client, "/admin/utenti/vice/stato", {"active": "0"}).status_code == 302
    with pytest.raises(Conflict):
        users.set_roles("capo", ["sindaco"], actor=None, clock=users_clock(admin_client))
    users.set_active("vice", True, actor=None, clock=users_clock(admin_client))
    assert _post(admin_client, "/admin/utenti/vice/ruoli", {"roles": ["albo"]}).status_code == 302


def users_clock(client):
    return client.application.config["CLOCK"]


def test_admin_unlocks_an_account_locked_by_failed_logins(app, client, make_user, clock) -> None:
    make_user("admin", username="capo")
    make_user("dirigente", username="dirigente")
    other = app.test_client()
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT):
        assert login(other, "dirigente", "sbagliata-davvero").status_code == 401
    assert login(other, "dirigente").status_code == 429

    login(client, "capo")
    page = client.get("/admin/utenti").get_data(as_text=True)
    assert "Bloccato per accessi non riusciti" in page
    answer = _post(client, "/admin/utenti/dirigente/sblocca", {})
    assert answer.status_code == 302
    assert "Bloccato per accessi" not in client.get("/admin/utenti").get_data(as_text=True)
    assert login(other, "dirigente").status_code == 302
    # Unlocking an account that is not locked says so; the attempts stay recorded.
    assert _post(client, "/admin/utenti/dirigente/sblocca", {}).status_code == 409
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions.count("user.unlocked") == 1
    assert actions.count("login.failed") == users.MAX_FAILURES_PER_ACCOUNT


def test_unlock_counts_only_failures_after_it(client, make_user, clock) -> None:
    make_user("dirigente", username="dirigente")
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT):
        login(client, "dirigente", "sbagliata-davvero")
    users.unlock("dirigente", actor=None, clock=clock)
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT - 1):
        assert login(client, "dirigente", "sbagliata-davvero").status_code == 401
    assert login(client, "dirigente").status_code == 302


def test_delegations_are_recorded_and_revoked_on_a_page(admin_client, make_user, clock) -> None:
    make_user("direzione_generale", username="vicedg")
    page = admin_client.get("/admin/deleghe").get_data(as_text=True)
    assert "Nessuna delega registrata" in page and "Nuova delega" in page
    answer = _post(
        admin_client,
        "/admin/deleghe",
        {
            "username": "vicedg",
            "role": "sindaco",
            "act": "Decreto R.G. 148/2023",
            "valid_from": "01/07/2025",
            "valid_to": "31/12/2025",
        },
        page="/admin/deleghe",
    )
    assert answer.status_code == 302
    delegation = db.session.scalars(select(Delegation)).one()
    assert (delegation.valid_from, delegation.valid_to) == (date(2025, 7, 1), date(2025, 12, 31))
    page = admin_client.get("/admin/deleghe").get_data(as_text=True)
    assert "Decreto R.G. 148/2023" in page and "In vigore" in page
    assert "Sindaco metropolitano" in page and ">sindaco<" not in page  # no role code shown

    answer = _post(admin_client, f"/admin/deleghe/{delegation.id}/revoca", {}, "/admin/deleghe")
    assert answer.status_code == 302
    assert "Revocata il" in admin_client.get("/admin/deleghe").get_data(as_text=True)
    answer = _post(admin_client, f"/admin/deleghe/{delegation.id}/revoca", {}, "/admin/deleghe")
    assert answer.status_code == 409
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions.count("delegation.created") == 1 and actions.count("delegation.revoked") == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"valid_from": "31/02/2025"}, "valid_from", "Data non valida"),
        ({"valid_from": "01/07/2025", "valid_to": "30/06/2025"}, "valid_to", "prima di iniziare"),
        ({"act": "Decreto\nR.G. 1/2025"}, "act", "a capo"),
        ({"act": "x" * 201}, "act", "troppo lungo"),
        ({"role": ""}, "role", "Scegli il ruolo"),
        ({"role": "admin"}, "role", "si possono delegare"),
        ({"username": "nessuno"}, "username", "utenti attivi"),
        ({"valid_from": "01/01/9999"}, "valid_from", "«Dal»"),
    ],
)
def test_a_wrong_delegation_comes_back_with_what_was_typed_and_the_message_beside_it(
    admin_client, make_user, data, field, message
) -> None:
    make_user("direzione_generale", username="vicedg")
    typed = {
        "username": "vicedg",
        "role": "sindaco",
        "act": "Decreto R.G. 148/2023",
        "valid_from": "01/07/2025",
        **data,
    }
    answer = _post(admin_client, "/admin/deleghe", typed, page="/admin/deleghe")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert f'id="{field}-errore"' in page
    error = page.split(f'id="{field}-errore">', 1)[1].split("</p>", 1)[0]
    assert message in error
    if field != "username":
        kept = re.search(r'<option (selected value="vicedg"|value="vicedg" selected)', page)
        assert kept, "the chosen delegate is kept"
    if field != "act":
        assert 'value="Decreto R.G. 148/2023"' in page
    assert _count(Delegation) == 0


def test_a_user_without_roles_is_refused_on_the_users_page(admin_client, make_user) -> None:
    make_user("dirigente", username="dirigente")
    answer = _post(admin_client, "/admin/utenti/dirigente/ruoli", {})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Scegli almeno un ruolo" in page and "Nuovo utente" in page
