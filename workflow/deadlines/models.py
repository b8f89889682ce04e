"""Deadlines: what is due, by when, for which object, who answers for it, and where it stands."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db

OPEN, MET, MISSED, CANCELLED = "open", "met", "missed", "cancelled"
DEADLINE_STATES = (OPEN, MET, MISSED, CANCELLED)
STATE_LABELS = {
    OPEN: "aperta",
    MET: "adempiuta",
    MISSED: "scaduta",
    CANCELLED: "annullata",
}
_STATE_CHECK = "state IN (" + ", ".join(f"'{s}'" for s in DEADLINE_STATES) + ")"


class Deadline(db.Model):
    """One thing due by a date. Rules create and update it through `source_key`, so re-running a
    rule never makes a second row; `next_reminder_at` is the only column the reminder scan reads,
    which keeps the scan proportional to what is due, not to how many deadlines exist."""

    __tablename__ = "deadlines"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="known_state"),
        # Only a live deadline can have a reminder pending: a met one can never send again.
        CheckConstraint(
            "next_reminder_at IS NULL OR state IN ('open', 'missed')", name="reminders_only_live"
        ),
        CheckConstraint("(state = 'met') = (met_at IS NOT NULL)", name="met_has_time"),
        Index("ix_deadlines_object", "object_type", "object_id"),
        # The live annual updates a new triennio's avvio meets (deadlines.sync_procedure).
        Index("ix_deadlines_kind_state", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which rule derived it from what, e.g. "procedure:3:tappa:adozione"; by hand: "manual:<uuid>".
    source_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    due_time: Mapped[time | None] = mapped_column(Time)  # Europe/Rome wall-clock time
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    responsible_role: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default=OPEN)
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Whether reminders go on after the due date (a relata is still owed; a closed window is not).
    remind_overdue: Mapped[bool] = mapped_column(default=True)
    next_reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    next_reminder_kind: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    assignees: Mapped[list[DeadlineAssignee]] = relationship(
        back_populates="deadline", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def live(self) -> bool:
        return self.state in (OPEN, MISSED)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


class DeadlineAssignee(db.Model):
    """A named user responsible for a deadline, besides (or instead of) a role."""

    __tablename__ = "deadline_assignees"

    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)

    deadline: Mapped[Deadline] = relationship(back_populates="assignees")
