"""The demo reads as a real office on the day it is loaded (issue 16 §5): loaded "today" (a frozen
1 December 2026) and on the tests' day (1 July 2025), it has acts in every state, a bounded number
of overdue items none of them ancient, 2025 protocol numbers on the 2025 contributions, the seed
decree signed on its own day and the proroga applied to the term it names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from workflow.access import operations as users
from workflow.acts import documents
from workflow.acts.models import Act, ActDocument
from workflow.acts.register_models import RegisterEntry
from workflow.acts.signature_check import check_signatures
from workflow.audit.models import AuditEvent
from workflow.consultations import queries as consultations
from workflow.consultations.models import Contribution
from workflow.core.clock import ROME, FixedClock, as_utc
from workflow.deadlines.models import Deadline
from workflow.definitions import acts as machine
from workflow.demo import load as demo
from workflow.desk.sections import desk_for
from workflow.extensions import db
from workflow.procedures.models import Procedure

TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EVERY_STATE = {
    machine.PROPOSTA,
    machine.ATTESA_CONTABILE,
    machine.ATTESA_SEGRETARIO,
    machine.IN_FIRMA,
    machine.SOSPESO,
    machine.ADOTTATO,
    machine.PUBBLICATO,
    machine.CERTIFICATO,
    machine.ANNULLATO,
    machine.RITIRATO,
}


def psttm(start: int) -> Procedure | None:
    return db.session.scalar(
        select(Procedure).where(Procedure.kind == "psttm", Procedure.period_start == start)
    )


def overdue(today: date) -> list[Deadline]:
    """Deadlines still owed whose day is past."""
    return [
        d
        for d in db.session.scalars(select(Deadline).where(Deadline.state.in_(("open", "missed"))))
        if d.due_date < today
    ]


def counts() -> list[int]:
    return [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Act, ActDocument, RegisterEntry, AuditEvent, Contribution, Procedure)
    ]


@pytest.fixture
def today_demo(app):
    """The demo loaded on TODAY, on this test's empty database."""
    clock = FixedClock(TODAY)
    demo.load(clock=clock)
    db.session.commit()
    return clock


def test_loaded_today_the_office_is_current(app, today_demo) -> None:
    today = TODAY.astimezone(ROME).date()
    assert psttm(2025).state == "approvato"
    assert psttm(2026).state == "approvato"
    current = psttm(2027)
    assert current.state not in ("approvato", "in_preparazione")
    planned = [m.planned_date for m in current.milestones if m.planned_date]
    assert sum(d > today for d in planned) >= 5  # most of the plan lies ahead
    assert {a.state for a in db.session.scalars(select(Act))} >= EVERY_STATE
    # Some overdue work, but not a desk of deadlines hundreds of days old.
    late = overdue(today)
    assert 1 <= len(late) < 10
    assert all(today - d.due_date <= timedelta(days=60) for d in late), [
        (d.source_key, d.due_date, d.state) for d in late
    ]
    for username in ("direzione", "segretario"):
        desk = desk_for(users.find_user(username), clock=today_demo)
        assert desk.overdue <= 1
    # The public Albo is not empty, and holds only acts within their window.
    published = list(db.session.scalars(select(Act).where(Act.state == machine.PUBBLICATO)))
    assert published and all(a.published_from <= today <= a.published_to for a in published)


def test_loaded_today_twice_adds_nothing_and_the_history_verifies(app, today_demo) -> None:
    before = counts()
    demo.load(clock=today_demo)
    db.session.commit()
    assert counts() == before
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_contributions_of_2025_carry_2025_protocol_numbers(app, today_demo) -> None:
    every = list(db.session.scalars(select(Contribution)))
    for c in every:  # registered on arrival: the protocol's year is the year received
        assert c.protocol_year == as_utc(c.received_at).astimezone(ROME).year
    contributions = [c for c in every if c.protocol_year == 2025]
    assert len(contributions) > 50
    assert {c.protocol_year for c in every} == {2025, 2026}  # 2026-2028 had its consultation
    # Numbered in the order they arrived, after the seed decree's 32556/2025.
    ordered = sorted(contributions, key=lambda c: c.protocol_number)
    assert ordered[0].protocol_number > 32556
    assert [c.received_at for c in ordered] == sorted(c.received_at for c in contributions)


def test_the_proroga_decree_extends_the_term_it_names(app, today_demo) -> None:
    procedure = psttm(2025)
    decree = db.session.scalar(select(Act).where(Act.oggetto == demo.PROROGA_OGGETTO))
    step = next(s for s in procedure.steps if s.event == "proroga_contributi")
    assert step.act_number == f"{decree.repertorio_number}/{decree.repertorio_year}"
    assert step.data["scadenza_contributi"] == "2025-03-31"
    consultation = consultations.for_procedure(procedure.id)
    assert consultations.effective_deadline(consultation) == date(2025, 3, 31)
    for c in consultation.contributions:
        received = as_utc(c.received_at).astimezone(ROME).date()
        assert c.late == (received > date(2025, 3, 31))
    assert any(c.late for c in consultation.contributions)


def test_the_seed_decree_is_signed_on_its_own_day(app, today_demo) -> None:
    decree = db.session.scalar(select(Act).where(Act.repertorio_number == 43))
    document = next(d for d in decree.documents if d.kind == "atto")
    check = check_signatures(documents.read(document))
    days = {as_utc(s.signing_time).astimezone(ROME).date() for s in check.signatures}
    assert days == {date(2025, 2, 19)}


def test_on_the_tests_day_the_demo_also_holds_every_state(demo_app) -> None:
    today = date(2025, 7, 1)
    assert psttm(2025).state == "approvato"
    assert psttm(2026) is not None and psttm(2026).state != "approvato"
    assert {a.state for a in db.session.scalars(select(Act))} >= EVERY_STATE
    late = overdue(today)
    assert len(late) < 10
    assert all(today - d.due_date <= timedelta(days=60) for d in late)
    assert all(c.protocol_year == 2025 for c in db.session.scalars(select(Contribution)))
