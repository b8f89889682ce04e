"""The scheduler's wiring: a persistent job store, fixed job ids, Europe/Rome, late runs caught up;
jobs only call services. (The scheduler is never started inside the web app.)"""

from __future__ import annotations

from datetime import date, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from tests.threads import at_once
from workflow import scheduler
from workflow.audit.models import AuditCheckpoint
from workflow.deadlines import operations as deadlines
from workflow.extensions import db
from workflow.mail.models import OutboxMessage, scheduler_jobs


def start_paused(app) -> BackgroundScheduler:
    sched = scheduler.configure(app, BackgroundScheduler())
    sched.start(paused=True)
    return sched


def test_jobs_are_stored_under_fixed_ids_and_a_restart_does_not_duplicate_them(app) -> None:
    for _ in range(2):  # start, stop, start again: still one row per job
        sched = start_paused(app)
        sched.shutdown(wait=False)
    ids = set(db.session.scalars(select(scheduler_jobs.c.id)))
    assert ids == {
        scheduler.SCAN_JOB,
        scheduler.SEND_JOB,
        scheduler.DIGEST_JOB,
        scheduler.CHECKPOINT_JOB,
        scheduler.DAILY_REGISTER_JOB,
    }


def test_jobs_run_late_rather_than_never_in_europe_rome(app) -> None:
    sched = start_paused(app)
    try:
        jobs = {job.id: job for job in sched.get_jobs()}
        for job in jobs.values():
            assert job.misfire_grace_time is None and job.coalesce is True
            assert job.max_instances == 1
        assert str(jobs[scheduler.DIGEST_JOB].trigger.timezone) == "Europe/Rome"
        assert str(sched.timezone) == "Europe/Rome"
        assert jobs[scheduler.SCAN_JOB].func_ref == "workflow.scheduler:scan_job"
    finally:
        sched.shutdown(wait=False)


def test_scan_and_send_jobs_call_the_services(app, clock, direzione, with_address) -> None:
    with_address(direzione)
    deadlines.create_deadline(
        title="Relata", due_date=date(2025, 7, 3), actor=direzione, clock=clock
    )
    clock.instant += timedelta(days=2)
    scheduler.configure(app, BackgroundScheduler())
    scheduler.scan_job()
    scheduler.send_job()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"


def test_cli_scan_send_and_address(app, clock, direzione) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "address", "direzione", "laura@example.org"])
    assert result.exit_code == 0, result.output
    deadlines.create_deadline(
        title="Relata", due_date=date(2025, 7, 3), actor=direzione, clock=clock
    )
    clock.instant += timedelta(days=2)
    result = runner.invoke(args=["reminders", "scan"])
    assert "e-mail in coda: 1" in result.output
    result = runner.invoke(args=["mail", "send"])
    assert "Inviate: 1" in result.output
    result = runner.invoke(args=["mail", "address", "direzione", "non-un-indirizzo"])
    assert result.exit_code != 0 and "non valido" in result.output


def test_two_schedulers_starting_together_publish_one_checkpoint_a_day(app, clock, direzione):
    """Both run the start-up checkpoint job at once (today it made two checkpoints 20 ms apart)."""
    scheduler.configure(app, BackgroundScheduler())
    assert at_once(app, scheduler.checkpoint_job, 2) == []
    assert at_once(app, scheduler.checkpoint_job, 2) == []  # a restart the same day
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1
    clock.instant += timedelta(days=1)
    assert at_once(app, scheduler.checkpoint_job, 2) == []
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 2
