"""A fascicolo on one page: every act, procedure (with its steps) and protocol registration
classified in it (DPR 445/2000 artt. 64-65: the fascicolo gathers the documents of one affair;
the seed's acts all sit in 2.16/2024/1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflow.acts import queries as acts_queries
from workflow.acts.models import Act
from workflow.core.errors import InvalidData
from workflow.extensions import db
from workflow.procedures import operations as procedures_ops
from workflow.procedures.models import Procedure
from workflow.protocollo.queries import Row, classified_in, fascicolo_clause


@dataclass(frozen=True)
class StepLine:
    """A recorded step of a procedure as the fascicolo lists it: its label and what it cites."""

    occurred_on: date
    label: str
    cites: str


@dataclass(frozen=True)
class ProcedureLines:
    procedure: Procedure
    steps: list[StepLine]


@dataclass(frozen=True)
class Fascicolo:
    """Titolario class / year / number, and everything classified in it, oldest first."""

    code: str
    acts: list[Act]
    procedures: list[ProcedureLines]
    registrations: list[Row]

    @property
    def empty(self) -> bool:
        return not (self.acts or self.procedures or self.registrations)


def normalised(value: str) -> str:
    """The fascicolo as the register writes it ("2.16 / 2024 / 01" → "2.16/2024/1").
    Raises InvalidData when `value` is not Titolario/Anno/Fascicolo."""
    code = acts_queries.fascicolo_in(value)
    if not code:
        raise InvalidData("Fascicolo non valido: indicare Titolario/Anno/Fascicolo (2.16/2024/1).")
    return code


def browse(value: str) -> Fascicolo:
    """Everything in the fascicolo `value`. Raises InvalidData for a malformed one; an unknown
    fascicolo is simply empty."""
    code = normalised(value)
    acts = db.session.scalars(
        select(Act)
        .where(fascicolo_clause(code, Act.titolario, Act.fascicolo_anno, Act.fascicolo_numero))
        .order_by(Act.id)
    )
    # A procedure's fascicolo is the text typed when it was opened: compared once normalised.
    candidates = db.session.scalars(
        select(Procedure)
        .where(Procedure.fascicolo.contains(code.split("/")[0], autoescape=True))
        .options(selectinload(Procedure.steps))
        .order_by(Procedure.id)
    )
    procedures = [_lines(p) for p in candidates if acts_queries.fascicolo_in(p.fascicolo) == code]
    return Fascicolo(
        code=code, acts=list(acts), procedures=procedures, registrations=classified_in(code)
    )


def _lines(procedure: Procedure) -> ProcedureLines:
    definition = procedures_ops.definition_of(procedure)
    labels = {step.event: step.label for step in definition.steps}
    return ProcedureLines(
        procedure,
        [
            StepLine(s.occurred_on, labels.get(s.event, ""), procedures_ops.describe(definition, s))
            for s in procedure.steps
        ],
    )
