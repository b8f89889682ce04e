"""Registers: gapless per register and year (DPR 445/2000 art. 57), in the caller's transaction."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.conftest import is_postgres
from workflow import create_app
from workflow.acts import registers
from workflow.acts.register_models import RegisterCounter, RegisterEntry
from workflow.audit.models import AuditEvent
from workflow.core.clock import FixedClock
from workflow.core.errors import Conflict, NotAllowed
from workflow.extensions import db


def _allocate(register: str, clock) -> tuple[int, int]:
    result = registers.allocate(register, clock=clock, subject="prova")
    db.session.commit()
    return result


def test_numbers_are_consecutive_and_restart_every_year(app, clock):
    assert [_allocate("protocollo", clock) for _ in range(3)] == [(2025, 1), (2025, 2), (2025, 3)]
    clock.instant = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    assert _allocate("protocollo", clock) == (2026, 1)


def test_registers_are_independent(app, clock):
    _allocate("protocollo", clock)
    _allocate("protocollo", clock)
    assert _allocate("albo", clock) == (2025, 1)
    assert _allocate("repertorio_generale", clock) == (2025, 1)


def test_year_is_taken_in_europe_rome_at_midnight(app):
    # 31/12/2025 23:30 UTC is already 01/01/2026 00:30 in Rome: the new year's first number.
    before = FixedClock(datetime(2025, 12, 31, 22, 59, 59, tzinfo=UTC))
    after = FixedClock(datetime(2025, 12, 31, 23, 0, 0, tzinfo=UTC))
    assert _allocate("protocollo", before) == (2025, 1)
    assert _allocate("protocollo", after) == (2026, 1)
    assert _allocate("protocollo", before) == (2025, 2)


def test_rollback_consumes_no_number(app, clock):
    assert _allocate("protocollo", clock) == (2025, 1)
    registers.allocate("protocollo", clock=clock)
    db.session.rollback()
    assert _allocate("protocollo", clock) == (2025, 2)
    numbers = db.session.scalars(select(RegisterEntry.number).order_by(RegisterEntry.number))
    assert list(numbers) == [1, 2]


def test_protocol_shown_with_at_least_seven_digits():
    assert registers.label("protocollo", 2025, 1) == "0000001/2025"
    assert registers.label("protocollo", 2025, 32556) == "0032556/2025"
    assert registers.label("protocollo", 2025, 12345678) == "12345678/2025"
    assert registers.label("repertorio_generale", 2025, 43) == "43/2025"


def test_register_started_from_previous_system_continues_its_numbers(app, clock, make_user):
    admin = make_user("admin")
    registers.start_register("protocollo", 2025, 32555, actor=admin, clock=clock)
    assert _allocate("protocollo", clock) == (2025, 32556)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "register.started")
    ).one()
    assert event.object_id == "protocollo/2025"


def test_register_started_once_per_register_and_year(app, clock, make_user):
    admin = make_user("admin")
    registers.start_register("albo", 2025, 1083, actor=admin, clock=clock)
    with pytest.raises(Conflict, match="già stato avviato"):
        registers.start_register("albo", 2025, 2000, actor=admin, clock=clock)
    registers.start_register("albo", 2026, 10, actor=admin, clock=clock)


def test_register_cannot_be_started_after_numbering(app, clock, make_user):
    _allocate("repertorio_generale", clock)
    with pytest.raises(Conflict, match="ha già numerato"):
        registers.start_register(
            "repertorio_generale", 2025, 42, actor=make_user("admin"), clock=clock
        )


def test_only_admin_or_segretario_starts_a_register(app, clock, make_user):
    with pytest.raises(NotAllowed):
        registers.start_register("albo", 2025, 5, actor=make_user("albo"), clock=clock)
    assert db.session.get(RegisterCounter, ("albo", 2025)) is None


def test_daily_register_lists_the_day_in_europe_rome(app):
    # 18/02/2025 23:30 UTC is 19/02 in Rome; 19/02/2025 23:30 UTC is already the 20th.
    for instant in (
        datetime(2025, 2, 18, 22, 30, tzinfo=UTC),
        datetime(2025, 2, 18, 23, 30, tzinfo=UTC),
        datetime(2025, 2, 19, 12, 0, tzinfo=UTC),
        datetime(2025, 2, 19, 23, 30, tzinfo=UTC),
    ):
        _allocate("protocollo", FixedClock(instant))
    lines = registers.daily_register_csv(date(2025, 2, 19)).splitlines()
    assert lines[0].startswith("numero,anno,data_registrazione")
    assert [line.split(",")[0] for line in lines[1:]] == ["0000002", "0000003"]


def _worker(url: str, count: int, queue) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    clock = FixedClock(datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    got = []
    with app.app_context():
        for _ in range(count):
            got.append(registers.allocate("protocollo", clock=clock)[1])
            db.session.commit()
        db.engine.dispose()
    queue.put(got)


@pytest.mark.skipif(not is_postgres(), reason="concurrency of row locks: PostgreSQL only")
def test_eight_processes_get_distinct_contiguous_numbers(app, database_url):
    db.engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(database_url, 25, queue)) for _ in range(8)]
    for p in procs:
        p.start()
    numbers = sorted(n for _ in procs for n in queue.get(timeout=120))
    for p in procs:
        p.join(timeout=60)
    assert numbers == list(range(1, 8 * 25 + 1))


def test_cli_starts_a_register_once_and_exports_the_day(app, clock):
    runner = app.test_cli_runner()
    started = runner.invoke(args=["registers", "start", "protocollo", "2025", "32555"])
    assert started.exit_code == 0 and "32556" in started.output
    again = runner.invoke(args=["registers", "start", "protocollo", "2025", "1"])
    assert again.exit_code != 0 and "già stato avviato" in again.output
    _allocate("protocollo", clock)
    daily = runner.invoke(args=["registers", "daily", "2025-07-01"])
    assert daily.output.splitlines()[1].startswith("0032556,2025,")
