"""The comparison chart: one stacked bar per procedure, a segment per phase, length = days."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.core.drawing import wrap
from workflow.procedures.browse import Comparison

WIDTH = 880
LABEL_W = 190
PLOT_L, PLOT_R = LABEL_W + 10, WIDTH - 130
TOP = 10
ROW_H = 44


@dataclass(frozen=True)
class Segment:
    x: float
    w: float
    index: int  # 1-based phase number: the CSS class and the pattern
    phase: str
    days: int
    done: bool
    text: str  # shown inside when it fits


@dataclass(frozen=True)
class Bar:
    lines: tuple[str, ...]
    y: float
    segments: list[Segment]
    total_text: str
    total_x: float


@dataclass(frozen=True)
class PhasesChart:
    width: float
    height: float
    bars: list[Bar]
    title: str
    desc: str


def phases_chart(rows: list[Comparison], phases: list[str], title: str) -> PhasesChart:
    longest = max((r.total_days or 0 for r in rows), default=0) or 1
    scale = (PLOT_R - PLOT_L) / longest
    bars = []
    for i, row in enumerate(rows):
        x = PLOT_L
        segments = []
        for span in row.spans:
            if span.days is None:
                continue
            w = span.days * scale
            index = phases.index(span.phase) + 1 if span.phase in phases else 1
            text = f"{span.days} g" if w >= 44 else ""
            segments.append(Segment(x, w, index, span.phase, span.days, span.done, text))
            x += w
        total = row.total_days
        total_text = "" if total is None else f"{total} g" + ("" if row.done else " (in corso)")
        lines = wrap(row.procedure.title, 27)
        bars.append(Bar(lines, TOP + i * ROW_H, segments, total_text, x + 6))
    desc = "; ".join(
        f"{r.procedure.title}: "
        + ", ".join(
            f"{s.phase} {s.days} giorni" + ("" if s.done else " finora")
            for s in r.spans
            if s.days is not None
        )
        for r in rows
    )
    return PhasesChart(
        WIDTH, TOP + len(rows) * ROW_H + 6, bars, title, desc or "Nessun procedimento."
    )
