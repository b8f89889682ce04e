"""The outbox: e-mails are rows first (one per key, so a scan run twice writes nothing twice),
SMTP deliveries second (workflow/mail/sender.py). Every message has a deterministic Message-ID
derived from its key, so a repeat after a lost "250" can be recognised.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflow.core.clock import Clock, as_utc
from workflow.core.database import checked_values, dialect
from workflow.extensions import db
from workflow.mail.models import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    OutboxMessage,
)

STATUS_LABELS = {
    PENDING: "in coda",
    SENDING: "in invio",
    SENT: "inviata",
    FAILED: "non recapitata",
    CANCELLED: "annullata",
}


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
    # A subject composed from a 300-character title is longer than its column: cut, never refused.
    row = checked_values(OutboxMessage, values)
    return db.session.execute(statement, row).scalar() is not None
