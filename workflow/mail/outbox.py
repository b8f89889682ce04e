"""The outbox and its sender: e-mails are rows first, SMTP deliveries second.

Delivery is at-least-once. A sender claims a row for a lease (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite serialises writers with BEGIN IMMEDIATE), talks to the server, then records the server's
answer. If the connection drops after the final "." but before the "250", nobody can know whether
the message was accepted; the row is sent again, with the same Message-ID (derived from its key),
so mail clients and servers can recognise the repeat.

SMTP replies 4xx and lost connections are transient: retried with capped exponential backoff and
jitter. Replies 5xx are permanent: the row is marked failed, visible to admins, never dropped.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import smtplib
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, parseaddr
from typing import Any, Protocol, TextIO

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflow.access.models import User
from workflow.access.roles import ADMIN, USER
from workflow.audit import chain as audit
from workflow.core.clock import Clock, as_utc
from workflow.core.database import dialect
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
    MailSettings,
    OutboxMessage,
)

# CRLF line ends (smtplib does not fix bare LFs in bytes); headers folded only past 998 bytes, so
# a long List-Unsubscribe URL stays a plain URL instead of becoming an encoded word.
SMTP_POLICY = SMTP.clone(max_line_length=998)

STATUS_LABELS = {
    PENDING: "in coda",
    SENDING: "in invio",
    SENT: "inviata",
    FAILED: "non recapitata",
    CANCELLED: "annullata",
}


# --- Settings per user -----------------------------------------------------------------------


def settings_for(user: User) -> MailSettings:
    """The user's mail settings, created on first use (digest on, a fresh calendar secret)."""
    settings = db.session.get(MailSettings, user.id)
    if settings is None:
        settings = MailSettings(
            user_id=user.id, email="", digest=True, calendar_token=secrets.token_urlsafe(32)
        )
        db.session.add(settings)
        db.session.flush()
    return settings


def _valid_address(address: str) -> bool:
    _, parsed = parseaddr(address)
    local, at, domain = parsed.partition("@")
    return bool(parsed == address and local and at and "." in domain and " " not in address)


@operation
def own_settings(user_id: int) -> MailSettings:
    """The user's settings, created with defaults on first visit. Raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"Utente {user_id} non trovato.")
    return settings_for(user)


# What the audit trail says of a renewed calendar secret (never the secret itself).
RENEWED = "rinnovato"


@operation
def update_settings(
    user_id: int,
    *,
    actor: User,
    clock: Clock,
    email: str | None = None,
    digest: bool | None = None,
    new_calendar_token: bool = False,
) -> MailSettings:
    """Change a user's address, digest subscription or calendar secret (themselves, or an admin).

    Raises NotFound, NotAllowed, InvalidData.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"Utente {user_id} non trovato.")
    if actor.id != user.id and ADMIN not in actor.role_codes:
        raise NotAllowed("Non autorizzato: si modificano solo le proprie impostazioni di posta.")
    settings = settings_for(user)
    changes: dict[str, Any] = {}
    if email is not None:
        email = email.strip()
        if email and not _valid_address(email):
            raise InvalidData(f"Indirizzo e-mail non valido: «{email}».")
        if email != settings.email:
            settings.email = changes["email"] = email
    if digest is not None and digest != settings.digest:
        settings.digest = changes["digest"] = digest
    if new_calendar_token:
        settings.calendar_token = secrets.token_urlsafe(32)
        changes["calendar_token"] = RENEWED
    if changes:
        audit.record(
            actor=actor,
            role=ADMIN if actor.id != user.id else USER,
            object_type="user",
            object_id=user.id,
            action="mail.settings",
            payload=changes,
            clock=clock,
        )
    return settings


@operation
def unsubscribe_digest(user_id: int, *, clock: Clock) -> None:
    """Stop the daily digest from the link in an e-mail (the signed link is the authority)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Utente non trovato.")
    settings = settings_for(user)
    if settings.digest:
        settings.digest = False
        audit.record(
            actor=user,
            role=USER,
            object_type="user",
            object_id=user.id,
            action="mail.digest_unsubscribed",
            payload={},
            clock=clock,
        )


def address_of(user: User) -> str:
    settings = db.session.get(MailSettings, user.id)
    return settings.email if settings else ""


# --- Writing to the outbox -------------------------------------------------------------------


def message_id_for(key: str, sender: str) -> str:
    """Deterministic: the same outbox key always yields the same Message-ID."""
    domain = parseaddr(sender)[1].partition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


@dataclass
class Draft:
    key: str
    kind: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    due_at: datetime
    user_id: int | None = None
    deadline_id: int | None = None
    unsubscribe_url: str = ""


# One statement per dialect, built once so SQLAlchemy's compiled cache serves every enqueue.
_INSERT_IGNORING_DUPLICATES = {
    "postgresql": postgresql_insert(OutboxMessage.__table__)
    .on_conflict_do_nothing()
    .returning(OutboxMessage.__table__.c.id),
    "sqlite": sqlite_insert(OutboxMessage.__table__)
    .on_conflict_do_nothing()
    .returning(OutboxMessage.__table__.c.id),
}


def enqueue(draft: Draft, *, clock: Clock) -> bool:
    """Insert the row unless its key is already there; True if it was inserted.

    The key is UNIQUE in the database, so two schedulers racing on the same reminder insert it
    once: the loser's INSERT does nothing (ON CONFLICT DO NOTHING).
    """
    now = as_utc(clock.now())
    values = dict(
        key=draft.key,
        kind=draft.kind,
        deadline_id=draft.deadline_id,
        user_id=draft.user_id,
        due_at=draft.due_at,
        message_id=message_id_for(draft.key, current_app.config["MAIL_FROM"]),
        recipient=draft.recipient,
        subject=draft.subject,
        body_text=draft.body_text,
        body_html=draft.body_html,
        unsubscribe_url=draft.unsubscribe_url,
        status=PENDING if draft.recipient else FAILED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        smtp_response="",
        last_error="" if draft.recipient else "Nessun indirizzo e-mail per il destinatario.",
    )
    statement = _INSERT_IGNORING_DUPLICATES[dialect()]
    return db.session.execute(statement, values).scalar() is not None


# --- Transports ------------------------------------------------------------------------------


class TransientError(Exception):
    """Try again later: a 4xx reply, a refused or dropped connection, a timeout."""


class PermanentError(Exception):
    """Do not try again: a 5xx reply."""


class Transport(Protocol):
    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        """Deliver one message; return the server's final answer, or raise the errors above."""
        ...


def _check(reply: tuple[int, bytes], ok: tuple[int, ...]) -> str:
    code, text = reply
    answer = f"{code} {text.decode('utf-8', 'replace')}".strip()
    if code in ok:
        return answer
    if 400 <= code < 500:
        raise TransientError(answer)
    raise PermanentError(answer)


@dataclass
class SmtpTransport:
    """SMTP with optional STARTTLS or implicit TLS (SSL) and optional AUTH."""

    host: str
    port: int
    security: str = "none"  # none | starttls | ssl
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None

    def _connect(self) -> smtplib.SMTP:
        context = self.tls_context or ssl.create_default_context()
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.ehlo()
            _check(smtp.starttls(context=context), (220,))
        return smtp

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{self.host}:{self.port}"
            raise TransientError(f"Connessione a {where} non riuscita: {exc}") from exc
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.username:
                smtp.login(self.username, self.password)
            # mail/rcpt/data one by one: data() hands back the server's final answer to record.
            _check(smtp.mail(sender), (250,))
            _check(smtp.rcpt(recipient), (250, 251))
            return _check(smtp.data(message.as_bytes(policy=SMTP_POLICY)), (250,))
        except smtplib.SMTPResponseException as exc:
            answer = f"{exc.smtp_code} {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(answer) from exc
            raise PermanentError(answer) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"Connessione interrotta: {exc}") from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


@dataclass
class ConsoleTransport:
    """For the demo and a laptop: prints each message instead of sending it."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        body = message.get_body(("plain",))
        self.stream.write(
            f"\n--- e-mail (console) ---\nDa: {sender}\nA: {recipient}\n"
            f"Oggetto: {message['Subject']}\nMessage-ID: {message['Message-ID']}\n\n"
            f"{body.get_content() if body else ''}\n--- fine ---\n"
        )
        self.stream.flush()
        return "250 console"


def transport_from(config: Mapping[str, Any]) -> Transport:
    if config["MAIL_BACKEND"] == "smtp":
        return SmtpTransport(
            host=config["MAIL_SMTP_HOST"],
            port=config["MAIL_SMTP_PORT"],
            security=config["MAIL_SMTP_SECURITY"],
            username=config["MAIL_SMTP_USERNAME"],
            password=config["MAIL_SMTP_PASSWORD"],
            timeout=config["MAIL_SMTP_TIMEOUT"],
        )
    return ConsoleTransport()


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = formataddr(("", row.recipient))
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = as_utc(row.created_at).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to reminders
    if row.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
    # quoted-printable keeps every line short: SMTP servers refuse lines over 998 bytes (RFC 5321).
    message.set_content(row.body_text, cte="quoted-printable")
    message.add_alternative(row.body_html, subtype="html", cte="quoted-printable")
    return message


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
    if ADMIN not in actor.role_codes:
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
        role=ADMIN,
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
