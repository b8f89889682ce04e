"""The desk: what a user sees first after login, assembled from small section providers.

Each provider answers one question ("what may I record now?", "which procedures are open and
which are late?") and returns a Section, or None when it has nothing to say to this user. Sources
that other issues bring (deadlines, acts waiting for an opinion or a signature, Albo publications
ending this week) plug in as one more provider in SECTIONS, with a template partial
`templates/desk/_<key>.html`; the hooks for them are below, returning None until wired.

"Next deadline" here is the planned date of the earliest milestone not yet recorded; a procedure is
overdue when that date is past. The open procedures are ordered by one light query (open_index);
full rows and their facts are read only for what a section shows, a page at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from workflow.access.authorize import effective_roles
from workflow.access.models import User
from workflow.access.roles import ROLE_LABELS, SEGRETARIO_GENERALE
from workflow.acts import daily as daily_registers
from workflow.acts import progress as act_progress
from workflow.acts import queries as acts_queries
from workflow.acts.models import Act
from workflow.core.clock import Clock, rome_today
from workflow.deadlines import operations as deadlines
from workflow.deadlines.models import MISSED, OPEN
from workflow.definitions import DEFINITIONS, available, definition_for
from workflow.definitions import acts as act_machine
from workflow.engine.definition import Definition, ProcedureFacts, Step, available_steps
from workflow.extensions import db
from workflow.procedures.browse import Page, is_open, planned_dates, recorded_dates
from workflow.procedures.models import Milestone, Procedure, ProcedureStep

OPEN_PER_PAGE = 15
TODO_LIMIT = 12
_TODO_BATCH = 20


@dataclass(frozen=True)
class DeskContext:
    user: User
    clock: Clock
    today: date
    open: list[OpenEntry]  # every open procedure, in desk order (see open_index)
    reader: Reader  # shared by the providers: a procedure is loaded once per desk
    page: int = 1


@dataclass(frozen=True)
class Section:
    """One block of the desk. `key` names its partial: templates/desk/_<key>.html."""

    key: str
    title: str
    items: list[Any]
    empty: str
    page: Page[Any] | None = None
    more: bool = False  # there is more than `items` shows


Provider = Callable[[DeskContext], Section | None]


@dataclass(frozen=True)
class Deadline:
    """The next planned milestone not yet recorded, and how far it is from today."""

    label: str
    due: date
    days_left: int  # negative: overdue by that many days

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class OpenRow:
    procedure: Procedure
    state_label: str
    phase: str
    next_steps: list[Step]
    who: list[str]  # Italian names of the roles that may record the next steps
    deadline: Deadline | None


@dataclass(frozen=True)
class TodoItem:
    procedure: Procedure
    step: Step
    deadline: Deadline | None  # of the milestone this step records, when planned


# ---- Reading a page of procedures --------------------------------------------------------------


def _next_due() -> Any:
    """SQL, per procedure: the earliest planned date among its milestones not yet recorded.

    Correlated, so it is computed for the open procedures only, each from the two covering
    indexes of migration e7f1a2b3c4d5 (never by reading step rows).
    """
    recorded = (
        select(ProcedureStep.procedure_id)
        .where(
            ProcedureStep.procedure_id == Milestone.procedure_id,
            ProcedureStep.milestone_code == Milestone.code,
        )
        .exists()
    )
    return (
        select(func.min(Milestone.planned_date))
        .where(
            Milestone.procedure_id == Procedure.id,
            Milestone.planned_date.is_not(None),
            ~recorded,
        )
        .correlate(Procedure)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class OpenEntry:
    """One open procedure as the desk orders it: a light row, not the ORM object."""

    id: int
    kind: str
    state: str
    next_due: date | None


def open_index() -> list[OpenEntry]:
    """Every open procedure, most overdue first, then by next deadline, then newest triennio.

    One query of four columns per open procedure (a handful in practice: one PSTTM a year is
    open at a time); the page, the to-do and the overdue count are all cut from it, so the
    correlated next-deadline lookup runs once per desk, not once per section.
    """
    due = _next_due().label("next_due")  # ordered by its label: computed once per row
    rows = db.session.execute(
        select(Procedure.id, Procedure.kind, Procedure.state, due)
        .where(is_open())
        .order_by(due.asc().nulls_last(), Procedure.period_start.desc(), Procedure.id)
    )
    return [OpenEntry(*row) for row in rows]


class Reader:
    """Loads procedures and their facts by id, once per desk: the page of open procedures and
    the to-do mostly show the same procedures, so the second one costs no query."""

    def __init__(self, today: date) -> None:
        self.today = today
        self._procedures: dict[int, Procedure] = {}
        self._known: dict[int, _Known] = {}

    def read(self, ids: list[int]) -> list[tuple[Procedure, _Known]]:
        """The procedures of `ids` with their facts, in that order (two or three queries)."""
        missing = [i for i in ids if i not in self._procedures]
        if missing:
            loaded = list(db.session.scalars(select(Procedure).where(Procedure.id.in_(missing))))
            self._procedures.update((p.id, p) for p in loaded)
            self._known.update(_facts_for(loaded, self.today))
        # Without its facts (its definition version is missing) a procedure has nothing to show.
        return [(self._procedures[i], self._known[i]) for i in ids if i in self._known]


def count_overdue(today: date, index: list[OpenEntry] | None = None) -> int:
    """How many open procedures have a planned milestone past its date and not recorded."""
    entries = open_index() if index is None else index
    return sum(1 for e in entries if e.next_due is not None and e.next_due < today)


@dataclass(frozen=True)
class _Known:
    definition: Definition
    facts: ProcedureFacts
    planned: dict[str, date]


def _facts_for(procedures: list[Procedure], today: date) -> dict[int, _Known]:
    """Definitions and facts of a page of procedures, in two grouped queries."""
    # A procedure whose definition version is missing has no step to offer: it is left out
    # here and says why on its own page (DefinitionUnavailable, 409).
    procedures = [p for p in procedures if available(p.kind, p.definition_version)]
    ids = [p.id for p in procedures]
    recorded, planned = recorded_dates(ids), planned_dates(ids)
    return {
        p.id: _Known(
            definition_for(p.kind, p.definition_version),
            ProcedureFacts(
                recorded=frozenset(recorded[p.id]),
                last_step_on=max(recorded[p.id].values(), default=None),
                today=today,
            ),
            planned[p.id],
        )
        for p in procedures
    }


def next_deadline(known: _Known) -> Deadline | None:
    pending = [
        (when, code) for code, when in known.planned.items() if code not in known.facts.recorded
    ]
    if not pending:
        return None
    when, code = min(pending)
    label = known.definition.milestone(code).label
    return Deadline(label, when, (when - known.facts.today).days)


def current_phase(definition: Definition, state: str, recorded: frozenset[str]) -> str:
    """The phase of the first milestone still to be recorded ("Concluso" in a final state), or
    the phase of the current state when that is later: an optional milestone never recorded
    (the revisori's parere on the DUP) does not hold a procedure in an earlier phase."""
    if definition.state(state).final:
        return "Concluso"
    pending = [m for m in definition.milestones if m.code not in recorded]
    by_milestone = pending[0].phase if pending else definition.milestones[-1].phase
    by_state = definition.state(state).phase
    order = list(definition.phases) or list(dict.fromkeys(m.phase for m in definition.milestones))
    if by_state in order and by_milestone in order:
        return max(by_milestone, by_state, key=order.index)
    return by_milestone


def all_roles(definition: Definition) -> set[str]:
    return {role for step in definition.steps for role in step.roles}


def _due_steps(steps: list[Step]) -> list[Step]:
    """The steps that move a procedure along its milestones: one that records none (a proroga
    of the contributions' term) may be taken, but is never owed, so the desk does not list it."""
    return [s for s in steps if s.milestone]


def _open_row(procedure: Procedure, known: _Known) -> OpenRow:
    definition = known.definition
    steps = _due_steps(
        available_steps(definition, procedure.state, all_roles(definition), known.facts)
    )
    who = sorted({r for s in steps for r in s.roles}, key=list(ROLE_LABELS).index)
    return OpenRow(
        procedure=procedure,
        state_label=definition.state(procedure.state).label,
        phase=current_phase(definition, procedure.state, known.facts.recorded),
        next_steps=steps,
        who=[ROLE_LABELS[r] for r in who],
        deadline=next_deadline(known),
    )


def open_page(
    number: int,
    today: date,
    per_page: int = OPEN_PER_PAGE,
    index: list[OpenEntry] | None = None,
    reader: Reader | None = None,
) -> Page[OpenRow]:
    """Open procedures with phase, next steps, who acts and the next deadline; overdue first."""
    entries = open_index() if index is None else index
    pages = max(1, -(-len(entries) // per_page))
    number = min(max(number, 1), pages)
    chosen = entries[(number - 1) * per_page : number * per_page]
    rows = (reader or Reader(today)).read([e.id for e in chosen])
    return Page([_open_row(p, known) for p, known in rows], number, per_page, len(entries))


def actionable_states(roles: set[str]) -> dict[str, set[str]]:
    """Per kind, the states in which a step of its machine belongs to one of `roles`.

    A superset of the to-do (a guard may still refuse); the to-do evaluates the guards.
    """
    by_kind: dict[str, set[str]] = {}
    for (kind, _), definition in DEFINITIONS.items():
        sources = {s.source for s in definition.steps if roles.intersection(s.roles)}
        by_kind.setdefault(kind, set()).update(sources)
    return by_kind


def todo(
    user: User,
    clock: Clock,
    limit: int = TODO_LIMIT,
    index: list[OpenEntry] | None = None,
    reader: Reader | None = None,
) -> tuple[list[TodoItem], bool]:
    """The steps `user` may record now (roles held or delegated for the Europe/Rome day of
    `clock`), most urgent first; True when there are more than `limit`."""
    roles = effective_roles(user, clock)
    states = actionable_states(roles)
    entries = open_index() if index is None else index
    candidates = [e.id for e in entries if e.state in states.get(e.kind, ())]
    reader = reader or Reader(rome_today(clock))
    items: list[TodoItem] = []
    for start in range(0, len(candidates), _TODO_BATCH):
        for procedure, facts in reader.read(candidates[start : start + _TODO_BATCH]):
            offered = available_steps(facts.definition, procedure.state, roles, facts.facts)
            for step in _due_steps(offered):
                if len(items) == limit:
                    return items, True
                items.append(TodoItem(procedure, step, _step_deadline(step, facts)))
    return items, False


def _step_deadline(step: Step, known: _Known) -> Deadline | None:
    when = known.planned.get(step.milestone) if step.milestone else None
    if when is None:
        return None
    label = known.definition.milestone(step.milestone).label  # type: ignore[arg-type]
    return Deadline(label, when, (when - known.facts.today).days)


# ---- Providers ---------------------------------------------------------------------------------


def my_todo(ctx: DeskContext) -> Section | None:
    """Steps this user may record now, on any open procedure."""
    items, more = todo(ctx.user, ctx.clock, index=ctx.open, reader=ctx.reader)
    return Section(
        "da_fare",
        "Da fare per te",
        items,
        "Nessun passaggio da registrare con i tuoi ruoli in questo momento.",
        more=more,
    )


# Acts still moving: an opinion, a signature, a number, a publication or a relata may be due.
LIVE_ACT_STATES = (
    act_machine.PROPOSTA,
    act_machine.ATTESA_CONTABILE,
    act_machine.ATTESA_SEGRETARIO,
    act_machine.IN_FIRMA,
    act_machine.SOSPESO,
    act_machine.ADOTTATO,
    act_machine.PUBBLICATO,
)
LIVE_ACTS_SCANNED = 200
SOON = timedelta(days=7)


@dataclass(frozen=True)
class WaitingAct:
    act: Any
    steps: list[Step]


def acts_waiting(ctx: DeskContext) -> Section | None:
    """Acts on which this user owes a step now: an opinion, a signature, numbering, publication,
    the relata once the window ended. A step that only corrects an act (annulling or extending
    a publication, revising or withdrawing a proposal) is possible but not owed: it puts no act
    here (acts/progress.py, CORRECTIVE_EVENTS)."""
    live = db.session.scalars(
        select(Act)
        .where(Act.state.in_(LIVE_ACT_STATES))
        .order_by(Act.id.desc())
        .limit(LIVE_ACTS_SCANNED)
    )
    items = []
    for act in live:
        steps = act_progress.waiting_steps(act, ctx.user, ctx.clock)
        if steps:
            items.append(WaitingAct(act, steps))
    return Section(
        "atti",
        "Atti in attesa di te",
        items[:TODO_LIMIT],
        "Nessun atto attende un tuo parere, una firma o una pubblicazione.",
        more=len(items) > TODO_LIMIT,
    )


def albo_ending_this_week(ctx: DeskContext) -> Section | None:
    """Publications on the Albo whose window ends within seven days (the relata follows)."""
    ending = [a for a in acts_queries.public_list(ctx.today) if a.published_to <= ctx.today + SOON]
    ending.sort(key=lambda a: a.published_to)
    return Section(
        "albo",
        "Albo: pubblicazioni che terminano entro 7 giorni",
        ending,
        "Nessuna pubblicazione termina questa settimana.",
    )


def deadlines_due(ctx: DeskContext) -> Section | None:
    """Open or missed deadlines this user answers for, due within seven days or overdue."""
    rows = [
        d
        for d in deadlines.responsible_for(ctx.user)
        if d.state in (OPEN, MISSED) and d.due_date <= ctx.today + SOON
    ]
    rows.sort(key=lambda d: d.due_date)
    return Section(
        "scadenze",
        "Scadenze di questa settimana e scadute",
        rows[:TODO_LIMIT],
        "Nessuna scadenza a tuo carico nei prossimi 7 giorni.",
        more=len(rows) > TODO_LIMIT,
    )


# The Segretario Generale answers for the protocol's regular keeping (the Responsabile della
# gestione documentale reports to the office's head): the late daily registers reach that desk.
DAILY_REGISTER_OVERSEERS = frozenset({SEGRETARIO_GENERALE})


def daily_registers_late(ctx: DeskContext) -> Section | None:
    """Daily protocol registers not handed over to preservation by the next working day after
    their day (DPCM 3/12/2013 art. 7 c. 5), oldest first, with how late; for the Segretario."""
    if not DAILY_REGISTER_OVERSEERS & effective_roles(ctx.user, ctx.clock):
        return None
    rows = daily_registers.late(ctx.today)
    return Section(
        "registro_giornaliero",
        "Registro giornaliero di protocollo: consegne in ritardo",
        rows[:TODO_LIMIT],
        "Nessun registro giornaliero scaduto resta da consegnare in conservazione.",
        more=len(rows) > TODO_LIMIT,
    )


def open_procedures(ctx: DeskContext) -> Section | None:
    """Every open procedure, overdue first, one page at a time."""
    page = open_page(ctx.page, ctx.today, index=ctx.open, reader=ctx.reader)
    return Section(
        "procedimenti",
        "Procedimenti aperti",
        page.items,
        "Nessun procedimento aperto.",
        page=page,
    )


SECTIONS: tuple[Provider, ...] = (
    my_todo,
    acts_waiting,
    albo_ending_this_week,
    deadlines_due,
    daily_registers_late,
    open_procedures,
)


@dataclass(frozen=True)
class Desk:
    today: date
    open_total: int
    overdue: int
    sections: list[Section]


def desk_for(
    user: User, *, clock: Clock, page: int = 1, providers: tuple[Provider, ...] = SECTIONS
) -> Desk:
    """The desk of `user`: counters and every section a provider has something for.

    Raises nothing; a user without roles gets the open procedures and an empty to-do.
    """
    today = rome_today(clock)
    ctx = DeskContext(user, clock, today, open_index(), Reader(today), page)
    sections = [s for provider in providers if (s := provider(ctx)) is not None]
    return Desk(today, len(ctx.open), count_overdue(today, ctx.open), sections)
