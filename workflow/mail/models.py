"""The mail outbox, each user's mail settings, and the scheduler's persistent job store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"
OUTBOX_STATES = (PENDING, SENDING, SENT, FAILED, CANCELLED)
_STATE_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in OUTBOX_STATES) + ")"


class OutboxMessage(db.Model):
    """One e-mail to one user. `key` says why it exists — (deadline, reminder kind, due instant,
    user) for a reminder, (user, day) for a digest — and is UNIQUE: a restarted or second
    scheduler that decides the same reminder again inserts nothing.

    Every text of the row is composed by the system (subjects from titles, SMTP replies): the
    column guard makes it safe and cuts it to size, never refuses it, so one odd row cannot stop
    a reminder scan; the sender fails that row alone."""

    __written_by__ = "system"

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="known_status"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_has_time"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadlines.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Derived from `key`, so a re-sent message carries the same id and clients can spot a repeat.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    smtp_response: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")


class MailSettings(db.Model):
    """Where a user gets mail, whether they want the daily digest, and their calendar secret."""

    __tablename__ = "mail_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    digest: Mapped[bool] = mapped_column(default=True)
    # The secret in the user's iCalendar URL; replacing it revokes every subscribed copy.
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True)


# APScheduler's SQLAlchemyJobStore table, created by our migration (not by APScheduler at start-up)
# and declared here so the migrated schema and the models stay equal.
scheduler_jobs = Table(
    "apscheduler_jobs",
    db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
