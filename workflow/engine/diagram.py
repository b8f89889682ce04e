"""The state diagram of a machine, laid out from its Definition (the one that runs the procedure).

States are placed in rows by their distance from the initial state (a breadth-first walk over the
steps), in the definition's order within a row. Forward steps go down; a step back to an earlier
row (the re-adoption after an unfavourable parere) curves along the side; steps that leave the
state unchanged (the three presentations of the consultation) are listed beside their state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workflow.core.drawing import text_width, wrap
from workflow.engine.definition import Definition, Step

NODE_W, NODE_H = 236, 48
ROW_GAP, COL_GAP = 92, 56
SIDE = 150  # least room at each side for the curves of backward steps and their labels
TOP = 16
# An arrow's label: the step's Italian label in up to three lines, which fit between two rows
# (ROW_GAP) at the 13 px line height of the template.
EDGE_LABEL_CHARS, EDGE_LABEL_LINES = 26, 3
# A fork's branch label stands above the state it enters: narrower, and as tall as the gap allows.
FORK_LABEL_CHARS, FORK_LABEL_LINES = 20, 4
# How far a backward step's curve bends out of the column: enough to pass outside the label of a
# fork's branch that stands above the state it leaves.
BULGE = 150


@dataclass(frozen=True)
class Node:
    name: str
    lines: tuple[str, ...]
    x: float
    y: float
    visited: bool
    current: bool
    final: bool
    initial: bool

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2


@dataclass(frozen=True)
class Loop:
    """A step that keeps the state (drawn as a list beside the state): `event` is its code (an
    attribute for tests and scripts), `label` what people read."""

    event: str
    label: str
    x: float
    y: float
    taken: bool


@dataclass(frozen=True)
class Edge:
    source: str
    dest: str
    event: str  # the step's code: an attribute of the drawing, never its text
    lines: tuple[str, ...]  # the step's Italian label, wrapped
    condition: str  # "favorevole" / "non favorevole" for routed steps, else ""
    path: str
    label_x: float
    label_y: float
    anchor: str  # text-anchor of the label
    taken: bool
    backward: bool


@dataclass(frozen=True)
class Transition:
    """One row of the text alternative: the step as people read it (its label, and the
    route's condition when the step is one of the ways an event can go)."""

    source: str
    label: str
    dest: str
    taken: bool


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    nodes: list[Node]
    edges: list[Edge]
    loops: list[Loop]
    loop_arcs: list[tuple[str, bool]]  # path and taken, one per state with loops
    title: str
    desc: str
    transitions: list[Transition]


def condition_of(step: Step) -> str:
    if step.when:
        return " e ".join(step.when)
    if step.unless:
        return "non " + " e ".join(step.unless)
    return ""


def short_label(label: str) -> str:
    """ "Avviato: elaborazione delle linee guida" → "Avviato" (the part before the colon)."""
    return label.split(":", 1)[0].strip()


def ranks(definition: Definition) -> dict[str, int]:
    """Distance of every state from the initial one, over the steps that change state."""
    rank = {definition.initial: 0}
    frontier = [definition.initial]
    while frontier:
        following = []
        for state in frontier:
            for step in definition.steps:
                if step.source == state and step.dest and step.dest not in rank:
                    rank[step.dest] = rank[state] + 1
                    following.append(step.dest)
        frontier = following
    unreachable = max(rank.values()) + 1
    return {s.name: rank.get(s.name, unreachable) for s in definition.states}


def state_diagram(
    definition: Definition, current: str, taken: Iterable[tuple[str, str, str]]
) -> Diagram:
    """Lay out `definition`, marking the `current` state and the `taken` (source, event, dest)
    steps, in the order they were recorded."""
    path = list(taken)
    taken_set = set(path)
    visited = {definition.initial, current} | {s for s, _, _ in path} | {d for _, _, d in path}
    loops_by_state: dict[str, list[Step]] = {}
    for step in definition.steps:
        if step.dest is None:
            loops_by_state.setdefault(step.source, []).append(step)
    nodes, width, height, _ = _place(definition, current, visited, loops_by_state)
    edges = [
        _edge(step, nodes, width, (step.source, step.event, step.dest) in taken_set)
        for step in definition.steps
        if step.dest is not None
    ]
    loops, arcs = _loops(loops_by_state, nodes, taken_set)
    return Diagram(
        width=width,
        height=height,
        nodes=list(nodes.values()),
        edges=edges,
        loops=loops,
        loop_arcs=arcs,
        title=f"Diagramma degli stati — {definition.title}",
        desc=_description(definition, current, path),
        transitions=_transitions(definition, taken_set),
    )


def edge_lines(step: Step) -> tuple[str, ...]:
    """The label of a step's arrow: its Italian label, wrapped (never its code)."""
    return wrap(step.label, EDGE_LABEL_CHARS, EDGE_LABEL_LINES)


def _place(
    definition: Definition,
    current: str,
    visited: set[str],
    loops_by_state: dict[str, list[Step]],
) -> tuple[dict[str, Node], float, float, float]:
    """Nodes in rows by rank, each row centred; the width leaves room for the loops' labels and
    each side for the labels of the steps that go back (their curves run along the sides).
    Returns the nodes, the width, the height and the room left at each side."""
    rank = ranks(definition)
    rows: dict[int, list[str]] = {}
    for state in definition.states:
        rows.setdefault(rank[state.name], []).append(state.name)
    widest = max(len(r) for r in rows.values())
    inner = widest * NODE_W + (widest - 1) * COL_GAP
    loop_room = max(
        (text_width(s.label + " ✓") + 40 for steps in loops_by_state.values() for s in steps),
        default=0,
    )
    back_labels = [
        text_width(line)
        for s in definition.steps
        if s.dest is not None and rank[s.dest] <= rank[s.source]
        for line in edge_lines(s)
    ]
    side = max(SIDE, max(back_labels, default=0) + BULGE * 0.75 + 16)
    width = side + inner + max(side, loop_room)
    nodes: dict[str, Node] = {}
    for r, names in sorted(rows.items()):
        row_w = len(names) * NODE_W + (len(names) - 1) * COL_GAP
        left = side + (inner - row_w) / 2
        for i, name in enumerate(names):
            state = definition.state(name)
            nodes[name] = Node(
                name=name,
                lines=wrap(short_label(state.label), 30),
                x=left + i * (NODE_W + COL_GAP),
                y=TOP + r * (NODE_H + ROW_GAP),
                visited=name in visited,
                current=name == current,
                final=state.final,
                initial=name == definition.initial,
            )
    height = TOP + len(rows) * (NODE_H + ROW_GAP) - ROW_GAP + TOP
    return nodes, width, height, side


def _loops(
    loops_by_state: dict[str, list[Step]],
    nodes: dict[str, Node],
    taken_set: set[tuple[str, str, str]],
) -> tuple[list[Loop], list[tuple[str, bool]]]:
    """The steps that keep each state, listed beside it, and the arc that gathers them."""
    loops, arcs = [], []
    for name, steps in loops_by_state.items():
        node = nodes[name]
        any_taken = False
        for i, step in enumerate(steps):
            was = (name, step.event, name) in taken_set
            any_taken |= was
            loops.append(
                Loop(step.event, step.label, node.x + NODE_W + 34, node.y + 14 + i * 16, was)
            )
        right = node.x + NODE_W
        arcs.append(
            (
                f"M {right:.0f} {node.y + 14:.0f} "
                f"C {right + 30:.0f} {node.y - 6:.0f}, {right + 30:.0f} {node.y + NODE_H + 6:.0f}, "
                f"{right:.0f} {node.y + NODE_H - 14:.0f}",
                any_taken,
            )
        )
    return loops, arcs


def _description(definition: Definition, current: str, path: list[tuple[str, str, str]]) -> str:
    """The diagram said in words: where the procedure is and the way it came."""
    labels = {s.name: short_label(s.label) for s in definition.states}
    route = [labels[definition.initial]] + [labels[d] for _, _, d in path]
    route = [r for i, r in enumerate(route) if i == 0 or r != route[i - 1]]
    return (
        f"Stato attuale: {labels[current]}. "
        f"Percorso seguito: {' → '.join(route)}. "
        f"Il diagramma ha {len(definition.states)} stati e {len(definition.steps)} passaggi."
    )


def _transitions(definition: Definition, taken_set: set[tuple[str, str, str]]) -> list[Transition]:
    """The rows of the text alternative, one per step."""
    labels = {s.name: short_label(s.label) for s in definition.states}
    return [
        Transition(
            labels[s.source],
            s.label + (f" ({condition_of(s)})" if condition_of(s) else ""),
            labels[s.dest] if s.dest else "(stesso stato)",
            (s.source, s.event, s.dest or s.source) in taken_set,
        )
        for s in definition.steps
    ]


def _edge(step: Step, nodes: dict[str, Node], width: float, taken: bool) -> Edge:
    if step.dest is None:
        raise ValueError(f"{step.event} keeps its state: it is listed beside it, not drawn")
    src, dst = nodes[step.source], nodes[step.dest]
    condition = condition_of(step)
    if dst.y > src.y:  # forward: bottom of the source to the top of the destination
        x0, y0 = src.cx, src.y + NODE_H
        x1, y1 = dst.cx, dst.y
        mid_y = (y0 + y1) / 2
        path = (
            f"M {x0:.0f} {y0:.0f} C {x0:.0f} {mid_y:.0f}, {x1:.0f} {mid_y:.0f}, {x1:.0f} {y1:.0f}"
        )
        if abs(x1 - x0) <= 1:  # straight down: beside the arrow, centred on its middle
            lines = edge_lines(step)
            lx, anchor = x0 + 8, "start"
            label_y = mid_y + 4 - 13 * (len(lines) + (1 if condition else 0) - 1) / 2
        else:
            # One of a fork's branches: on the outer side of its arrow, just above the state it
            # enters. The curve never leaves the span between its two ends, so the label never
            # crosses it, nor the other branch's, whose label is on the other side.
            lines = wrap(step.label, FORK_LABEL_CHARS, FORK_LABEL_LINES - (1 if condition else 0))
            left = x1 < x0
            lx, anchor = (x1 - 10, "end") if left else (x1 + 10, "start")
            label_y = y1 - 8 - 13 * (len(lines) + (1 if condition else 0) - 1)
        return Edge(
            step.source,
            step.dest,
            step.event,
            lines,
            condition,
            path,
            lx,
            label_y,
            anchor,
            taken,
            False,
        )
    # backward (or sideways): along the outer side nearer to the source
    left = src.cx <= width / 2
    x0 = src.x if left else src.x + NODE_W
    x1 = dst.x if left else dst.x + NODE_W
    y0, y1 = src.y + NODE_H / 2, dst.y + NODE_H / 2
    bulge = -BULGE if left else BULGE
    path = (
        f"M {x0:.0f} {y0:.0f} C {x0 + bulge:.0f} {y0:.0f}, "
        f"{x1 + bulge:.0f} {y1:.0f}, {x1:.0f} {y1:.0f}"
    )
    lx = min(x0, x1) + bulge * 0.75 - 6 if left else max(x0, x1) + bulge * 0.75 + 6
    return Edge(
        step.source,
        step.dest,
        step.event,
        edge_lines(step),
        condition,
        path,
        lx,
        (y0 + y1) / 2,
        "end" if left else "start",
        taken,
        True,
    )
