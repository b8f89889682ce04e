"""How a procedure's record reads now: each step as its latest rettifica says, the act it cites,
and the term for the contributions of Comuni and Forum (the schema decree's, or the latest
proroga's). Pure functions of the loaded steps: the pages, the API, the guards' facts and the
deadline rules read the record through them, so a corrected value is followed everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow.core.calendar import roll_forward
from workflow.core.clock import format_date
from workflow.engine.definition import Definition

TERM_FIELD = "scadenza_contributi"


def citation(definition: Definition, step: Any, values: Any = None) -> str:
    """How the act of `step` (a ProcedureStep) is cited: kind, number and date, as on the plan's
    cover ("Decreto R.G. 43/2025 del 19/02/2025"); "" without an act. `values`: a rettifica or
    the step itself (as first recorded); by default what the record says now."""
    act = definition.acts.get(step.act_kind) or next(
        (s.act for s in definition.steps if s.act and s.act.code == step.act_kind), None
    )
    now = values if values is not None else step.current
    if act is None or now.act_date is None:
        return ""
    number = f" {now.act_number}" if now.act_number else ""  # a ministerial decree has none
    return f"{act.citation}{number} del {format_date(now.act_date)}"


def describe(definition: Definition, step: Any, values: Any = None) -> str:
    """The act cited, or the session's date for a step without an act (`values` as above)."""
    now = values if values is not None else step.current
    return citation(definition, step, now) or f"Seduta del {format_date(now.occurred_on)}"


def terms(steps: Sequence[Any], field: str = TERM_FIELD) -> list[tuple[Any, date]]:
    """Every term a step stated in `field` (by default the contributions'), in the order
    recorded: the schema decree's first, then each proroga's; values as they read now (after
    any rettifica)."""
    stated = [(s, s.current.data.get(field)) for s in steps]
    return [(s, date.fromisoformat(value)) for s, value in stated if value]


def extension(steps: Sequence[Any]) -> tuple[Any, date] | None:
    """The latest proroga of the contributions' term: a step that stated a term after the one
    that first set it (the schema decree), with the term it set; None when there is none."""
    stated = terms(steps)
    return stated[-1] if len(stated) > 1 else None


def contributions_term(steps: Sequence[Any]) -> tuple[date | None, date | None]:
    """The term in force as stated (the latest step that set one) and its last day, moved off a
    holiday (c.p.c. art. 155); (None, None) until a step sets one."""
    stated = terms(steps)
    if not stated:
        return None, None
    last = stated[-1][1]
    return last, roll_forward(last)


@dataclass(frozen=True)
class Version:
    """One version of a recorded step: as first recorded (`motivo` "") or as a rettifica made it,
    with who wrote it and when."""

    text: str  # the act cited, or the session's date
    occurred_on: date
    note: str
    term: date | None  # the contributions' term it states, if any
    by: str
    at: datetime
    motivo: str


def versions(definition: Definition, step: Any) -> list[Version]:
    """The step as first recorded, then each rettifica in order; the last is what holds now."""
    return [
        Version(
            text=describe(definition, step, v),
            occurred_on=v.occurred_on,
            note=v.data.get("note", ""),
            term=date.fromisoformat(v.data[TERM_FIELD]) if v.data.get(TERM_FIELD) else None,
            by=v.recorded_by.full_name,
            at=v.recorded_at,
            motivo=getattr(v, "motivo", ""),
        )
        for v in (step, *step.rettifiche)
    ]
