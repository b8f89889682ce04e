"""APScheduler wiring: five jobs that call services, nothing else. Runs in its own process
(`flask --app wsgi scheduler`), never inside web workers or the reloader.

Jobs live in a persistent SQLAlchemy job store under fixed ids (added with replace_existing, so a
restart never duplicates them). Missed runs are not skipped: `misfire_grace_time=None` runs a late
job however late, `coalesce` makes many missed runs one. The real catch-up is in the services: the
scan picks up every reminder due up to now and the digest is keyed per user and day, so the start-up
run below can only do work that is owed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from workflow.acts import daily as daily_registers
from workflow.audit import chain as audit
from workflow.consultations import reminders as consultations_reminders
from workflow.core.clock import ROME
from workflow.deadlines import reminders
from workflow.deadlines.policy import clock_time
from workflow.extensions import db
from workflow.mail import sender
from workflow.mail.models import scheduler_jobs

log = logging.getLogger(__name__)

SCAN_JOB = "reminders-scan"
SEND_JOB = "mail-send"
DIGEST_JOB = "reminders-digest"
CHECKPOINT_JOB = "audit-checkpoint"
DAILY_REGISTER_JOB = daily_registers.JOB

_app: Flask | None = None  # set by configure(); the job functions below run inside its context


def scan_job() -> None:
    with _app.app_context():
        report = reminders.scan(clock=_app.config["CLOCK"])
        if report.deadlines:
            log.info("promemoria: %s scadenze, %s e-mail in coda", report.deadlines, report.written)
        # Contributions: reminders only to the invited bodies still missing (outbox keys UNIQUE).
        written = consultations_reminders.remind_missing(clock=_app.config["CLOCK"])
        if written:
            log.info("contributi: %s promemoria in coda", written)


def send_job() -> None:
    with _app.app_context():
        report = sender.deliver_due(clock=_app.config["CLOCK"])
        if report.sent or report.retried or report.failed:
            log.info("posta: %s", report)


def digest_job() -> None:
    with _app.app_context():
        written = reminders.digest(clock=_app.config["CLOCK"])
        log.info("riepilogo giornaliero: %s e-mail in coda", written)


def checkpoint_job() -> None:
    with _app.app_context():
        published = audit.publish_daily_checkpoint(clock=_app.config["CLOCK"])
        if published is not None:
            log.info("checkpoint del registro di audit: evento %s", published.seq)


def daily_register_job() -> None:
    with _app.app_context():
        report = daily_registers.catch_up(clock=_app.config["CLOCK"])
        if report.produced or report.handed_over or report.failed:
            for line in daily_registers.describe(report):
                log.info("registro giornaliero: %s", line)


def configure(app: Flask, scheduler: BaseScheduler | None = None) -> BaseScheduler:
    """Build the scheduler with its job store and its jobs (not started)."""
    global _app
    _app = app
    config = app.config
    with app.app_context():
        engine = db.engine
    scheduler = scheduler or BlockingScheduler()
    scheduler.configure(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=scheduler_jobs.name)},
        timezone=ROME,
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )
    # APScheduler runs on the system clock, so its first run times must too (not the app's clock,
    # which a test may have frozen years away: the scheduler would then replay every missed run).
    now = datetime.now(ROME)
    digest_at = clock_time(config["DIGEST_AT"])
    common = {"replace_existing": True}
    scheduler.add_job(
        "workflow.scheduler:scan_job",
        IntervalTrigger(seconds=config["SCHEDULER_SCAN_SECONDS"], timezone=ROME),
        id=SCAN_JOB,
        name="Promemoria delle scadenze",
        next_run_time=now,  # catch up at once after downtime
        **common,
    )
    scheduler.add_job(
        "workflow.scheduler:send_job",
        IntervalTrigger(seconds=config["SCHEDULER_SEND_SECONDS"], timezone=ROME),
        id=SEND_JOB,
        name="Invio della posta in uscita",
        next_run_time=now,
        **common,
    )
    digest_kwargs = {}
    if now.time() >= digest_at:  # today's digest may be owed; the service writes it at most once
        digest_kwargs["next_run_time"] = now
    scheduler.add_job(
        "workflow.scheduler:digest_job",
        CronTrigger(hour=digest_at.hour, minute=digest_at.minute, timezone=ROME),
        id=DIGEST_JOB,
        name="Riepilogo giornaliero",
        **digest_kwargs,
        **common,
    )
    # The chain head is published once a day (and at start-up if today's is missing): a head that
    # anyone may have noted is what reveals a truncated or recomputed chain.
    scheduler.add_job(
        "workflow.scheduler:checkpoint_job",
        CronTrigger(hour=23, minute=50, timezone=ROME),
        id=CHECKPOINT_JOB,
        name="Checkpoint giornaliero del registro di audit",
        next_run_time=now,
        **common,
    )
    # The registro giornaliero di protocollo of every day not yet done, every morning and at
    # start-up (catch-up after downtime: the service walks every owed day, not only yesterday).
    daily_at = clock_time(config["REGISTRO_GIORNALIERO_AT"])
    scheduler.add_job(
        "workflow.scheduler:daily_register_job",
        CronTrigger(hour=daily_at.hour, minute=daily_at.minute, timezone=ROME),
        id=DAILY_REGISTER_JOB,
        name="Registro giornaliero di protocollo e consegna in conservazione",
        next_run_time=now,
        **common,
    )
    return scheduler
