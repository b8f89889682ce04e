"""State machine definitions as data, and the engine that runs them with `transitions`.

Nothing here touches Flask or the database: a definition is a list of states and steps with the
names of their guards; the engine binds it to a throw-away model for one operation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from transitions import Machine


@dataclass(frozen=True)
class Field:
    """One datum a step asks for. `missing` completes "Manca …" when a required field is empty."""

    name: str
    label: str
    type: str  # "date" | "text" | "act_number" | "bool"
    required: bool = True
    missing: str = ""


@dataclass(frozen=True)
class ActKind:
    """The kind of act that justifies a step, as it is cited: "Decreto R.G. 43/2025 del …"."""

    code: str
    label: str  # e.g. "Decreto del Sindaco metropolitano"
    citation: str  # e.g. "Decreto R.G." / "Delibera n."


@dataclass(frozen=True)
class State:
    name: str
    label: str
    final: bool = False


@dataclass(frozen=True)
class MilestoneSpec:
    code: str
    label: str
    phase: str


@dataclass(frozen=True)
class Step:
    """A transition. `guards` refuse with a message; `when` only routes between destinations."""

    event: str
    label: str
    source: str
    dest: str | None  # None: an internal transition, the state does not change
    roles: tuple[str, ...]
    fields: tuple[Field, ...]
    milestone: str | None = None
    act: ActKind | None = None
    guards: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What guards may look at: recorded milestones, dates, today's date and per-kind details."""

    recorded: frozenset[str]
    last_step_on: date | None
    today: date
    # What a kind of object adds for its own guards (an act: valid opinions, signatures, window).
    details: Mapping[str, Any] = field(default_factory=dict)


# A guard returns None when satisfied, or the Italian sentence that says what is missing.
Guard = Callable[[Facts, Mapping[str, Any]], str | None]
Route = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Definition:
    kind: str
    version: int
    title: str
    initial: str
    states: tuple[State, ...]
    milestones: tuple[MilestoneSpec, ...]
    steps: tuple[Step, ...]
    guards: Mapping[str, Guard] = field(default_factory=dict)
    routes: Mapping[str, Route] = field(default_factory=dict)
    common_guards: tuple[str, ...] = ()

    def state(self, name: str) -> State:
        return next(s for s in self.states if s.name == name)

    def events(self) -> list[str]:
        return list(dict.fromkeys(s.event for s in self.steps))

    def steps_for(self, event: str, source: str) -> list[Step]:
        return [s for s in self.steps if s.event == event and s.source == source]

    def milestone(self, code: str) -> MilestoneSpec:
        return next(m for m in self.milestones if m.code == code)


class UnknownEvent(Exception):
    """The definition has no such event."""


class NotAvailable(Exception):
    """The event exists but cannot be fired from the current state."""


class Refused(Exception):
    """A guard refused the event; the message says why, in Italian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Run:
    """The model bound to the machine for one operation; it owns nothing else."""

    def __init__(self, state: str) -> None:
        self.state = state


def guard_failures(definition: Definition, step: Step, facts: Facts, data: Mapping) -> list[str]:
    """The messages of every guard of `step` that refuses, common guards first."""
    names = (*definition.common_guards, *step.guards)
    return [msg for name in names if (msg := definition.guards[name](facts, data)) is not None]


def available_steps(
    definition: Definition, state: str, roles: set[str], facts: Facts
) -> list[Step]:
    """Steps that may be fired now from `state` by someone holding `roles` (routing aside)."""
    result: dict[str, Step] = {}
    for step in definition.steps:
        if step.source != state or step.event in result or not roles.intersection(step.roles):
            continue
        if not [g for g in step.guards if definition.guards[g](facts, {}) is not None]:
            result[step.event] = step
    return list(result.values())


def fire(
    definition: Definition, state: str, event: str, facts: Facts, data: Mapping[str, Any]
) -> tuple[Step, str]:
    """Fire `event` from `state` with the step's `data`; return the step taken and the new state.

    Raises UnknownEvent, NotAvailable or Refused.
    """
    if event not in definition.events():
        raise UnknownEvent(event)
    candidates = definition.steps_for(event, state)
    if not candidates:
        raise NotAvailable(event)
    failures = guard_failures(definition, candidates[0], facts, data)
    if failures:
        raise Refused(failures[0])

    taken = next(
        (
            step
            for step in candidates
            if all(definition.routes[name](data) for name in step.when)
            and not any(definition.routes[name](data) for name in step.unless)
        ),
        None,
    )
    run = _Run(state)
    with _MACHINES_LOCK:  # one machine per definition, shared: its model list is not thread-safe
        machine = _machine(definition)
        machine.add_model(run, initial=state)
        try:
            fired = taken is not None and getattr(run, event)(data=dict(data), facts=facts)
        finally:
            machine.remove_model(run)
    if not fired:
        raise Refused("I dati del passaggio non corrispondono a nessuna delle strade possibili.")
    return taken, run.state


_MACHINES: dict[tuple[str, int], Machine] = {}
_MACHINES_LOCK = threading.Lock()


def _machine(definition: Definition) -> Machine:
    """The `transitions` machine of a definition, built on first use and kept (no model of its own:
    each fire adds a throw-away model and removes it). Guards read the facts from the event."""
    key = (definition.kind, definition.version)
    if key not in _MACHINES:
        _MACHINES[key] = build_machine(definition)
    return _MACHINES[key]


def build_machine(definition: Definition) -> Machine:
    """Build a model-less `transitions` machine from the definition."""

    def guard(name: str) -> Callable[..., bool]:
        return lambda event: (
            definition.guards[name](event.kwargs["facts"], event.kwargs.get("data", {})) is None
        )

    def route(name: str) -> Callable[..., bool]:
        return lambda event: definition.routes[name](event.kwargs.get("data", {}))

    transitions = [
        {
            "trigger": step.event,
            "source": step.source,
            "dest": step.dest,
            "conditions": [guard(g) for g in (*definition.common_guards, *step.guards)]
            + [route(r) for r in step.when],
            "unless": [route(r) for r in step.unless],
        }
        for step in definition.steps
    ]
    return Machine(
        model=None,
        states=[s.name for s in definition.states],
        transitions=transitions,
        initial=definition.initial,
        auto_transitions=False,
        send_event=True,
    )
