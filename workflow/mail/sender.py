"""The sender: claims due rows of the outbox, delivers them, records each server's answer.

Delivery is at-least-once. A sender claims one row at a time, right before sending it, for a lease
(FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE), talks to
the server, then records the server's answer: however slow the server, a lease covers one message,
so no other sender takes a row that is still waiting its turn in someone's batch. If the
connection drops after the final "." but before the "250", nobody can know whether the message was
accepted; the row is sent again, with the same Message-ID (derived from its key), so mail clients
and servers can recognise the repeat.

SMTP replies 4xx and lost connections are transient: retried with capped exponential backoff and
jitter. Replies 5xx are permanent: the row is marked failed, visible to admins, never dropped.
Any other exception while building or sending a message fails that row alone, with its reason.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, or_, select

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

log = logging.getLogger(__name__)

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


_DUE = (
    select(OutboxMessage)
    .where(
        or_(
            (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= bindparam("now")),
            (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_until <= bindparam("now")),
        )
    )
    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)


@dataclass(frozen=True)
class Claim:
    """One row owned by one sender until `until` (UTC), which also tells its claim from a later
    one: record_outcome checks that the row still carries it."""

    row_id: int
    until: datetime


@operation
def claim_next(*, clock: Clock, lease_seconds: int) -> Claim | None:
    """Take the next due row for this sender alone, or None when nothing is due.

    One row per claim, right before its send: a lease covers one message, never a batch that a
    slow server could make outlast it (another sender would then take and send the rest again).
    Rows of a met or cancelled deadline met on the way are cancelled instead. A row left
    "sending" by a sender that died is due again once its lease expires.
    """
    now = as_utc(clock.now())
    while (row := db.session.scalar(_DUE, {"now": now})) is not None:
        if _live_reminder(row):
            row.status, row.claimed_until = SENDING, now + timedelta(seconds=lease_seconds)
            return Claim(row.id, row.claimed_until)
        row.status, row.claimed_until = CANCELLED, None
        row.last_error = "Scadenza adempiuta o annullata prima dell'invio."
        db.session.flush()  # the next query must not find it again
    return None


@operation
def record_outcome(
    claim: Claim,
    *,
    clock: Clock,
    retry: Retry,
    answer: str = "",
    error: Exception | None = None,
    jitter: Callable[[], float] = random.random,
) -> str:
    """Store what the server said: sent, retry later, or failed for good; the row's new status.

    Every attempt is counted. If the lease ran out during the send and another sender took the
    row, a delivery is still recorded (the message did leave; the other copy carries the same
    Message-ID) but a failure is left to the sender that now owns the row.
    """
    row = db.session.get(OutboxMessage, claim.row_id, with_for_update=True, populate_existing=True)
    now = as_utc(clock.now())
    row.attempts += 1
    ours = row.status == SENDING and row.claimed_until is not None
    ours = ours and as_utc(row.claimed_until) == claim.until
    if row.status == SENT or not (ours or error is None):
        return row.status
    row.claimed_until = None
    if error is None:
        row.status, row.sent_at, row.smtp_response, row.last_error = SENT, now, answer, ""
    elif isinstance(error, PermanentError) or row.attempts >= retry.max_attempts:
        row.status, row.last_error = FAILED, str(error)
    else:
        row.status, row.last_error = PENDING, str(error)
        row.next_attempt_at = now + retry.delay(row.attempts, jitter)
    return row.status


def _send(claim: Claim, transport: Transport, sender: str) -> tuple[str, Exception | None]:
    """Build and send one claimed message: (the server's answer, None) or ("", the error).

    Any exception, not only the SMTP replies, is this message's failure: a header the transport
    refuses, an address it cannot encode, an unexpected reply. It becomes a PermanentError with
    its reason (retrying would fail the same way), so the row is marked *non recapitata* and the
    sender goes on with the next one.
    """
    try:
        row = db.session.get(OutboxMessage, claim.row_id)
        message = build_message(row, sender)
        recipient = row.recipient
        db.session.rollback()  # no transaction stays open while we talk to the server
        return transport.send(message, parseaddr(sender)[1], recipient), None
    except (TransientError, PermanentError) as exc:
        return "", exc
    except Exception as exc:
        log.exception("messaggio %s non inviabile", claim.row_id)
        return "", PermanentError(f"Messaggio non inviabile ({type(exc).__name__}): {exc}")
    finally:
        db.session.rollback()


def deliver_due(
    *,
    clock: Clock,
    transport: Transport | None = None,
    retry: Retry | None = None,
    jitter: Callable[[], float] = random.random,
) -> Report:
    """Send every due outbox row once, claiming each right before its send; called by the
    scheduler and by `flask mail send`. One message's failure, whatever it is, is recorded on
    its row and never stops the others."""
    config = current_app.config
    transport = transport or transport_from(config)
    retry = retry or Retry.from_config(config)
    sender = config["MAIL_FROM"]
    report = Report()
    while (claim := claim_next(clock=clock, lease_seconds=retry.lease_seconds)) is not None:
        answer, error = _send(claim, transport, sender)
        status = record_outcome(
            claim, clock=clock, retry=retry, answer=answer, error=error, jitter=jitter
        )
        if status == SENT:
            report.sent += 1
        elif status == FAILED:
            report.failed += 1
        else:
            report.retried += 1
    return report


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
