"""Reading many procedures at once: the filtered, paginated list and the cross-year comparison.

Everything here is read-only and bounded: a page of rows and, for that page only, the few facts
it shows (grouped queries), never every step of every procedure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from math import ceil
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from workflow.definitions import DEFINITIONS, LATEST, DefinitionUnavailable, definition_for
from workflow.engine.definition import Definition
from workflow.extensions import db
from workflow.procedures.models import Milestone, Procedure, ProcedureStep, Rettifica

T = TypeVar("T")

PER_PAGE = 20
OPEN, CLOSED = "aperti", "conclusi"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list; `number` counts from 1."""

    items: list[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything odd means the first page."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def final_states() -> dict[str, set[str]]:
    """Final state names per kind, over every version of every definition."""
    result: dict[str, set[str]] = {}
    for (kind, _), definition in DEFINITIONS.items():
        result.setdefault(kind, set()).update(s.name for s in definition.states if s.final)
    return result


def is_open() -> ColumnElement[bool]:
    """SQL: the procedure is not in a final state of its kind."""
    return or_(
        *(
            and_(Procedure.kind == kind, Procedure.state.not_in(sorted(names)))
            for kind, names in final_states().items()
        ),
        Procedure.kind.not_in(sorted(final_states())),
    )


@dataclass(frozen=True)
class ListFilters:
    """What the list page can filter on (all optional)."""

    q: str = ""  # words of the title
    status: str = ""  # OPEN, CLOSED or "" for all
    year: int | None = None  # a year of the triennio
    kind: str = ""

    @classmethod
    def from_args(cls, args: dict[str, str]) -> ListFilters:
        year = args.get("anno", "").strip()
        status = args.get("stato", "").strip()
        kind = args.get("tipo", "").strip()
        return cls(
            q=args.get("q", "").strip()[:100],
            status=status if status in (OPEN, CLOSED) else "",
            year=int(year) if year.isdigit() and len(year) == 4 else None,
            kind=kind if kind in LATEST else "",
        )

    def apply(self, query: Select) -> Select:
        if self.q:
            query = query.where(Procedure.title.icontains(self.q, autoescape=True))
        if self.status == OPEN:
            query = query.where(is_open())
        elif self.status == CLOSED:
            query = query.where(~is_open())
        if self.year is not None:
            query = query.where(
                Procedure.period_start <= self.year, Procedure.period_end >= self.year
            )
        if self.kind:
            query = query.where(Procedure.kind == self.kind)
        return query


def procedures_page(filters: ListFilters, number: int, per_page: int = PER_PAGE) -> Page[Procedure]:
    """The procedures matching `filters`, newest triennio first, one page of them."""
    base = filters.apply(select(Procedure))
    total = db.session.scalar(filters.apply(select(func.count(Procedure.id)))) or 0
    pages = max(1, ceil(total / per_page))
    number = min(number, pages)
    rows = db.session.scalars(
        base.order_by(Procedure.period_start.desc(), Procedure.id.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return Page(list(rows), number, per_page, total)


def recorded_dates(procedure_ids: Iterable[int]) -> dict[int, dict[str, date]]:
    """For each procedure, the latest date on which each milestone was recorded (one query).

    The latest, because a re-adoption after an unfavourable parere supersedes the first adoption;
    each step's date as its latest rettifica says, if it has one.
    """
    ids = list(procedure_ids)
    result: dict[int, dict[str, date]] = {pid: {} for pid in ids}
    if not ids:
        return result
    corrected = (
        select(Rettifica.occurred_on)
        .where(Rettifica.step_id == ProcedureStep.id)
        .order_by(Rettifica.id.desc())
        .limit(1)
        .correlate(ProcedureStep)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            ProcedureStep.procedure_id,
            ProcedureStep.milestone_code,
            func.max(func.coalesce(corrected, ProcedureStep.occurred_on)),
        )
        .where(ProcedureStep.procedure_id.in_(ids), ProcedureStep.milestone_code.is_not(None))
        .group_by(ProcedureStep.procedure_id, ProcedureStep.milestone_code)
    )
    for pid, code, when in rows:
        result[pid][code] = when
    return result


def planned_dates(procedure_ids: Iterable[int]) -> dict[int, dict[str, date]]:
    """For each procedure, the planned date of each milestone that has one (one query)."""
    ids = list(procedure_ids)
    result: dict[int, dict[str, date]] = {pid: {} for pid in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(Milestone.procedure_id, Milestone.code, Milestone.planned_date).where(
            Milestone.procedure_id.in_(ids), Milestone.planned_date.is_not(None)
        )
    )
    for pid, code, when in rows:
        result[pid][code] = when
    return result


# ---- Comparison across years -------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseSpan:
    """How long one phase took: from the end of the previous phase to its own last milestone.

    The first phase starts with the first milestone (the avvio). `days` is None when the phase has
    not started; `done` is False while some of its milestones are still to be recorded (then `days`
    counts up to today).
    """

    phase: str
    start: date | None
    end: date | None
    days: int | None
    done: bool


@dataclass(frozen=True)
class Comparison:
    procedure: Procedure
    spans: list[PhaseSpan]
    start: date | None
    end: date | None

    @property
    def total_days(self) -> int | None:
        known = [s.days for s in self.spans if s.days is not None]
        return sum(known) if known else None

    @property
    def done(self) -> bool:
        return all(s.done for s in self.spans)


def phases(definition: Definition) -> list[str]:
    return list(dict.fromkeys(m.phase for m in definition.milestones))


def phase_spans(definition: Definition, recorded: dict[str, date], today: date) -> list[PhaseSpan]:
    """The spans of each phase of `definition`, given when each milestone was recorded."""
    spans = []
    first = definition.milestones[0].code if definition.milestones else None
    previous_end = recorded.get(first) if first else None
    order = phases(definition)
    for index, phase in enumerate(order):
        codes = [m.code for m in definition.milestones if m.phase == phase]
        dates = [recorded[c] for c in codes if c in recorded]
        # Done when all its milestones are recorded, or a later phase's is (an optional
        # milestone never recorded, the DUP's revisori on the DUP, does not keep it open).
        later = [m.code for m in definition.milestones if m.phase in order[index + 1 :]]
        done = bool(dates) and (len(dates) == len(codes) or any(c in recorded for c in later))
        start = previous_end
        if start is None:
            spans.append(PhaseSpan(phase, None, None, None, False))
            continue
        end = max(dates) if done else None
        days = ((end if end else today) - start).days
        spans.append(PhaseSpan(phase, start, end, max(days, 0), done))
        previous_end = end
    return spans


def comparison_page(
    kind: str, number: int, today: date, per_page: int = 10
) -> tuple[Definition, Page[Comparison]]:
    """Procedures of `kind`, newest first, each with how long each phase took.

    Raises nothing: an unknown kind gives an empty page of the first definition.
    """
    definition = LATEST.get(kind) or next(iter(LATEST.values()))
    filters = ListFilters(kind=definition.kind)
    page = procedures_page(filters, number, per_page) if kind in LATEST else Page([], 1, 1, 0)
    recorded = recorded_dates(p.id for p in page.items)
    rows = []
    for procedure in page.items:
        # The procedure's own version; the latest only to lay out one whose version is gone.
        try:
            own = definition_for(procedure.kind, procedure.definition_version)
        except DefinitionUnavailable:
            own = definition
        spans = phase_spans(own, recorded[procedure.id], today)
        dates = list(recorded[procedure.id].values())
        last = own.milestones[-1].code
        rows.append(
            Comparison(
                procedure,
                spans,
                start=min(dates) if dates else None,
                end=recorded[procedure.id].get(last),
            )
        )
    return definition, Page(rows, page.number, page.per_page, page.total)


@dataclass
class PhaseAverage:
    phase: str
    days: list[int] = field(default_factory=list)

    @property
    def mean(self) -> int | None:
        return round(sum(self.days) / len(self.days)) if self.days else None


def averages(rows: list[Comparison], definition: Definition) -> list[PhaseAverage]:
    """Mean duration of each completed phase over `rows`: the figure to plan the next update by."""
    result = {p: PhaseAverage(p) for p in phases(definition)}
    for row in rows:
        for span in row.spans:
            if span.done and span.days is not None and span.phase in result:
                result[span.phase].days.append(span.days)
    return list(result.values())
