"""A procedure (e.g. one PSTTM triennio), its planned milestones and the steps recorded on it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db


class Procedure(db.Model):
    __tablename__ = "procedures"
    __table_args__ = (
        UniqueConstraint("kind", "period_start", name="uq_procedures_kind_period"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The machine definition this row was opened with: a later definition never reinterprets it.
    definition_version: Mapped[str] = mapped_column(String(64))  # definitions/loader.py
    title: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[int]
    period_end: Mapped[int]
    fascicolo: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    # Loaded on demand: a list of procedures must not drag every step of every procedure along.
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="procedure", order_by="Milestone.position"
    )
    steps: Mapped[list[ProcedureStep]] = relationship(
        back_populates="procedure", order_by="ProcedureStep.id"
    )

    # Optimistic lock: every UPDATE says "WHERE version = <what I read>", so of two writers that
    # read the same version only one can commit. Services bump the version themselves, also for
    # steps that leave the state unchanged (the three presentations).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def period_label(self) -> str:
        return f"{self.period_start}-{self.period_end}"


class Milestone(db.Model):
    """A milestone of the procedure with its planned date; what actually happened is in steps."""

    __tablename__ = "milestones"
    __table_args__ = (
        UniqueConstraint("procedure_id", "code", name="uq_milestones_code"),
        # The desk's "next planned milestone not yet recorded", read from the index alone.
        Index("ix_milestones_procedure_planned", "procedure_id", "planned_date", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"))
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    planned_date: Mapped[date | None] = mapped_column(Date)

    procedure: Mapped[Procedure] = relationship(back_populates="milestones")


class ProcedureStep(db.Model):
    """One fired event, with the data the law asks for and the act that justifies it.

    Steps are only ever added: a re-adoption after an unfavourable parere is a new step, and the
    earlier adoption stays visible.
    """

    __tablename__ = "procedure_steps"
    # "Is this milestone recorded?" for the desk, answered from the index alone.
    __table_args__ = (
        Index("ix_procedure_steps_procedure_milestone", "procedure_id", "milestone_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    milestone_code: Mapped[str | None] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(60))
    to_state: Mapped[str] = mapped_column(String(60))
    occurred_on: Mapped[date] = mapped_column(Date)
    act_kind: Mapped[str | None] = mapped_column(String(60))
    act_number: Mapped[str | None] = mapped_column(String(40))
    act_date: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_role: Mapped[str] = mapped_column(String(40))

    procedure: Mapped[Procedure] = relationship(back_populates="steps")
    recorded_by: Mapped[Any] = relationship("User", lazy="joined")
    # Set by procedures.get with one query per procedure; loaded on access anywhere else.
    rettifiche: Mapped[list[Rettifica]] = relationship(
        back_populates="step", order_by="Rettifica.id"
    )

    @property
    def current(self) -> ProcedureStep | Rettifica:
        """What the record says now: the latest rettifica, or the step as first recorded. Both
        carry occurred_on, act_number, act_date and data."""
        return self.rettifiche[-1] if self.rettifiche else self


class Rettifica(db.Model):
    """A correction of a recorded step: the step's values as they should read, who corrected
    them, when and why. Only ever added (the step row and earlier corrections stay as written):
    the latest one is what the record says, the others are its history."""

    __tablename__ = "procedure_rettifiche"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("procedure_steps.id"), index=True)
    # Read per procedure (procedures.get), never by scanning the steps.
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    act_number: Mapped[str | None] = mapped_column(String(40))
    act_date: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    motivo: Mapped[str] = mapped_column(Text, info={"max_length": 2000, "label": "motivo"})
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_role: Mapped[str] = mapped_column(String(40))

    step: Mapped[ProcedureStep] = relationship(back_populates="rettifiche")
    recorded_by: Mapped[Any] = relationship("User", lazy="joined")
