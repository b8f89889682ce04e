"""The table of rights, walked whole: every role (and anonymous) × every route and every event.
Generated from workflow/rights.py and the machine definitions, so it cannot drift from them."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_from, login
from tests.factories import STEP_DATA, TO_ADOPTED, open_psttm, run
from workflow.access import rights
from workflow.access.roles import ROLE_CODES
from workflow.core.errors import NotAllowed
from workflow.definitions import psttm
from workflow.procedures import operations as procedures

ANONYMOUS = "anonimo"
ARGS = {
    "procedure_id": "1",
    "event": "presenta_forum",
    "fmt": "csv",
    "username": "nessuno",  # an account the walk cannot lock itself out of
    "token_id": "999",
    "filename": "app.css",
    "token": "segreto",
    "deadline_id": "1",
    "row_id": "1",
    "act_id": "1",
    "document_id": "1",
    "anno": "2025",
    "numero": "1",
    "register": "protocollo",
    "body_id": "1",
    "consultation_id": "1",
}


def url_for_rule(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ARGS[m.group(1)], rule)


@pytest.fixture
def world(app, make_user, clock):
    """One user per role, a procedure in consultation, an API token each."""
    accounts = {role: make_user(role, username=role.replace("_", "")) for role in ROLE_CODES}
    run(
        open_psttm(accounts["direzione_generale"], clock),
        ["avvia"],
        accounts["direzione_generale"],
        clock,
    )
    return accounts


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_of_the_app_is_in_the_table(app) -> None:
    assert {rule.endpoint for rule in app.url_map.iter_rules()} <= set(rights.ROUTES)


@pytest.mark.parametrize("who", [ANONYMOUS, *ROLE_CODES])
def test_every_route_for_every_role(app, world, token_for, who) -> None:
    client = app.test_client()
    headers = {}
    if who != ANONYMOUS:
        login(client, world[who].username, "password-di-prova")
        headers = token_for(world[who])
    token = csrf_from(client.get("/login").get_data(as_text=True)) if who == ANONYMOUS else None
    for rule, method in routes(app):
        if rule.endpoint in ("auth.logout", "auth.logout_everywhere", "auth.login"):
            continue  # would end the session under test; covered in test_security
        allowed = rights.ROUTES[rule.endpoint]
        url = url_for_rule(rule.rule)
        is_api = rule.endpoint.split(".")[0] in rights.API_BLUEPRINTS
        if is_api:
            response = client.open(url, method=method, headers=headers, json={})
        else:
            page = client.get("/procedimenti").get_data(as_text=True)
            csrf = token or (csrf_from(page) if 'name="csrf_token"' in page else "")
            response = client.open(url, method=method, data={"csrf_token": csrf})
        status = response.status_code
        where = f"{who} {method} {url} → {status}"
        if allowed.public:
            assert status not in (401, 403) and not _to_login(response), where
        elif who == ANONYMOUS:
            assert status == 401 if is_api else _to_login(response), where
        elif who in allowed.roles:
            assert status not in (401, 403) and not _to_login(response), where
        else:
            assert status == 403, where


def _to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


@pytest.mark.parametrize("step", psttm.DEFINITION.steps, ids=lambda s: f"{s.source}-{s.event}")
def test_every_event_for_every_role(world, clock, step) -> None:
    """Only the roles of the step pass the service door; every other role gets NotAllowed."""
    dg = world["direzione_generale"]
    path = {
        "in_preparazione": [],
        "avviato": ["avvia"],
        "linee_guida": ["avvia", "elabora_linee_guida"],
        "consultazione": TO_ADOPTED[:-1] if step.event == "adotta" else TO_ADOPTED[:3],
        "adottato": TO_ADOPTED,
        "parere_contrario": TO_ADOPTED + ["parere_conferenza"],
        "parere_favorevole": TO_ADOPTED + ["parere_conferenza"],
    }[step.source]
    overrides = {"parere_conferenza": {"favorevole": step.source != "parere_contrario"}}
    procedure = run(open_psttm(dg, clock, 2040), path, dg, clock, **overrides)
    data = {**STEP_DATA[step.event], **overrides.get(step.event, {})}
    if step.event == "parere_conferenza":  # the datum that routes to this step's destination
        data["favorevole"] = step.dest == "parere_favorevole"
    for role, user in world.items():
        if role in step.roles:
            continue
        with pytest.raises(NotAllowed):
            procedures.advance(
                procedure.id,
                step.event,
                expected_version=procedure.version,
                data=data,
                actor=user,
                clock=clock,
            )
    role = step.roles[0]  # one allowed role fires it; the state has moved on for the others
    version = procedure.version
    fired = procedures.advance(
        procedure.id,
        step.event,
        expected_version=version,
        data=data,
        actor=world[role],
        clock=clock,
    )
    assert (fired.version, fired.state) == (version + 1, step.dest or step.source)
    recorded = fired.steps[-1]
    assert (recorded.event, recorded.recorded_by_id, recorded.recorded_role) == (
        step.event,
        world[role].id,
        role,
    )


def test_rights_page_for_admin_only(app, world) -> None:
    admin, other = app.test_client(), app.test_client()
    login(admin, "admin", "password-di-prova")
    page = admin.get("/admin/diritti").get_data(as_text=True)
    assert "Registra la delibera di adozione" in page and "Tabella dei diritti" in page
    login(other, "direzionegenerale", "password-di-prova")
    assert other.get("/admin/diritti").status_code == 403
