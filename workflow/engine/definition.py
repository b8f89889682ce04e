"""State machine definitions as data, and the engine that runs them with `transitions`.

Nothing here touches Flask or the database: a definition is a list of states and steps with the
names of their guards and routes. `transitions` decides: each step is one of its transitions, the
guards and routes its conditions and `unless`, and an event fires (or is offered, `may_trigger`) on
a model lent for that one decision. Our code only says in Italian why a step was refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from transitions import EventData, Machine


@dataclass(frozen=True, kw_only=True)
class Field:
    """One datum a step asks for. `missing` completes "Manca …" when a required field is empty."""

    name: str
    label: str
    type: str  # "date" | "text" | "act_number" | "bool" | "document" | "documents" (ids)
    required: bool = True
    missing: str = ""


@dataclass(frozen=True, kw_only=True)
class ActKind:
    """The kind of act that justifies a step, as it is cited: "Decreto R.G. 43/2025 del …"."""

    code: str
    label: str  # e.g. "Decreto del Sindaco metropolitano"
    citation: str  # e.g. "Decreto R.G." / "Delibera n."


@dataclass(frozen=True, kw_only=True)
class State:
    """A state of the machine; `label` is what people read ("Avviato: elaborazione …")."""

    name: str
    label: str
    final: bool = False
    phase: str | None = None


@dataclass(frozen=True, kw_only=True)
class MilestoneSpec:
    """A milestone of a procedure's timetable, in the phase the plan puts it."""

    code: str
    label: str
    phase: str


@dataclass(frozen=True, kw_only=True)
class Step:
    """A transition: `event` fired by one of `roles` moves `source` to `dest` with the data of
    `fields`. `guards` refuse with a message; `when` / `unless` only route between destinations
    (the steps of one event from one state differ only there)."""

    event: str
    label: str
    source: str
    dest: str | None  # None: an internal transition, the state does not change
    roles: tuple[str, ...]
    fields: tuple[Field, ...] = ()
    milestone: str | None = None
    act: ActKind | None = None
    guards: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    legal_source: str = ""


@dataclass(frozen=True, kw_only=True)
class DeadlineRule:
    """A legal term of a procedure, derived from its record (workflow/deadlines/rules.py).

    When it falls due, exactly one of:
    - `fixed` (day, month, years after the period's first year: (31, 7, -1) is 31 July of the
      year before), a fixed day of the year;
    - `after` (milestone, amount, unit): `amount` "working_days", "days" (calendar) or "years"
      after the day the milestone was recorded;
    - `month_end` (milestone, months): the last day of the month `months` after the milestone's;
    - `from_field`: the day written in that field of the steps, the latest recorded (a proroga);
      beside one of the others, it replaces it once a step states it (a deferral by decree).
    A term counted in calendar days from a milestone and falling on a holiday moves to the next
    working day (c.p.c. art. 155); a day the law or an act names (31 December) is never moved.
    It is met when `met_by` is recorded on this procedure, or `met_by_successor` on a later one
    of the same kind; without either it closes at its due date (`remind_overdue` False).
    """

    code: str
    label: str
    basis: str
    category: str = "termine"
    responsible: str | None = None
    remind_overdue: bool = True
    fixed: tuple[int, int, int] | None = None
    after: tuple[str, int, str] | None = None
    month_end: tuple[str, int] | None = None
    from_field: str | None = None
    met_by: str | None = None
    met_by_successor: str | None = None

    @property
    def starts_from(self) -> str | None:
        """The milestone whose record starts the term, if it is relative to one."""
        if self.after:
            return self.after[0]
        return self.month_end[0] if self.month_end else None


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What every guard may look at; each kind of object adds what its own guards read."""

    today: date  # Europe/Rome


@dataclass(frozen=True, kw_only=True)
class ProcedureFacts(Facts):
    """What a procedure's guards look at: the milestones recorded, the date of the last step and
    of the last step that changed state (where the current phase began), and the last day of the
    contributions' term (after any proroga, moved off a holiday), when one was set."""

    recorded: frozenset[str]
    last_step_on: date | None
    phase_started_on: date | None = None
    contributions_due: date | None = None
    # The latest value each step field was given, as stored (a date as ISO text): what a term
    # in force is, for a step that may only move it later (a deferral).
    stated: Mapping[str, Any] = field(default_factory=dict)


# A guard returns None when satisfied, or the Italian sentence that says what is missing. It reads
# the Facts subclass its definition's objects give (ProcedureFacts, acts' ActFacts).
Guard = Callable[[Any, Mapping[str, Any]], str | None]
Route = Callable[[Mapping[str, Any]], bool]

# What the steps of one event from one state must share: the door checks roles and parses fields
# before the machine chooses among them, and a refusal is explained by their guards.
_SHARED = ("label", "roles", "fields", "guards")


@dataclass(frozen=True, kw_only=True)
class Definition:
    """A machine: its states, milestones and steps, and the guards and routes they name.

    Raises ValueError when built with a guard or route it does not define, or with steps of one
    event from one state that differ in more than their routes and destination.
    """

    kind: str
    version: str  # the SHA-256 of the definition's canonical content (definitions/loader.py)
    title: str
    initial: str
    states: tuple[State, ...]
    milestones: tuple[MilestoneSpec, ...]
    steps: tuple[Step, ...]
    guards: Mapping[str, Guard] = field(default_factory=dict)
    routes: Mapping[str, Route] = field(default_factory=dict)
    common_guards: tuple[str, ...] = ()
    short_title: str = ""  # "PSTTM": a procedure is called "PSTTM 2025-2027"
    years: int = 3  # the period a procedure covers: 3 for a triennio
    phases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # the law the procedure follows
    planning_basis: str = ""  # where the planned dates of the milestones come from
    deadlines: tuple[DeadlineRule, ...] = ()
    acts: Mapping[str, ActKind] = field(default_factory=dict)
    source_text: str = ""  # the file as written, comments included
    file_name: str = ""

    def __post_init__(self) -> None:
        for step in self.steps:
            unknown = {*step.guards, *self.common_guards} - set(self.guards)
            unknown |= {*step.when, *step.unless} - set(self.routes)
            if unknown:
                raise ValueError(f"{self.kind}.{step.event}: undefined {sorted(unknown)}")
            first = self.steps_for(step.event, step.source)[0]
            differ = [name for name in _SHARED if getattr(step, name) != getattr(first, name)]
            if differ:
                raise ValueError(f"{self.kind}.{step.event} from {step.source} differs: {differ}")

    def state(self, name: str) -> State:
        return next(s for s in self.states if s.name == name)

    def events(self) -> list[str]:
        return list(dict.fromkeys(s.event for s in self.steps))

    def steps_for(self, event: str, source: str) -> list[Step]:
        return [s for s in self.steps if s.event == event and s.source == source]

    def milestone(self, code: str) -> MilestoneSpec:
        return next(m for m in self.milestones if m.code == code)

    @property
    def consults(self) -> bool:
        """Whether the procedure has a consultation of Comuni and Forum (a term for their
        contributions among its deadlines: the PSTTM's, L. 56/2014 c. 44)."""
        return any(rule.category == "contributi" for rule in self.deadlines)

    @property
    def short_version(self) -> str:
        """The version as people read it: the first 12 hex digits of the hash (like git)."""
        return self.version[:12]

    def period_title(self, start: int) -> str:
        """A procedure's default title: "PSTTM 2025-2027" (the short title and the period)."""
        end = start + self.years - 1
        period = f"{start}-{end}" if end != start else f"{start}"
        return f"{self.short_title or self.kind.upper()} {period}"


class UnknownEvent(Exception):
    """The definition has no such event."""


class NotAvailable(Exception):
    """The event exists but cannot be fired from the current state."""


class Refused(Exception):
    """A guard refused the event; the message says why, in Italian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


NO_ROUTE = "I dati del passaggio non corrispondono a nessuna delle strade possibili."


def fire(
    definition: Definition, state: str, event: str, facts: Facts, data: Mapping[str, Any]
) -> tuple[Step, str]:
    """Fire `event` from `state` with the step's parsed `data`; return the step `transitions`
    took and the new state. Each guard and route runs at most once per step it tries.

    Raises UnknownEvent, NotAvailable or Refused (the message of the first guard that refused).
    """
    if event not in definition.events():
        raise UnknownEvent(event)
    if not definition.steps_for(event, state):
        raise NotAvailable(event)
    with _engine(definition).lend(state) as run:
        if run.trigger(event, facts=facts, data=dict(data)):
            return run.taken, run.state
        refusal = run.refusal
    raise Refused(refusal or NO_ROUTE)


def available_steps(
    definition: Definition, state: str, roles: set[str], facts: Facts
) -> list[Step]:
    """Steps that may be fired now from `state` by someone holding `roles`: `transitions` is
    asked `may_trigger` with the facts and no data yet (a routed event is offered when one of
    its routes takes an empty step, as a `when`/`unless` pair always does). One per event."""
    offered: dict[str, Step] = {}
    for step in definition.steps:
        if step.source == state and step.event not in offered and roles.intersection(step.roles):
            offered[step.event] = step
    if not offered:
        return []
    with _engine(definition).lend(state) as run:
        return [s for e, s in offered.items() if run.may_trigger(e, facts=facts, data={})]


class _Run:
    """A model of a definition's machine, lent to one decision at a time. `transitions` binds
    `trigger`, `may_trigger` and one method per event to it; `taken` and `refusal` are what the
    decision left: the step fired, or the message of the first guard that refused."""

    state: str
    taken: Step
    refusal: str | None = None


class _Engine:
    """One definition's machine, built once, and the models bound to it, lent one per decision.

    Binding a model (`add_model`) costs about a tenth of a millisecond, more than the decision:
    a model is bound once and lent again, never per firing. There are as many as there were
    decisions at the same time (threads), not one per procedure or act; the lock guards the
    machine's model list and the idle ones. Deciding needs no lock: it reads the machine and
    writes only the lent model.
    """

    def __init__(self, definition: Definition) -> None:
        self.machine = build_machine(definition)
        self._idle: list[_Run] = []
        self._lock = threading.Lock()

    @contextmanager
    def lend(self, state: str) -> Iterator[_Run]:
        with self._lock:
            run = self._idle.pop() if self._idle else None
            if run is None:
                run = _Run()
                self.machine.add_model(run, initial=state)
        self.machine.set_state(state, model=run)
        run.refusal = None
        try:
            yield run
        finally:
            with self._lock:
                self._idle.append(run)


# Keyed by the definition object (kept alive here, so its id is never reused): a definition
# changed in a test gets its own machine, not the one of the definition it was copied from.
_ENGINES: dict[int, tuple[Definition, _Engine]] = {}
_ENGINES_LOCK = threading.Lock()


def _engine(definition: Definition) -> _Engine:
    known = _ENGINES.get(id(definition))
    if known is None:
        with _ENGINES_LOCK:
            known = _ENGINES.setdefault(id(definition), (definition, _Engine(definition)))
    return known[1]


def build_machine(definition: Definition) -> Machine:
    """A model-less `transitions` machine: one transition per step, in the definition's order.

    Conditions: the common guards, the step's guards, its `when` routes; `unless`: its `unless`
    routes. Callables take the EventData (send_event): the facts and data are its kwargs. A
    refusing guard leaves its message on the model; the step fired is left there by `after`.
    """

    def guard(name: str) -> Callable[[EventData], bool]:
        check = definition.guards[name]

        def passes(event: EventData) -> bool:
            refusal = check(event.kwargs["facts"], event.kwargs["data"])
            if refusal is not None and event.model.refusal is None:
                event.model.refusal = refusal
            return refusal is None

        return passes

    def route(name: str) -> Callable[[EventData], bool]:
        choose = definition.routes[name]
        return lambda event: choose(event.kwargs["data"])

    def took(step: Step) -> Callable[[EventData], None]:
        return lambda event: setattr(event.model, "taken", step)

    transitions = [
        {
            "trigger": step.event,
            "source": step.source,
            "dest": step.dest,
            "conditions": [guard(g) for g in (*definition.common_guards, *step.guards)]
            + [route(r) for r in step.when],
            "unless": [route(r) for r in step.unless],
            "after": took(step),
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
