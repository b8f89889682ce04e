"""The timeline of a procedure: one row per milestone, planned against actual, today marked.

Each bar runs from the previous milestone of the same series (planned or actual) to this one, so
its length is the time that milestone took; the first milestone is a short mark. An actual date
later than planned is late; a planned date already past with nothing recorded is overdue and its
bar runs from the planned date to today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from workflow.core.clock import format_date
from workflow.core.drawing import MONTHS, wrap
from workflow.procedures.operations import MilestoneRow

WIDTH = 880
LABEL_W = 262
PLOT_L, PLOT_R = LABEL_W + 8, WIDTH - 24
TOP = 34
ROW_H = 40
MARK = 4  # px: the width of a bar that has no length (the first milestone)


@dataclass(frozen=True)
class Bar:
    x: float
    w: float
    y: float
    h: float


@dataclass(frozen=True)
class Row:
    code: str
    lines: tuple[str, ...]
    y: float
    planned: Bar | None
    actual: Bar | None
    late: bool  # recorded after its planned date
    overdue: bool  # planned date past, not recorded
    href: str
    tooltip: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    rows: list[Row]
    ticks: list[Tick]
    today_x: float
    today_label: str
    title: str
    desc: str
    plot_left: float = PLOT_L
    plot_right: float = PLOT_R
    top: float = TOP


def _previous(when: date, others: list[date]) -> date:
    earlier = [d for d in others if d < when]
    return max(earlier) if earlier else when


def _ticks(lo: date, hi: date, x: Callable[[date], float]) -> list[Tick]:
    months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 9)
    ticks, year, month = [], lo.year, lo.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        first = date(year, month, 1)
        if first > hi:
            return ticks
        if (year * 12 + month - 1) % step == 0:
            ticks.append(Tick(x(first), f"{MONTHS[month - 1]} {year}"))


def _tooltip(r: MilestoneRow, overdue: bool) -> str:
    """What a milestone's row says on hover: planned and actual date, its status, its act."""
    if r.late:
        status = "in ritardo"
    elif overdue:
        status = "scaduta, non registrata"
    elif r.actual_date:
        status = "registrata"
    else:
        status = "da registrare"
    return (
        f"{r.label}: prevista {format_date(r.planned_date) or 'non fissata'}, "
        f"effettiva {format_date(r.actual_date) or '—'} ({status})"
        + (f"; {r.act}" if r.act else "")
        + (f" ({r.warning})" if r.warning else "")
        + (f"; rettificata, registrata prima come: {r.original}" if r.original else "")
    )


def timeline(
    rows: list[MilestoneRow], today: date, href: Callable[[MilestoneRow], str], title: str
) -> Timeline:
    """Lay out the milestone `rows` of one procedure around `today`."""
    dates = [d for r in rows for d in (r.planned_date, r.actual_date) if d] + [today]
    lo, hi = min(dates) - timedelta(days=12), max(dates) + timedelta(days=12)
    span = (hi - lo).days

    def x(when: date) -> float:
        return PLOT_L + (when - lo).days / span * (PLOT_R - PLOT_L)

    def bar(start: date, end: date, y: float, h: float) -> Bar:
        if start >= end:
            return Bar(x(end) - MARK / 2, MARK, y, h)
        return Bar(x(start), max(x(end) - x(start), MARK), y, h)

    planned_all = [r.planned_date for r in rows if r.planned_date]
    actual_all = [r.actual_date for r in rows if r.actual_date]
    out = []
    late_n = overdue_n = 0
    for i, r in enumerate(rows):
        y = TOP + i * ROW_H
        overdue = bool(r.planned_date and not r.actual_date and r.planned_date < today)
        planned = (
            bar(_previous(r.planned_date, planned_all), r.planned_date, y + 8, 9)
            if r.planned_date
            else None
        )
        if r.actual_date:
            actual = bar(_previous(r.actual_date, actual_all), r.actual_date, y + 19, 13)
        elif overdue and r.planned_date is not None:  # overdue implies a planned date
            actual = bar(r.planned_date, today, y + 19, 13)
        else:
            actual = None
        late_n += r.late
        overdue_n += overdue
        tooltip = _tooltip(r, overdue)
        out.append(
            Row(r.code, wrap(r.label, 38), y, planned, actual, r.late, overdue, href(r), tooltip)
        )
    height = TOP + len(rows) * ROW_H + 12
    recorded = sum(1 for r in rows if r.actual_date)
    desc = (
        f"{len(rows)} tappe, {recorded} registrate, {late_n} registrate in ritardo sulla data "
        f"prevista, {overdue_n} scadute e non registrate. Oggi è il {format_date(today)}. "
        "Gli stessi dati sono nella tabella delle tappe."
    )
    return Timeline(
        width=WIDTH,
        height=height,
        rows=out,
        ticks=_ticks(lo, hi, x),
        today_x=x(today),
        today_label=f"oggi {format_date(today)}",
        title=title,
        desc=desc,
    )
