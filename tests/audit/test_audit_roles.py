"""Every `role` the audit trail records is a code of workflow/access/roles.py: a role a user
holds, or one of the three only the trail uses (sistema, utente, anonimo), never a literal."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

from tests.conftest import PASSWORD
from workflow.access import operations as users
from workflow.access.roles import ADMIN, AUDIT_ONLY_ROLES, DIRIGENTE, ROLE_CODES, SYSTEM
from workflow.audit import chain as audit
from workflow.audit.models import AuditEvent
from workflow.demo import load as demo
from workflow.extensions import db

WORKFLOW = Path(__file__).resolve().parents[2] / "workflow"


def test_roles_only_the_audit_trail_records_are_no_assignable_role() -> None:
    assert len(set(AUDIT_ONLY_ROLES)) == 3
    assert not set(AUDIT_ONLY_ROLES) & set(ROLE_CODES)


def _audit_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls of audit.record / audit.append (and of record/append inside the chain module)."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    named = [(c, getattr(c.func, "attr", getattr(c.func, "id", ""))) for c in calls]
    return [c for c, name in named if name in ("record", "append")]


def test_no_audit_role_is_written_as_a_literal_in_the_code() -> None:
    """The `role` given to the audit trail in workflow/ names a constant of roles.py (or a role
    computed by acting_role), never a string typed in place."""
    literals, seen = [], 0
    for path in sorted(WORKFLOW.rglob("*.py")):
        for call in _audit_calls(ast.parse(path.read_text(encoding="utf-8"))):
            for keyword in (k for k in call.keywords if k.arg == "role"):
                seen += 1
                strings = [n for n in ast.walk(keyword.value) if isinstance(n, ast.Constant)]
                literals += [f"{path.name}:{n.lineno}" for n in strings if isinstance(n.value, str)]
    assert seen > 20  # the scan does find the audit calls
    assert literals == []


def test_every_role_in_the_demo_trail_is_a_role_code(app, clock) -> None:
    demo.load(clock=clock)
    audit.publish_daily_checkpoint(clock=clock)
    db.session.commit()
    recorded = set(db.session.scalars(select(AuditEvent.role).distinct()))
    assert SYSTEM in recorded
    assert recorded <= set(ROLE_CODES) | set(AUDIT_ONLY_ROLES)


def test_accounts_made_by_a_command_are_recorded_as_the_system(app, clock) -> None:
    admin = users.create_user("amm", "Amministratore", PASSWORD, [ADMIN], actor=None, clock=clock)
    users.create_user("rossi", "Mario Rossi", PASSWORD, [DIRIGENTE], actor=admin, clock=clock)
    users.issue_token("rossi", actor=None, clock=clock)
    roles = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.role).order_by(AuditEvent.seq)
    ).all()
    assert [(a, r) for a, _, r in roles] == [
        ("user.created", SYSTEM),  # `flask users create`: nobody signed in, the server acted
        ("user.created", ADMIN),  # the admin page
        ("token.issued", SYSTEM),
    ]
