"""Deadlines derived from procedures, and the reminder scan: right instants, never twice, and a met
deadline sends nothing more."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from tests.factories import TO_CONSULTATION, open_psttm, run
from tests.threads import at_once
from workflow.core.clock import ROME, as_utc
from workflow.deadlines import operations as deadlines
from workflow.deadlines import reminders
from workflow.deadlines import rules as deadlines_rules
from workflow.deadlines.models import Deadline
from workflow.extensions import db
from workflow.mail.models import OutboxMessage
from workflow.procedures import operations as procedures


def rome(y, m, d, h=8, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=ROME).astimezone(UTC)


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def plan(procedure, clock, actor, **dates) -> None:
    procedures.plan_milestones(
        procedure.id,
        expected_version=procedure.version,
        planned=dates,
        actor=actor,
        clock=clock,
    )


def deadline(key: str) -> Deadline:
    return db.session.scalar(select(Deadline).where(Deadline.source_key == key))


def test_planned_milestone_becomes_a_deadline_of_the_direzione_generale(clock, direzione) -> None:
    p = open_psttm(direzione, clock)
    plan(p, clock, direzione, avvio=date(2025, 7, 31))
    d = deadline(f"procedure:{p.id}:tappa:avvio")
    assert (d.due_date, d.responsible_role, d.state) == (
        date(2025, 7, 31),
        "direzione_generale",
        "open",
    )
    assert d.next_reminder_kind == "before-7"
    assert as_utc(d.next_reminder_at).astimezone(ROME) == datetime(2025, 7, 22, 8, tzinfo=ROME)


def test_reminders_go_out_at_their_instants_and_once_each(clock, direzione, with_address) -> None:
    with_address(direzione)
    p = open_psttm(direzione, clock)
    plan(p, clock, direzione, avvio=date(2025, 7, 31))  # Thursday
    clock.instant = rome(2025, 7, 22, 7, 59)
    assert reminders.scan(clock=clock).written == 0
    clock.instant = rome(2025, 7, 22, 8, 0)
    assert reminders.scan(clock=clock).written == 1
    assert reminders.scan(clock=clock).written == 0  # a second run writes nothing
    clock.instant = rome(2025, 7, 29, 8, 0)
    reminders.scan(clock=clock)
    clock.instant = rome(2025, 7, 31, 8, 0)
    reminders.scan(clock=clock)
    rows = outbox()
    assert [r.key.split(":")[2] for r in rows] == ["before-7", "before-2", "due"]
    assert rows[0].recipient == "direzione@example.org"
    assert "scade tra 7 giorni lavorativi" in rows[0].body_text
    assert f"/scadenze/{deadline(f'procedure:{p.id}:tappa:avvio').id}" in rows[0].body_text
    assert "/promemoria/disiscrizione/" in rows[0].body_html


def test_overdue_reminders_escalate_to_the_direzione_generale(
    clock, direzione, make_user, with_address
) -> None:
    with_address(direzione)
    dirigente = with_address(make_user("dirigente"))
    d = deadlines.create_deadline(
        title="Parere di regolarità tecnica",
        due_date=date(2025, 7, 3),
        kind="parere",
        responsible_role=None,
        assignee_ids=[dirigente.id],
        actor=direzione,
        clock=clock,
    )
    clock.instant = rome(2025, 7, 3, 9)
    reminders.scan(clock=clock)
    assert [r.recipient for r in outbox()] == ["dirigente1@example.org"]
    clock.instant = rome(2025, 7, 4, 8)
    reminders.scan(clock=clock)
    latest = [r for r in outbox() if ":overdue-1:" in r.key]
    assert sorted(r.recipient for r in latest) == [
        "direzione@example.org",
        "dirigente1@example.org",
    ]
    assert db.session.get(Deadline, d.id).state == "missed"
    assert "[Sollecito]" in latest[0].subject


def test_recording_the_milestone_meets_the_deadline_and_stops_reminders(
    clock, direzione, with_address
) -> None:
    with_address(direzione)
    p = open_psttm(direzione, clock)
    plan(p, clock, direzione, avvio=date(2025, 7, 8))  # Tuesday
    clock.instant = rome(2025, 7, 4, 8)  # Friday: two working days before
    reminders.scan(clock=clock)
    assert len(outbox()) == 1
    run(
        procedures.get(p.id),
        ["avvia"],
        direzione,
        clock,
        avvia={"numero": "121/2025", "data": "2025-07-04"},
    )
    d = deadline(f"procedure:{p.id}:tappa:avvio")
    assert (d.state, d.next_reminder_at) == ("met", None)
    for day in (7, 8, 9, 10, 14, 21):
        clock.instant = rome(2025, 7, day, 12)
        assert reminders.scan(clock=clock).written == 0


def test_catch_up_after_downtime_sends_the_latest_reminder_only(
    clock, direzione, with_address
) -> None:
    with_address(direzione)
    p = open_psttm(direzione, clock)
    plan(p, clock, direzione, avvio=date(2025, 7, 31))
    clock.instant = rome(2025, 8, 5, 10)  # the scheduler was off for two weeks
    report = reminders.scan(clock=clock)
    assert report.written == 1
    assert ":overdue-2:" in outbox()[0].key  # 01/08 then 05/08: the latest missed one


def test_contributions_deadline_moves_off_a_saturday_and_closes_silently(
    clock, direzione, with_address
) -> None:
    with_address(direzione)
    clock.instant = rome(2025, 2, 20, 9)
    p = open_psttm(direzione, clock)
    run(
        p,
        TO_CONSULTATION,
        direzione,
        clock,
        elabora_linee_guida={"data": "2025-01-31"},
        approva_schema={"data": "2025-02-19", "scadenza_contributi": "2025-03-01"},
    )
    d = deadline(f"procedure:{p.id}:contributi")
    assert d.due_date == date(2025, 3, 3)  # Saturday 01/03 → Monday 03/03 (c.p.c. 155)
    assert d.remind_overdue is False
    clock.instant = rome(2025, 3, 4, 9)
    reminders.scan(clock=clock)
    d = deadline(f"procedure:{p.id}:contributi")
    assert d.state == "met"
    assert not [r for r in outbox() if r.deadline_id == d.id and "overdue" in r.key]


def test_two_scans_at_once_write_each_reminder_once(
    app, clock, direzione, make_user, with_address
) -> None:
    with_address(direzione)
    for n in range(30):
        deadlines.create_deadline(
            title=f"Scadenza {n}", due_date=date(2025, 7, 10), actor=direzione, clock=clock
        )
    clock.instant = rome(2025, 7, 8, 8)  # two working days before
    errors = at_once(app, lambda: reminders.scan(clock=clock), 2)
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 30
    assert db.session.scalar(select(func.count(func.distinct(OutboxMessage.key)))) == 30


def test_scan_after_a_restart_mid_run_does_not_duplicate(clock, direzione, with_address) -> None:
    """A scan that died after committing some batches: the rerun writes only what is missing."""
    with_address(direzione)
    for n in range(5):
        deadlines.create_deadline(
            title=f"Scadenza {n}", due_date=date(2025, 7, 10), actor=direzione, clock=clock
        )
    clock.instant = rome(2025, 7, 8, 8)
    reminders.BATCH, saved = 2, reminders.BATCH
    try:
        ids = list(db.session.scalars(select(Deadline.id).order_by(Deadline.id).limit(2)))
        db.session.rollback()
        reminders._scan_batch(ids, now=clock.now(), clock=clock, rules=deadlines_rules.policy())
        assert len(outbox()) == 2  # "killed" here
        reminders.scan(clock=clock)
    finally:
        reminders.BATCH = saved
    assert len(outbox()) == 5


def test_digest_lists_the_users_deadlines_once_a_day(clock, direzione, with_address) -> None:
    with_address(direzione)
    deadlines.create_deadline(
        title="Relazione annuale", due_date=date(2025, 7, 8), actor=direzione, clock=clock
    )
    assert reminders.digest(clock=clock) == 1
    assert reminders.digest(clock=clock) == 0
    row = [r for r in outbox() if r.kind == "digest"][0]
    assert "Relazione annuale" in row.body_text and "IN ARRIVO" in row.body_text
    assert row.unsubscribe_url in row.body_text


def test_unplanned_milestone_cancels_its_deadline_and_replanning_reopens_it(
    clock, direzione
) -> None:
    p = open_psttm(direzione, clock)
    plan(p, clock, direzione, avvio=date(2025, 7, 31))
    key = f"procedure:{p.id}:tappa:avvio"
    plan(procedures.get(p.id), clock, direzione, avvio=None)
    assert (deadline(key).state, deadline(key).next_reminder_at) == ("cancelled", None)
    plan(procedures.get(p.id), clock, direzione, avvio=date(2025, 7, 31))
    assert deadline(key).state == "open" and deadline(key).next_reminder_kind == "before-7"


def test_moving_a_planned_date_moves_the_reminders(clock, direzione) -> None:
    p = open_psttm(direzione, clock)
    plan(p, clock, direzione, avvio=date(2025, 7, 31))
    plan(procedures.get(p.id), clock, direzione, avvio=date(2025, 9, 30))
    d = deadline(f"procedure:{p.id}:tappa:avvio")
    assert d.due_date == date(2025, 9, 30)
    assert as_utc(d.next_reminder_at).astimezone(ROME) == datetime(2025, 9, 19, 8, tzinfo=ROME)
