"""Accounts and hardening: rate limits, session expiry, logout everywhere, tokens, headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_from, login
from workflow.access import operations as users
from workflow.audit.models import AuditEvent
from workflow.extensions import db


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_login_and_failure_are_audited(client, direzione) -> None:
    login(client, "direzione", "sbagliata-davvero")
    login(client, "direzione")
    assert actions()[-2:] == ["login.failed", "login.succeeded"]


def test_brute_force_on_an_account_is_rate_limited(client, direzione, clock) -> None:
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT):
        assert login(client, "direzione", "sbagliata-davvero").status_code == 401
    blocked = login(client, "direzione")  # even the right password, while blocked
    assert blocked.status_code == 429
    assert "Troppi tentativi" in blocked.get_data(as_text=True)
    clock.instant += users.LOGIN_WINDOW + timedelta(seconds=1)
    assert login(client, "direzione").status_code == 302


def test_brute_force_from_one_address_is_rate_limited(client, make_user) -> None:
    for i in range(users.MAX_FAILURES_PER_ADDRESS):
        login(client, f"nessuno{i}", "sbagliata-davvero")
    make_user("dirigente", username="dirigente")
    assert login(client, "dirigente").status_code == 429


def test_session_expires_after_the_absolute_limit(app, client, direzione) -> None:
    login(client, "direzione")
    assert client.get("/procedimenti").status_code == 200
    with client.session_transaction() as session:
        session["login_at"] -= app.config["SESSION_MAX_SECONDS"] + 1
    response = client.get("/procedimenti")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_ends_after_the_idle_limit_measured_on_the_apps_clock(
    app, client, direzione, clock
):
    login(client, "direzione")
    idle = app.config["PERMANENT_SESSION_LIFETIME"]
    clock.instant += idle - timedelta(seconds=1)
    assert client.get("/procedimenti").status_code == 200
    clock.instant += idle + timedelta(seconds=1)
    response = client.get("/procedimenti")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_requests_keep_a_session_alive_until_the_absolute_limit_on_the_apps_clock(
    app, client, direzione, clock
) -> None:
    app.config["SESSION_MAX_SECONDS"] = 3600
    login(client, "direzione")
    step = app.config["PERMANENT_SESSION_LIFETIME"] - timedelta(minutes=5)  # 25 minutes
    for _ in range(2):  # 50 minutes after login, never idle for long
        clock.instant += step
        assert client.get("/procedimenti").status_code == 200
    clock.instant += step  # 75 minutes after login: past the hour, though not idle
    response = client.get("/procedimenti")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_cookie_is_httponly_samesite_and_expires(app, client, direzione) -> None:
    response = login(client, "direzione")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)


def test_logout_everywhere_ends_other_sessions(app, direzione) -> None:
    phone, desk = app.test_client(), app.test_client()
    login(phone, "direzione")
    login(desk, "direzione")
    page = desk.get("/procedimenti").get_data(as_text=True)
    desk.post("/logout-ovunque", data={"csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert phone.get("/procedimenti").status_code == 302
    assert "user.logged_out_everywhere" in actions()


def test_disabled_user_cannot_log_in_and_loses_sessions(app, client, direzione, clock) -> None:
    login(client, "direzione")
    users.set_active("direzione", False, actor=None, clock=clock)
    db.session.expire_all()
    assert client.get("/procedimenti").status_code == 302
    assert login(app.test_client(), "direzione").status_code == 401


def test_revoked_token_is_refused(client, direzione, clock) -> None:
    token = users.issue_token("direzione", actor=None, clock=clock)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/procedures", headers=headers).status_code == 200
    (row,) = users.tokens_of(direzione)
    users.revoke_token(row.id, actor=None, clock=clock)
    assert client.get("/api/v1/procedures", headers=headers).status_code == 401
    assert row.token_hash != token and len(row.token_hash) == 64  # stored hashed


def test_token_use_is_audited_once_a_day(client, direzione, clock) -> None:
    token = users.issue_token("direzione", actor=None, clock=clock)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        client.get("/api/v1/procedures", headers=headers)
    assert actions().count("token.used") == 1
    clock.instant += timedelta(days=1)
    client.get("/api/v1/procedures", headers=headers)
    assert actions().count("token.used") == 2


def test_role_change_is_audited(direzione, clock) -> None:
    users.set_roles(
        "direzione", ["direzione_generale", "segretario_generale"], actor=None, clock=clock
    )
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "user.roles_changed"
    assert "segretario_generale" in event.payload


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/procedimenti",
        "/api/v1/procedures",
        "/nessuna",
        "/static/app.css",
        "/registro/checkpoint",
    ],
)
def test_security_headers_on_every_response(client, path) -> None:
    response = client.get(path)
    response.close()
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_no_inline_script_or_style_in_pages(client, direzione) -> None:
    login(client, "direzione")
    for path in ["/login", "/procedimenti"]:
        html = client.get(path).get_data(as_text=True)
        # Scripts only as files from 'self' (the kit's bundle), never inline.
        assert not re.search(r'<script(?![^>]*\ssrc="/static/)', html)
        assert "style=" not in html and "<style" not in html


def test_password_checks_use_a_current_hash(direzione) -> None:
    assert direzione.password_hash.startswith("scrypt:")
    assert users.authenticate("direzione", PASSWORD) is not None


def test_delegation_is_honoured_only_within_its_dates(app, make_user, direzione, clock) -> None:
    """Decreto R.G. 148/2023: the Vice Sindaco acts as Sindaco by delega, within its dates."""
    from datetime import date

    from tests.factories import open_psttm
    from workflow.core.errors import NotAllowed
    from workflow.procedures import operations as procedures

    vice = make_user("dirigente", username="vassallo")
    procedure = open_psttm(direzione, clock)
    users.delegate(
        "vassallo",
        "sindaco",
        "Decreto R.G. 148/2023",
        date(2025, 6, 1),
        date(2025, 6, 30),
        actor=None,
        clock=clock,
    )
    data = {"numero": "264/2024", "data": "2024-10-22"}
    with pytest.raises(NotAllowed):  # 01/07/2025: the delega ended the day before
        procedures.advance(
            procedure.id, "avvia", expected_version=1, data=data, actor=vice, clock=clock
        )
    clock.instant -= timedelta(days=1)  # 30/06/2025, last day of the delega
    assert [s.event for s in procedures.allowed_events(procedure, vice, clock)] == ["avvia"]
    done = procedures.advance(
        procedure.id, "avvia", expected_version=1, data=data, actor=vice, clock=clock
    )
    assert done.steps[-1].recorded_role == "sindaco"
    assert "delegation.created" in actions()


def test_a_session_cookie_copied_before_logout_is_refused_after_it(app, client, direzione):
    login(client, "direzione")
    page = client.get("/procedimenti").get_data(as_text=True)
    copied = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    replay = app.test_client()
    replay.set_cookie("session", copied)
    response = replay.get("/procedimenti")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert actions()[-1] == "user.logged_out"


def test_logout_ends_this_session_only(app, direzione) -> None:
    phone, desk = app.test_client(), app.test_client()
    login(phone, "direzione")
    login(desk, "direzione")
    page = desk.get("/procedimenti").get_data(as_text=True)
    desk.post("/logout", data={"csrf_token": csrf_from(page)})
    assert desk.get("/procedimenti").status_code == 302
    assert phone.get("/procedimenti").status_code == 200
