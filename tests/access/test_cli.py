"""`flask` commands: users, tokens, demo (idempotent)."""

from __future__ import annotations

from sqlalchemy import func, select

from workflow.access import operations as users
from workflow.access.models import User
from workflow.audit.models import AuditEvent
from workflow.consultations import queries
from workflow.consultations.models import Body, Contribution
from workflow.extensions import db
from workflow.mail.models import OutboxMessage
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure, ProcedureStep


def create_user(
    runner,
    username="m.rossi",
    full_name="Mario Rossi",
    roles=("dirigente",),
    password="una-password-lunga",
):
    """`flask users create` with these options (one --role per role)."""
    args = ["users", "create", "--username", username, "--full-name", full_name]
    for role in roles:
        args += ["--role", role]
    return runner.invoke(args=[*args, "--password", password])


def test_users_create_list_token(app) -> None:
    runner = app.test_cli_runner()
    result = create_user(runner, roles=("dirigente", "ragioneria"))
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["users", "list"])
    assert listing.output.splitlines() == ["m.rossi dirigente,ragioneria"]
    token = runner.invoke(args=["users", "token", "m.rossi"]).output.strip()
    assert users.user_for_token(token).username == "m.rossi"


def test_users_create_refuses_bad_input_with_a_message(app) -> None:
    runner = app.test_cli_runner()
    short = create_user(runner, username="x", full_name="X", roles=("admin",), password="corta")
    assert short.exit_code != 0 and "almeno 10 caratteri" in short.output
    bad_role = create_user(runner, username="x", full_name="X", roles=("sovrano",))
    assert bad_role.exit_code != 0
    for full_name in ("Mario\x00Rossi", "Mario\nRossi", "M" * 201):
        bad_name = create_user(runner, full_name=full_name)
        assert bad_name.exit_code != 0 and "caratteri stampabili" in bad_name.output
    assert users.list_users() == []
    missing = runner.invoke(args=["users", "token", "nessuno"])
    assert missing.exit_code != 0 and "non trovato" in missing.output


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (User, Procedure, ProcedureStep, AuditEvent, Body, Contribution, OutboxMessage)
    )


def test_demo_loads_the_seed_and_runs_twice_without_duplicates(app) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "demo-direzione" in first.output
    after_first = counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first

    by_period = {p.period_label: p for p in procedures.list_all()}
    current, previous = by_period["2025-2027"], by_period["2022-2024"]
    # Approved on 30/06/2025 by the demo's illustrative continuation (the clock: 01/07/2025).
    assert current.state == "approvato" and current.fascicolo == "2.16/2024/1"
    rows = {r.code: r for r in procedures.milestone_rows(current)}
    assert rows["avvio"].act == "Decreto R.G. 264/2024 del 22/10/2024"
    assert rows["schema"].act == "Decreto R.G. 43/2025 del 19/02/2025"
    schema_step = next(s for s in current.steps if s.event == "approva_schema")
    assert schema_step.data["scadenza_contributi"] == "2025-02-28"
    # The 2025 consultation: a spread drawn from a fixed seed — some zones complete, some late,
    # some far behind — and the same on every run.
    consultation = queries.for_procedure(current.id)
    assert consultation.deadline.isoformat() == "2025-02-28"
    assert queries.effective_deadline(consultation).isoformat() == "2025-03-31"  # the proroga
    status = queries.status(consultation)
    groups = {g.code: g for g in status.groups}
    assert groups["nord_milano"].complete and groups["milano"].complete
    assert not groups["sud_ovest"].complete and groups["sud_ovest"].missing
    assert any(g.late for g in status.groups) and 0 < status.total.answered < status.total.invited
    assert status.total.invited == 133 + 5  # every Comune and the Forum's members
    assert previous.state == "approvato"
    approval = next(r for r in procedures.milestone_rows(previous) if r.code == "approvazione")
    assert approval.actual_date.isoformat() == "2023-06-13"
    roles = {code for u in users.list_users() for code in u.role_codes}
    assert roles == {
        "direzione_generale",
        "segretario_generale",
        "sindaco",
        "dirigente",
        "ragioneria",
        "albo",
        "admin",
    }
