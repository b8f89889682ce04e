"""The table of rights, walked whole: every role (and anonymous) × every route, every operation and
every event, held and by a dated delegation (valid today, not yet valid, expired). Generated from
workflow/access/rights.py and the machine definitions, so it cannot drift from them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import NOW, PASSWORD, csrf_from, login
from tests.factories import STEP_DATA, TO_ADOPTED, open_psttm, run
from workflow.access import operations as users
from workflow.access import rights
from workflow.access.models import User, UserRole
from workflow.access.roles import DIRIGENTE, RAGIONERIA, ROLE_CODES
from workflow.acts import documents, registers
from workflow.acts import operations as acts
from workflow.consultations import operations as contributions
from workflow.consultations import territory
from workflow.core.errors import DomainError, NotAllowed
from workflow.deadlines import operations as deadlines
from workflow.definitions import LATEST
from workflow.extensions import db
from workflow.mail import sender
from workflow.mail import settings as mail_settings
from workflow.procedures import operations as procedures
from workflow.protocollo import operations as protocollo

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
    "giorno": "2025-06-30",  # a daily register's day and file
    "formato": "pdf",
    "body_id": "1",
    "consultation_id": "1",
    "delegation_id": "999",
    "step_id": "1",
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


TODAY = date(2025, 7, 1)  # NOW of the fixtures, in Europe/Rome
# From → to, inclusive; the boundaries sit next to today on purpose.
PERIODS = {
    "valida": (TODAY, TODAY + timedelta(days=30)),
    "non_ancora_valida": (TODAY + timedelta(days=1), None),
    "scaduta": (TODAY - timedelta(days=30), TODAY - timedelta(days=1)),
}
NOT_HONOURED = ("non_ancora_valida", "scaduta")


def own_role(delegated: str) -> str:
    """The role a delegate holds in its own right (every account holds one): one with no
    operation and no restricted page, so what the delegation adds shows."""
    return RAGIONERIA if delegated != RAGIONERIA else DIRIGENTE


@pytest.fixture
def delegates(world, clock) -> Callable[[str], tuple[User, set[str]]]:
    """name → (a delegate, the roles that must count for it today), made on first ask.

    A role's name: a delegate of that role, valid today. A period not honoured today: a delegate
    holding a delegation of every other role in that period, of which none may count.
    """
    made: dict[str, tuple[User, set[str]]] = {}

    def make(name: str, held: str, roles: list[str], period: str) -> User:
        # A cheap hash: many delegates, and create_user's own hashing is tested elsewhere.
        user = User(
            username=name,
            full_name=f"Delegato {name}",
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1"),
            created_at=clock.now(),
            roles=[UserRole(role=held)],
        )
        db.session.add(user)
        db.session.commit()
        start, end = PERIODS[period]
        for role in roles:
            users.delegate(name, role, "Decreto R.G. 148/2023", start, end, actor=None, clock=clock)
        return user

    def get(name: str) -> tuple[User, set[str]]:
        if name not in made:
            username = "delega" + name.replace("_", "")
            if name in PERIODS:
                others = [r for r in users.DELEGABLE_ROLES if r != RAGIONERIA]
                made[name] = (make(username, RAGIONERIA, others, name), {RAGIONERIA})
            else:
                user = make(username, own_role(name), [name], "valida")
                made[name] = (user, {own_role(name), name})
        return made[name]

    return get


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
        is_api = rule.endpoint.split(".")[0] in rights.API_BLUEPRINTS
        response = _call(client, rule, method, headers, token)
        status = response.status_code
        where = f"{who} {method} {rule.rule} → {status}"
        if allowed.public:
            assert status not in (401, 403) and not _to_login(response), where
        elif who == ANONYMOUS:
            assert status == 401 if is_api else _to_login(response), where
        elif who in allowed.roles:
            assert status not in (401, 403) and not _to_login(response), where
        else:
            assert status == 403, where


def _call(client, rule, method: str, headers: dict[str, str], token: str | None):
    """One request to `rule`: JSON with the bearer token on the API, a form with CSRF elsewhere."""
    url = url_for_rule(rule.rule)
    if rule.endpoint.split(".")[0] in rights.API_BLUEPRINTS:
        return client.open(url, method=method, headers=headers, json={})
    page = client.get("/procedimenti").get_data(as_text=True)
    csrf = token or (csrf_from(page) if 'name="csrf_token"' in page else "")
    return client.open(url, method=method, data={"csrf_token": csrf})


def _to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


@pytest.mark.parametrize("delegate", [*users.DELEGABLE_ROLES, *NOT_HONOURED])
def test_every_route_for_a_dated_delegation(app, delegates, token_for, delegate) -> None:
    """A role delegated for today opens that role's pages and API routes, through to the service
    behind them; a delegation not yet valid or expired opens none of them.

    Only the routes some role is refused are walked: the delegate's own role opens the others.
    """
    user, counted = delegates(delegate)
    client = app.test_client()
    login(client, user.username)
    headers = token_for(user)
    for rule, method in routes(app):
        allowed = rights.ROUTES[rule.endpoint]
        if allowed.public or set(allowed.roles) == set(rights.STAFF):
            continue
        status = _call(client, rule, method, headers, None).status_code
        where = f"delega {delegate} {method} {rule.rule} → {status}"
        if counted & set(allowed.roles):
            assert status not in (401, 403), where
        else:
            assert status == 403, where


@pytest.mark.parametrize("step", LATEST["psttm"].steps, ids=lambda s: f"{s.source}-{s.event}")
def test_every_event_for_every_role(world, clock, step) -> None:
    """Only the roles of the step pass the service door; every other role gets NotAllowed."""
    procedure, data = _ready_for(step, world["direzione_generale"], clock)
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


def _ready_for(step, dg: User, clock) -> tuple[Any, dict[str, Any]]:
    """A fresh procedure in the step's source state, and data the step accepts."""
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
    return procedure, data


@pytest.mark.parametrize("step", LATEST["psttm"].steps, ids=lambda s: f"{s.source}-{s.event}")
def test_every_event_for_a_dated_delegation(world, delegates, clock, step) -> None:
    """A delegate fires the step of the delegated role on the days the delegation covers, and is
    recorded under that role; with the delegation not yet valid or expired, NotAllowed."""
    procedure, data = _ready_for(step, world["direzione_generale"], clock)
    for name in NOT_HONOURED:
        user, counted = delegates(name)
        assert not counted & set(step.roles)
        with pytest.raises(NotAllowed):
            procedures.advance(
                procedure.id,
                step.event,
                expected_version=procedure.version,
                data=data,
                actor=user,
                clock=clock,
            )
    role, version = step.roles[0], procedure.version
    fired = procedures.advance(
        procedure.id,
        step.event,
        expected_version=version,
        data=data,
        actor=delegates(role)[0],
        clock=clock,
    )
    assert fired.version == version + 1
    assert fired.steps[-1].event == step.event and fired.steps[-1].recorded_role == role


# The rights table's operations that a service enforces, each with the calls that enforce it.
# The arguments are chosen to fail after the rights check (unknown id, empty field), so a call
# either raises NotAllowed or shows that the check let the actor through.
OperationCall = Callable[[User], object]
PROPOSAL_FIELDS = ("oggetto", "fascicolo", "proponente", "materia", "struttura", "testo")
MISSING = 2_000_000_000  # no such row


def operation_calls(world, clock) -> dict[str, list[OperationCall]]:
    dg = world["direzione_generale"]
    procedure = open_psttm(dg, clock, 2045)
    act = acts.propose(
        "decreto_sindaco",
        oggetto="Oggetto",
        fascicolo="2.16/2024/1",
        proponente="Proponente",
        materia="Materia",
        struttura="Struttura",
        testo="Testo",
        actor=dg,
        clock=clock,
    )
    deadline = deadlines.create_deadline(title="Scadenza", due_date=TODAY, actor=dg, clock=clock)
    other = users.create_user(
        "altro", "Altro utente", PASSWORD, [RAGIONERIA], actor=None, clock=clock
    )
    return {
        "procedure.open": [
            lambda u: procedures.open_procedure("psttm", 1999, actor=u, clock=clock),
        ],
        "procedure.plan": [
            lambda u: procedures.plan_milestones(
                procedure.id,
                expected_version=procedures.get(procedure.id).version,
                planned={"nessuna": None},
                actor=u,
                clock=clock,
            ),
        ],
        "deadlines.manage": [
            lambda u: deadlines.create_deadline(title="", due_date=TODAY, actor=u, clock=clock),
            lambda u: deadlines.settle(deadline.id, "nessuno", actor=u, clock=clock),
        ],
        "act.propose": [
            lambda u: acts.propose(
                "decreto_sindaco",
                **dict.fromkeys(PROPOSAL_FIELDS, ""),
                actor=u,
                clock=clock,
            ),
        ],
        "act.upload": [
            lambda u: documents.attach(
                act.id,
                expected_version=acts.get(act.id).version,
                filename="atto.pdf",
                content=b"",
                kind="nessuno",
                actor=u,
                clock=clock,
            ),
            lambda u: documents.change_role(
                act.id,
                MISSING,
                expected_version=acts.get(act.id).version,
                kind="allegato",
                actor=u,
                clock=clock,
            ),
            lambda u: documents.withdraw(
                act.id,
                MISSING,
                expected_version=acts.get(act.id).version,
                reason="",
                actor=u,
                clock=clock,
            ),
        ],
        "act.referto": [
            lambda u: documents.attach_referto(
                act.id,
                expected_version=acts.get(act.id).version,
                filename="referto.pdf",
                content=b"",
                actor=u,
                clock=clock,
            ),
        ],
        "mail.outbox": [lambda u: sender.requeue(MISSING, actor=u, clock=clock)],
        "mail.settings.others": [
            lambda u: mail_settings.update_settings(other.id, email="no", actor=u, clock=clock),
        ],
        "territory.manage": [
            lambda u: territory.set_addresses(MISSING, [], actor=u, clock=clock),
            lambda u: territory.add_forum_member("", actor=u, clock=clock),
            lambda u: territory.set_forum_member_active(MISSING, True, actor=u, clock=clock),
        ],
        "consultation.manage": [
            lambda u: contributions.open_consultation(
                MISSING, deadline=TODAY, actor=u, clock=clock
            ),
            lambda u: contributions.close_consultation(
                MISSING, expected_version=1, outcome="", actor=u, clock=clock
            ),
        ],
        "contribution.register": [
            lambda u: contributions.register_contribution(
                MISSING,
                body_id=MISSING,
                received_at=NOW,
                channel="",
                summary="",
                themes=[],
                file_name="",
                content=b"",
                actor=u,
                clock=clock,
            ),
        ],
        "register.start": [
            lambda u: registers.start_register("nessuno", 2025, 0, actor=u, clock=clock),
        ],
        "protocol.register": [
            lambda u: protocollo.register(
                direction="",
                oggetto="",
                document_date=TODAY,
                correspondents=[],
                fascicolo="",
                documents=[],
                actor=u,
                clock=clock,
            ),
        ],
        "protocol.annul": [
            lambda u: protocollo.annul(
                2025, MISSING, reason="", authorising_act="", actor=u, clock=clock
            ),
        ],
    }


# Enforced at the route (and, for the audit, again in its views): walked with the routes above.
ROUTE_ONLY = {
    "procedure.read",
    "audit.read",
    "audit.checkpoint",
    "users.manage",
    "register.daily",
    "account.self",
}


def test_every_operation_is_walked(world, clock) -> None:
    calls = operation_calls(world, clock)
    assert not set(calls) & ROUTE_ONLY
    assert set(calls) | ROUTE_ONLY == set(rights.OPERATIONS)


def test_every_operation_for_every_role_held_or_delegated(world, delegates, clock) -> None:
    """Each operation a service enforces lets in exactly the roles of the table, held or
    delegated for today; a delegation not yet valid or expired counts for none of them."""
    actors = {role: (user, {role}) for role, user in world.items()}
    actors |= {
        f"delega {name}": delegates(name) for name in [*users.DELEGABLE_ROLES, *NOT_HONOURED]
    }
    for operation, calls in operation_calls(world, clock).items():
        allowed = set(rights.OPERATIONS[operation])
        for who, (user, counted) in actors.items():
            for call in calls:
                where = f"{who} → {operation}"
                if counted & allowed:
                    try:
                        call(user)
                    except NotAllowed as exc:
                        raise AssertionError(f"{where}: {exc.message}") from exc
                    except DomainError:
                        pass  # refused for what the arguments lack, after the rights check
                else:
                    with pytest.raises(NotAllowed):
                        call(user)


def test_rights_page_for_admin_only(app, world) -> None:
    admin, other = app.test_client(), app.test_client()
    login(admin, "admin", "password-di-prova")
    page = admin.get("/admin/diritti").get_data(as_text=True)
    assert "Registra la delibera di adozione" in page and "Tabella dei diritti" in page
    login(other, "direzionegenerale", "password-di-prova")
    assert other.get("/admin/diritti").status_code == 403
