"""The reminder scan and the daily digest: they decide which e-mails exist, the outbox sends them.

The scan reads only deadlines whose `next_reminder_at` has come (an indexed column), writes one
outbox row per recipient under a unique key (deadline, reminder kind, due instant, user), moves
`next_reminder_at` forward and commits. Running it twice, after a restart or from two schedulers at
once, writes nothing twice: the key is UNIQUE and the step forward is a function of the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from workflow.access.models import User
from workflow.access.roles import DIREZIONE_GENERALE, SYSTEM
from workflow.audit import chain as audit
from workflow.core.calendar import add_working_days, working_days_between
from workflow.core.clock import ROME, Clock, as_utc, rome_today
from workflow.core.transaction import operation
from workflow.deadlines import operations as deadlines
from workflow.deadlines import rules as deadlines_rules
from workflow.deadlines.models import MISSED, OPEN, Deadline
from workflow.deadlines.policy import (
    CLOSE,
    OVERDUE_PREFIX,
    Policy,
    kind_label,
    latest_until,
    overdue_number,
    upcoming,
)
from workflow.extensions import db
from workflow.mail import outbox as mail
from workflow.mail import settings as mail_settings

BATCH = 500


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="digest-unsubscribe")


def unsubscribe_token(user_id: int) -> str:
    return _serializer().dumps(user_id)


def user_from_unsubscribe_token(token: str) -> int | None:
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def _links(deadline: Deadline | None, user_id: int) -> dict[str, str]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "object_url": f"{base}/scadenze/{deadline.id}" if deadline else f"{base}/scadenze",
        "unsubscribe_url": f"{base}/promemoria/disiscrizione/{unsubscribe_token(user_id)}",
    }


def remaining_text(deadline: Deadline, on: date) -> str:
    """ "tra 2 giorni lavorativi", "oggi", "scaduta da 3 giorni lavorativi" — from `on`."""
    if on == deadline.due_date:
        return "scade oggi"
    if on < deadline.due_date:
        n = working_days_between(on, deadline.due_date)
        return f"scade tra {n} giorn{'o' if n == 1 else 'i'} lavorativ{'o' if n == 1 else 'i'}"
    n = working_days_between(deadline.due_date, on)
    return f"scaduta da {n} giorn{'o' if n == 1 else 'i'} lavorativ{'o' if n == 1 else 'i'}"


@dataclass
class ScanReport:
    deadlines: int = 0
    written: int = 0
    closed: int = 0


class _Recipients:
    """Role holders and addresses looked up once per batch, not once per deadline: the scan's
    cost should follow the reminders due, not repeat the same queries for each of them."""

    def __init__(self) -> None:
        self._holders: dict[str, list[User]] = {}
        self._addresses: dict[int, str] = {}

    def holders(self, role: str) -> list[User]:
        if role not in self._holders:
            self._holders[role] = deadlines.holders_of(role)
        return self._holders[role]

    def address(self, user: User) -> str:
        if user.id not in self._addresses:
            self._addresses[user.id] = mail_settings.address_of(user)
        return self._addresses[user.id]


def _reminder_drafts(
    deadline: Deadline, kind: str, instant: datetime, rules: Policy, recipients: _Recipients
):
    users = deadlines.responsible_users(deadline, recipients.holders)
    escalated = overdue_number(kind) >= rules.escalate_after
    if escalated or not users:
        # Escalation, and the safety net for a deadline nobody holds: the Direzione Generale.
        known = {u.id for u in users}
        users += [u for u in recipients.holders(DIREZIONE_GENERALE) if u.id not in known]
    on = instant.astimezone(ROME).date()
    for user in users:
        links = _links(deadline, user.id)
        context = dict(
            deadline=deadline,
            user=user,
            kind_label=kind_label(kind),
            remaining=remaining_text(deadline, on),
            escalated=escalated and deadline.responsible_role != DIREZIONE_GENERALE,
            **links,
        )
        prefix = "[Sollecito]" if kind.startswith(OVERDUE_PREFIX) else "[Scadenza]"
        yield mail.Draft(
            key=f"reminder:{deadline.id}:{kind}:{as_utc(instant).isoformat()}:{user.id}",
            kind="reminder",
            recipient=recipients.address(user),
            subject=f"{prefix} {deadline.title} — entro il {deadline.due_date:%d/%m/%Y}",
            body_text=render_template("mail/reminder.txt", **context),
            body_html=render_template("mail/reminder.html", **context),
            due_at=as_utc(instant),
            user_id=user.id,
            deadline_id=deadline.id,
            unsubscribe_url=links["unsubscribe_url"],
        )


@operation
def _scan_batch(ids: list[int], *, now: datetime, clock: Clock, rules: Policy) -> ScanReport:
    report = ScanReport()
    recipients = _Recipients()
    query = (
        select(Deadline)
        .where(Deadline.id.in_(ids), Deadline.next_reminder_at <= now)
        .with_for_update(skip_locked=True)
    )
    for deadline in db.session.scalars(query):
        report.deadlines += 1
        since = as_utc(deadline.next_reminder_at)
        found = latest_until(
            deadline.due_date,
            since,
            now,
            remind_overdue=deadline.remind_overdue,
            policy=rules,
        )
        if found and found[0] == CLOSE:
            deadlines_rules.close(deadline, now)  # the window closed: nothing owed, nothing to send
            report.closed += 1
            continue
        if found:
            kind, instant = found
            for draft in _reminder_drafts(deadline, kind, instant, rules, recipients):
                report.written += mail.enqueue(draft, clock=clock)
        deadlines_rules.arm(deadline, now, rules)
    if report.deadlines:
        audit.record(
            actor=None,
            role=SYSTEM,
            object_type="reminders",
            object_id="scan",
            action="reminders.scanned",
            payload={
                "deadlines": report.deadlines,
                "messages": report.written,
                "closed": report.closed,
            },
            clock=clock,
        )
    return report


def scan(*, clock: Clock, rules: Policy | None = None) -> ScanReport:
    """Write the outbox rows of every reminder that has come due; safe to run any number of times.

    After downtime, each deadline gets its latest missed reminder only (one catch-up, not a burst).
    """
    rules = rules or Policy.from_config(current_app.config)
    now = as_utc(clock.now())
    total = ScanReport()
    while True:
        ids = list(
            db.session.scalars(
                select(Deadline.id)
                .where(Deadline.next_reminder_at <= now)
                .order_by(Deadline.next_reminder_at, Deadline.id)
                .limit(BATCH)
            )
        )
        db.session.rollback()
        if not ids:
            return total
        part = _scan_batch(ids, now=now, clock=clock, rules=rules)
        total.deadlines += part.deadlines
        total.written += part.written
        total.closed += part.closed
        if part.deadlines == 0:  # another scanner holds them: it will finish the work
            return total


@operation
def digest(*, clock: Clock, horizon_days: int | None = None) -> int:
    """Write today's digest for every subscribed user with live deadlines; returns rows written.

    A digest lists what the user answers for that is overdue or due within the horizon (working
    days). One per user and day: the key (user, day) is UNIQUE.
    """
    horizon_days = horizon_days or current_app.config["DIGEST_HORIZON_DAYS"]
    today = rome_today(clock)
    until = add_working_days(today, horizon_days)
    written = 0
    for user in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        settings = mail_settings.settings_for(user)
        if not settings.digest or not settings.email:
            continue
        rows = [d for d in deadlines.responsible_for(user) if d.due_date <= until]
        if not rows:
            continue
        links = _links(None, user.id)
        context = dict(
            user=user,
            today=today,
            overdue=[d for d in rows if d.state == MISSED or d.due_date < today],
            upcoming=[d for d in rows if d.state == OPEN and d.due_date >= today],
            remaining=lambda d: remaining_text(d, today),
            base_url=current_app.config["PUBLIC_BASE_URL"],
            **links,
        )
        written += mail.enqueue(
            mail.Draft(
                key=f"digest:{user.id}:{today.isoformat()}",
                kind="digest",
                recipient=settings.email,
                subject=f"Scadenze del {today:%d/%m/%Y}: {len(rows)} da seguire",
                body_text=render_template("mail/digest.txt", **context),
                body_html=render_template("mail/digest.html", **context),
                due_at=as_utc(clock.now()),
                user_id=user.id,
                unsubscribe_url=links["unsubscribe_url"],
            ),
            clock=clock,
        )
    return written


def upcoming_for(deadline: Deadline, *, clock: Clock, limit: int = 5) -> list[tuple[str, datetime]]:
    """What the scan will send next for this deadline, as (Italian label, instant); nothing once
    it is met or cancelled. The silent close of a window is not a reminder, so it is left out."""
    if not deadline.live:
        return []
    rows = upcoming(
        deadline.due_date,
        as_utc(clock.now()),
        remind_overdue=deadline.remind_overdue,
        policy=Policy.from_config(current_app.config),
        limit=limit,
    )
    return [(kind_label(kind), instant) for kind, instant in rows if kind != CLOSE]
