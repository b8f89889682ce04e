"""Who may publish a checkpoint is decided by the service (every path: page, CLI, scheduler), from
the rights table, with delegations honoured on the clock's day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from, login
from workflow.access import operations as users
from workflow.access.rights import OPERATIONS
from workflow.access.roles import DIREZIONE_GENERALE, ROLE_CODES, SEGRETARIO_GENERALE, SYSTEM
from workflow.audit import chain as audit
from workflow.audit import verify as integrity
from workflow.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from workflow.core.errors import NotAllowed
from workflow.extensions import db


def _head() -> tuple[int, str]:
    head = db.session.get(AuditHead, 1, populate_existing=True)
    return head.seq, head.hash


def _last_event() -> AuditEvent:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def test_publishing_a_checkpoint_is_listed_in_the_rights_table() -> None:
    assert audit.PUBLISHERS == OPERATIONS["audit.checkpoint"] == (SEGRETARIO_GENERALE,)


@pytest.mark.parametrize("role", [r for r in ROLE_CODES if r not in OPERATIONS["audit.checkpoint"]])
def test_the_service_refuses_a_checkpoint_to_roles_the_table_does_not_name(
    app, make_user, clock, role
) -> None:
    """Called directly (as a CLI command or an API would), not through the page: still refused,
    and nothing is written (no checkpoint, no event)."""
    someone = make_user(role)
    db.session.commit()
    before = _head()
    with pytest.raises(NotAllowed, match="pubblicare un checkpoint spetta a Segretario Generale"):
        audit.checkpoint_now(actor=someone, clock=clock)
    assert _head() == before
    assert db.session.scalar(select(AuditCheckpoint)) is None


def test_the_segretario_publishes_under_their_role(app, make_user, clock) -> None:
    segretario = make_user(SEGRETARIO_GENERALE)
    seq, hash_ = _head()
    checkpoint = audit.checkpoint_now(actor=segretario, clock=clock)
    assert (checkpoint.seq, checkpoint.hash) == (seq, hash_)
    event = _last_event()
    assert (event.action, event.role, event.actor_id) == (
        "audit.checkpoint",
        SEGRETARIO_GENERALE,
        segretario.id,
    )
    assert integrity.verify_chain().ok


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "allowed"),
    [
        (date(2025, 6, 1), date(2025, 7, 1), True),  # valid today (01/07/2025), its last day
        (date(2025, 7, 2), None, False),  # not yet valid
        (date(2025, 6, 1), date(2025, 6, 30), False),  # expired the day before
    ],
    ids=["valid", "not_yet_valid", "expired"],
)
def test_a_delegate_of_the_segretario_publishes_only_while_the_delegation_is_valid(
    app, make_user, clock, valid_from, valid_to, allowed
) -> None:
    """Decreto di delega: the Vice Segretario acts as Segretario Generale within its dates."""
    make_user(DIREZIONE_GENERALE, username="vicesegretario")
    users.delegate(
        "vicesegretario",
        SEGRETARIO_GENERALE,
        "Decreto R.G. 12/2025",
        valid_from,
        valid_to,
        actor=None,
        clock=clock,
    )
    vice = users.find_user("vicesegretario")
    if not allowed:
        with pytest.raises(NotAllowed):
            audit.checkpoint_now(actor=vice, clock=clock)
        assert db.session.scalar(select(AuditCheckpoint)) is None
        return
    audit.checkpoint_now(actor=vice, clock=clock)
    event = _last_event()
    assert (event.role, event.actor_id) == (SEGRETARIO_GENERALE, vice.id)


def test_the_system_publishes_from_the_scheduler_and_the_cli(app, clock) -> None:
    """No person: the daily job and `flask audit checkpoint` record the role SYSTEM."""
    daily = audit.publish_daily_checkpoint(clock=clock)
    assert daily is not None
    assert (_last_event().role, _last_event().actor_id) == (SYSTEM, None)
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert (_last_event().role, _last_event().actor_id) == (SYSTEM, None)
    clock.instant += timedelta(days=1)
    assert audit.publish_daily_checkpoint(clock=clock) is not None
    assert integrity.verify_chain().ok


def test_the_page_publishes_for_the_segretario_and_refuses_the_direzione(
    app, client, make_user
) -> None:
    make_user(SEGRETARIO_GENERALE, username="segretario")
    make_user(DIREZIONE_GENERALE, username="direzione")
    db.session.commit()
    login(client, "direzione")
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/audit/checkpoint", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login(client, "segretario")
    token = csrf_from(client.get("/audit").get_data(as_text=True))
    response = client.post("/audit/checkpoint", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(select(AuditCheckpoint)) is not None
    assert _last_event().role == SEGRETARIO_GENERALE
