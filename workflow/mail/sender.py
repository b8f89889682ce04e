"""The sender: claims due rows of the outbox, delivers them, records each server's answer.

Delivery is at-least-once. A sender claims a row for a lease (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite serialises writers with BEGIN IMMEDIATE), talks to the server, then records the server's
answer. If the connection drops after the final "." but before the "250", nobody can know whether
the message was accepted; the row is sent again, with the same Message-ID (derived from its key),
so mail clients and servers can recognise the repeat.

SMTP replies 4xx and lost connections are transient: retried with capped exponential backoff and
jitter. Replies 5xx are permanent: the row is marked failed, visible to admins, never dropped.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from workflow.access.authorize import role_for
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.audit import chain as audit
from workflow.core.clock import Clock, as_utc
from workflow.core.errors import Conflict, InvalidData, NotAllowed, NotFound
from workflow.core.transaction import operation
from workflow.deadlines.models import Deadline
from workflow.extensions import db
from workflow.mail.models import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    OutboxMessage,
)
from workflow.mail.transport import (
    PermanentError,
    TransientError,
    Transport,
    build_message,
    transport_from,
)

# --- The sender ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retry:
    max_attempts: int = 8
    base_seconds: float = 60.0
    cap_seconds: float = 3600.0
    lease_seconds: int = 300

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Retry:
        return cls(
            max_attempts=config["MAIL_MAX_ATTEMPTS"],
            base_seconds=config["MAIL_BACKOFF_BASE"],
            cap_seconds=config["MAIL_BACKOFF_CAP"],
            lease_seconds=config["MAIL_CLAIM_SECONDS"],
        )

    def delay(self, attempts: int, jitter: Callable[[], float]) -> timedelta:
        """Capped exponential backoff with "equal jitter": between half and all of the step."""
        step = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=step / 2 + step / 2 * jitter())


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _live_reminder(row: OutboxMessage) -> bool:
    if row.deadline_id is None:
        return True
    deadline = db.session.get(Deadline, row.deadline_id)
    return deadline is not None and deadline.live


@operation
def claim(*, clock: Clock, lease_seconds: int, limit: int = 20) -> list[int]:
    """Take up to `limit` due rows for this sender; rows of a met deadline are cancelled instead.

    A row left "sending" by a sender that died is due again once its lease expires.
    """
    now = as_utc(clock.now())
    query = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_until <= now),
            )
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for row in db.session.scalars(query):
        if not _live_reminder(row):
            row.status, row.claimed_until = CANCELLED, None
            row.last_error = "Scadenza adempiuta o annullata prima dell'invio."
            continue
        row.status, row.claimed_until = SENDING, now + timedelta(seconds=lease_seconds)
        claimed.append(row.id)
    return claimed


@operation
def record_outcome(
    row_id: int,
    *,
    clock: Clock,
    retry: Retry,
    answer: str = "",
    error: Exception | None = None,
    jitter: Callable[[], float] = random.random,
) -> str:
    """Store what the server said: sent, retry later, or failed for good."""
    row = db.session.get(OutboxMessage, row_id)
    now = as_utc(clock.now())
    row.attempts += 1
    row.claimed_until = None
    if error is None:
        row.status, row.sent_at, row.smtp_response, row.last_error = SENT, now, answer, ""
    elif isinstance(error, PermanentError) or row.attempts >= retry.max_attempts:
        row.status, row.last_error = FAILED, str(error)
    else:
        row.status, row.last_error = PENDING, str(error)
        row.next_attempt_at = now + retry.delay(row.attempts, jitter)
    return row.status


def deliver_due(
    *,
    clock: Clock,
    transport: Transport | None = None,
    retry: Retry | None = None,
    jitter: Callable[[], float] = random.random,
) -> Report:
    """Send every due outbox row once; called by the scheduler and by `flask mail send`."""
    config = current_app.config
    transport = transport or transport_from(config)
    retry = retry or Retry.from_config(config)
    sender = config["MAIL_FROM"]
    report = Report()
    while True:
        batch = claim(clock=clock, lease_seconds=retry.lease_seconds)
        if not batch:
            return report
        for row_id in batch:
            row = db.session.get(OutboxMessage, row_id)
            message = build_message(row, sender)
            recipient = row.recipient
            db.session.rollback()  # no transaction stays open while we talk to the server
            try:
                answer = transport.send(message, parseaddr(sender)[1], recipient)
            except (TransientError, PermanentError) as exc:
                status = record_outcome(row_id, clock=clock, retry=retry, error=exc, jitter=jitter)
            else:
                status = record_outcome(row_id, clock=clock, retry=retry, answer=answer)
            if status == SENT:
                report.sent += 1
            elif status == FAILED:
                report.failed += 1
            else:
                report.retried += 1


@operation
def requeue(row_id: int, *, actor: User, clock: Clock) -> OutboxMessage:
    """Give a failed message a fresh set of attempts (e.g. after fixing the SMTP settings).

    Raises NotFound, NotAllowed, Conflict (not failed).
    """
    role = role_for(actor, OPERATIONS["mail.outbox"], clock=clock)
    if role is None:
        raise NotAllowed("Non autorizzato: la coda di posta spetta all'Amministratore.")
    row = db.session.get(OutboxMessage, row_id)
    if row is None:
        raise NotFound(f"Messaggio {row_id} non trovato.")
    if row.status != FAILED:
        raise Conflict("Si rimette in coda solo un messaggio non recapitato.")
    if not row.recipient:
        raise InvalidData("Il destinatario non ha un indirizzo e-mail: impostarlo prima.")
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, as_utc(clock.now())
    audit.record(
        actor=actor,
        role=role,
        object_type="outbox",
        object_id=row.id,
        action="mail.requeued",
        payload={"key": row.key, "last_error": row.last_error},
        clock=clock,
    )
    return row


def for_deadline(deadline_id: int) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.deadline_id == deadline_id)
            .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id)
        )
    )


def recent(status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))
