"""Procedures: open one, advance it by one step, plan its milestones, read where it stands."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from workflow.access.authorize import acting_role, effective_roles
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.audit import chain as audit
from workflow.core.clock import Clock, format_date, rome_today
from workflow.core.database import dialect
from workflow.core.errors import Conflict, GuardFailed, InvalidData, NotFound, StaleVersion
from workflow.core.inputs import clean_text
from workflow.core.transaction import operation
from workflow.deadlines import rules
from workflow.deadlines.models import Deadline
from workflow.definitions import (
    LATEST,
    UNAVAILABLE,
    DefinitionUnavailable,
    definition_for,
    remember,
)
from workflow.engine import stepdata
from workflow.engine.definition import (
    Definition,
    NotAvailable,
    ProcedureFacts,
    Refused,
    Step,
    UnknownEvent,
    available_steps,
    fire,
)
from workflow.engine.door import Firing, fire_checked
from workflow.extensions import db
from workflow.procedures import record
from workflow.procedures.hooks import citations_for
from workflow.procedures.models import Milestone, Procedure, ProcedureStep, Rettifica

OPENERS = OPERATIONS["procedure.open"]
PLANNERS = OPERATIONS["procedure.plan"]


def definition_of(procedure: Procedure) -> Definition:
    """The definition `procedure` started with; raises DefinitionUnavailable."""
    return definition_for(procedure.kind, procedure.definition_version)


# Built once: the path every operation on a procedure takes pays neither for building these
# statements nor for their cache keys (SQLAlchemy memoises a statement object's key).
_PROCEDURE = (
    select(Procedure)
    .where(Procedure.id == bindparam("procedure_id"))
    .options(joinedload(Procedure.milestones))
    .execution_options(populate_existing=True)
)
# Who recorded each step is loaded when read (the answer and the page show it), not joined into
# every read: the recorders of one procedure are a few people, the caller among them, and a
# many-to-one lazy load finds a user already in the session without a query. A step is never
# changed once written, so a copy already in the session is never stale: no populate_existing.
# Corrections are only ever added, like steps, and committed with the procedure's new version:
# read in the same statement as the steps (an outer join: most steps have none).
_STEPS = (
    select(ProcedureStep, Rettifica)
    .outerjoin(Rettifica, Rettifica.step_id == ProcedureStep.id)
    .where(ProcedureStep.procedure_id == bindparam("procedure_id"))
    .order_by(ProcedureStep.id, Rettifica.id)
    .options(lazyload(ProcedureStep.recorded_by), lazyload(Rettifica.recorded_by))
)


def get(procedure_id: int) -> Procedure:
    """The procedure with its milestones and steps, read afresh from the database (never a stale
    cached copy) in two queries: every operation and page on one procedure needs all three.

    The steps are read first. Each statement sees what was committed when it began (PostgreSQL,
    READ COMMITTED), and a step is committed together with its procedure's new version: steps
    read before the procedure row are never newer than the version that row shows. In the other
    order, a writer committing in between gave steps newer than the version, and a caller racing
    it a guard's 422 computed on them instead of the 409 its stale version is owed.

    The steps (with their rettifiche, outer-joined) are read by a plain query and set as the
    loaded collections: a selectin eager load costs as much again in Python for the same SELECT.
    """
    key = {"procedure_id": procedure_id}
    steps: list[ProcedureStep] = []
    by_step: dict[int, list[Rettifica]] = {}
    for step, correction in db.session.execute(_STEPS, key):
        if not steps or steps[-1] is not step:
            steps.append(step)
            by_step[step.id] = []
        if correction is not None:
            by_step[step.id].append(correction)
    procedure = db.session.execute(_PROCEDURE, key).unique().scalar_one_or_none()
    if procedure is None:
        raise NotFound(f"Procedimento {procedure_id} non trovato.")
    for step in steps:
        set_committed_value(step, "rettifiche", by_step[step.id])
    set_committed_value(procedure, "steps", steps)
    return procedure


def list_all() -> list[Procedure]:
    return list(
        db.session.scalars(select(Procedure).order_by(Procedure.period_start.desc(), Procedure.id))
    )


def facts_of(procedure: Procedure, clock: Clock) -> ProcedureFacts:
    """What the guards of a procedure's machine look at, from its steps as they read now (after
    any rettifica) and today (Europe/Rome)."""
    return facts_from(procedure.steps, rome_today(clock))


def facts_from(steps: Sequence[ProcedureStep | _AsRecorded], today: date) -> ProcedureFacts:
    """The facts that `steps` (in the order recorded, read as they are now) give the step
    recorded after them, on `today` (Europe/Rome)."""
    return ProcedureFacts(
        today=today,
        recorded=frozenset(s.milestone_code for s in steps if s.milestone_code),
        last_step_on=max((s.current.occurred_on for s in steps), default=None),
        phase_started_on=max(
            (s.current.occurred_on for s in steps if s.to_state != s.from_state), default=None
        ),
        contributions_due=record.contributions_term(steps)[1],
        stated={k: v for s in steps for k, v in s.current.data.items()},
    )


def check_version(procedure: Procedure, expected_version: int) -> None:
    if procedure.version != expected_version:
        raise StaleVersion(
            f"Il procedimento è stato modificato (versione {procedure.version}, "
            f"richiesta {expected_version}): ricarica la pagina e riprova."
        )


def default_title(kind: str, start: int) -> str:
    """A new procedure's title from its kind's file: "PSTTM 2025-2027"."""
    definition = LATEST.get(kind)
    return definition.period_title(start) if definition else f"{kind} {start}"


@operation
def open_procedure(
    kind: str,
    period_start: int,
    *,
    actor: User,
    clock: Clock,
    title: str | None = None,
    fascicolo: str = "",
) -> Procedure:
    """Open a procedure of `kind` for the period starting in `period_start` (a triennio for the
    PSTTM, updated every year, L. 56/2014 c. 44), on the version its file gives now, stored in
    the database (definition_versions) if it is the first to use it.

    Raises NotAllowed, NotFound (kind), InvalidData, Conflict (one per kind and starting year).
    """
    role = acting_role(actor, OPENERS, "aprire un procedimento", clock=clock)
    definition = LATEST.get(kind)
    if definition is None:
        raise NotFound(f"Tipo di procedimento «{kind}» sconosciuto.")
    if not 2000 <= period_start <= 2100:
        raise InvalidData("Anno di inizio del triennio non valido.")
    if db.session.scalar(
        select(Procedure.id).where(Procedure.kind == kind, Procedure.period_start == period_start)
    ):
        raise Conflict(f"Esiste già il procedimento {definition.period_title(period_start)}.")
    remember(definition, clock=clock)
    # A milestone the law dates (a fixed-day rule it meets: the DUP by 31 July) is planned on
    # that day from the start; the office may plan it otherwise. Not one a decree may defer
    # (`da_campo`: the bilancio's 31 December): its deadline follows the decree, a plan would not.
    legal = {
        rule.met_by: rules.rule_due(rule, period_start, {})
        for rule in definition.deadlines
        if rule.fixed and rule.met_by and not rule.from_field
    }
    procedure = Procedure(
        kind=kind,
        definition_version=definition.version,
        title=(title or "").strip() or default_title(kind, period_start),
        period_start=period_start,
        period_end=period_start + definition.years - 1,
        fascicolo=fascicolo.strip(),
        state=definition.initial,
        version=1,
        created_at=clock.now(),
        created_by_id=actor.id,
        milestones=[
            Milestone(code=m.code, position=i, planned_date=legal.get(m.code))
            for i, m in enumerate(definition.milestones)
        ],
    )
    db.session.add(procedure)
    db.session.flush()
    audit.record(
        actor=actor,
        role=role,
        object_type="procedure",
        object_id=procedure.id,
        action="procedure.opened",
        payload={
            "kind": kind,
            "definition_version": definition.version,
            "title": procedure.title,
            "state": procedure.state,
            "period": procedure.period_label,
            "fascicolo": procedure.fascicolo,
        }
        | ({"planned": {k: v.isoformat() for k, v in legal.items()}} if legal else {}),
        clock=clock,
    )
    rules.sync_procedure(procedure, clock=clock)
    return procedure


def next_period_start(kind: str, clock: Clock) -> int:
    """The triennio that follows the latest one opened (or the current year)."""
    latest = db.session.scalar(
        select(Procedure.period_start)
        .where(Procedure.kind == kind)
        .order_by(Procedure.period_start.desc())
        .limit(1)
    )
    return (latest + 1) if latest else rome_today(clock).year


@operation
def advance(
    procedure_id: int,
    event: str,
    *,
    expected_version: int,
    data: Mapping[str, Any],
    actor: User,
    clock: Clock,
    read_along: Callable[[Procedure], object] | None = None,
) -> Procedure:
    """Fire one event of the procedure's machine with the data the step needs. `read_along`,
    if given, runs on the advanced procedure before the commit: what the caller reads with the
    change (the API's answer) in the same transaction, not a second one.

    Raises NotFound (procedure or event), StaleVersion, NotAllowed, Conflict (not possible in the
    current state), InvalidData / GuardFailed (the Italian message names what is missing).
    """
    procedure = get(procedure_id)
    firing = fire_checked(
        definition_of(procedure),
        procedure.state,
        event,
        data,
        actor=actor,
        clock=clock,
        check_version=lambda: check_version(procedure, expected_version),
        facts=lambda: facts_of(procedure, clock),
        subject="questo procedimento",
    )
    row = _step_row(procedure, firing, actor, clock)
    known_deadlines = _record_step(procedure, firing.new_state, actor, row)
    moved = {"from": row["from_state"], "to": row["to_state"], "data": row["data"]}
    moved |= _step_fields(procedure.steps[-1])
    audit.record(
        actor=actor,
        role=firing.role,
        object_type="procedure",
        object_id=procedure.id,
        action=f"procedure.{event}",
        payload={**moved, "version": procedure.version},
        clock=clock,
    )
    # The step may meet a deadline: it stops reminding in this same commit.
    rules.sync_procedure(procedure, clock=clock, known=known_deadlines)
    if read_along is not None:
        read_along(procedure)
    return procedure


def _step_fields(step: ProcedureStep) -> dict[str, Any]:
    """What the audit event adds about the step row written (workflow/audit/coverage.py replays
    it): its id, milestone, date and act (kind, number, date; ISO dates)."""
    return {
        "step_id": step.id,
        "milestone": step.milestone_code,
        "occurred_on": step.occurred_on.isoformat(),
        "act_kind": step.act_kind,
        "act_number": step.act_number,
        "act_date": step.act_date.isoformat() if step.act_date else None,
    }


def _step_row(
    procedure: Procedure, firing: Firing[ProcedureFacts], actor: User, clock: Clock
) -> dict[str, Any]:
    """The procedure_steps row of a firing (an adoption's data cite the consultation)."""
    step, values = firing.step, firing.values
    stored = {
        **_recorded_values(step, values, firing.facts, actor),
        **citations_for(procedure, step.event),
    }
    return dict(
        procedure_id=procedure.id,
        event=step.event,
        milestone_code=step.milestone,
        from_state=procedure.state,
        to_state=firing.new_state,
        **_columns(step, values),
        data=stored,
        recorded_at=clock.now(),
        recorded_by_id=actor.id,
        recorded_role=firing.role,
    )


def _columns(step: Step, values: Mapping[str, Any]) -> dict[str, Any]:
    """The date and act columns a step's (or a rettifica's) parsed values fill."""
    return dict(
        occurred_on=values["data"],
        act_kind=step.act.code if step.act else None,
        act_number=values.get("numero"),
        act_date=values["data"] if step.act else None,
    )


def _recorded_values(
    step: Step, values: Mapping[str, Any], facts: ProcedureFacts, actor: User
) -> dict[str, Any]:
    """The step's values as stored, with what the record must say of a confirmed exception: an
    adoption dated while the consultation was still open names who confirmed it."""
    stored = stepdata.to_json(values)
    due = facts.contributions_due
    if values.get("conferma_consultazione_aperta") and due and values["data"] <= due:
        stored["consultazione_aperta"] = (
            f"Adottato con consultazione ancora aperta (contributi entro il {format_date(due)}), "
            f"confermato da {actor.full_name}"
        )
    return stored


_PROCEDURES = Procedure.__table__
_STEP_ROWS = ProcedureStep.__table__
# The optimistic lock, said in SQL: the row moves only if it is still at the version read.
_MOVE_PROCEDURE = (
    update(_PROCEDURES)
    .where(
        _PROCEDURES.c.id == bindparam("procedure_id"),
        _PROCEDURES.c.version == bindparam("read_version"),
    )
    .values(state=bindparam("new_state"), version=bindparam("new_version"))
)
_INSERT_STEP = insert(_STEP_ROWS)
# PostgreSQL: both in one statement (data-modifying CTEs), which also reads the deadlines the
# step may meet: the step is inserted only if the procedure moved, and each row brings its id with
# one deadline (or none: an outer join); no row at all when the version was stale.
_MOVED = _MOVE_PROCEDURE.returning(_PROCEDURES.c.id).cte("moved")
_STEP_FIELDS = [c for c in _STEP_ROWS.c if c.name not in ("id", "procedure_id")]
_INSERTED = (
    insert(_STEP_ROWS)
    .from_select(
        [_STEP_ROWS.c.procedure_id, *_STEP_FIELDS],
        select(_MOVED.c.id, *(bindparam(c.name, type_=c.type) for c in _STEP_FIELDS)),
    )
    .returning(_STEP_ROWS.c.id)
    .cte("inserted")
)
_MOVE_INSERT_STEP_AND_READ_DEADLINES = {
    name: select(_INSERTED.c.id, Deadline)
    .select_from(_INSERTED)
    .outerjoin(Deadline, condition)
    .options(rules.NOT_ASSIGNEES)
    for name, condition in rules.CONDITIONS.items()
}


def _record_step(
    procedure: Procedure, new_state: str, actor: User, row: dict[str, Any]
) -> dict[str, Deadline] | None:
    """Move the procedure to `new_state` at the next version and add the step `row`.

    Core statements outside the session's unit of work (as audit.append): a step is only ever
    inserted and the procedure row only moved, so the ORM's flush bookkeeping would be pure cost
    on the path every event takes. The loaded `procedure` is then set to what was written
    (state, version, steps), as committed values, so the answer shows it without a reload. A
    writer that committed the same version first leaves no row to move: StaleVersion (409), and
    the step is not written.

    On PostgreSQL it is one round trip, which also reads the deadlines the step may meet:
    returned by source_key for rules.sync_procedure (None elsewhere: the sync reads them).
    """
    move = {
        "procedure_id": procedure.id,
        "read_version": procedure.version,
        "new_state": new_state,
        "new_version": procedure.version + 1,
    }
    step_id: int | None = None
    known: dict[str, Deadline] | None = None
    if dialect() == "postgresql":
        recorded = {s.milestone_code for s in procedure.steps} | {row["milestone_code"]}
        condition, touched = rules.touched_by(procedure, recorded)
        fields = {name: value for name, value in row.items() if name != "procedure_id"}
        rows = db.session.execute(
            _MOVE_INSERT_STEP_AND_READ_DEADLINES[condition], {**move, **fields, **touched}
        ).all()
        if rows:
            step_id = rows[0][0]
            known = {d.source_key: d for _, d in rows if d is not None}
    elif db.session.execute(_MOVE_PROCEDURE, move).rowcount == 1:
        (step_id,) = db.session.execute(_INSERT_STEP, row).inserted_primary_key
    if step_id is None:
        raise StaleVersion(
            "Il procedimento è stato modificato da un altro utente nel frattempo: "
            "ricarica la pagina e riprova."
        )
    step = ProcedureStep(id=step_id, **row)
    step.recorded_by = actor
    set_committed_value(procedure, "state", new_state)
    set_committed_value(procedure, "version", procedure.version + 1)
    set_committed_value(procedure, "steps", [*procedure.steps, step])
    return known


@operation
def plan_milestones(
    procedure_id: int,
    *,
    expected_version: int,
    planned: Mapping[str, date | None],
    actor: User,
    clock: Clock,
) -> Procedure:
    """Set the planned dates of milestones.

    Raises NotFound, StaleVersion, NotAllowed, InvalidData.
    """
    procedure = get(procedure_id)
    check_version(procedure, expected_version)
    role = acting_role(actor, PLANNERS, "pianificare le scadenze", clock=clock)
    by_code = {m.code: m for m in procedure.milestones}
    unknown = sorted(set(planned) - set(by_code))
    if unknown:
        raise InvalidData("Tappe inesistenti: " + ", ".join(unknown) + ".")
    changes = {}
    for code, when in planned.items():
        if by_code[code].planned_date != when:
            changes[code] = when.isoformat() if when else None
            by_code[code].planned_date = when
    if not changes:
        return procedure
    procedure.version = procedure.version + 1
    audit.record(
        actor=actor,
        role=role,
        object_type="procedure",
        object_id=procedure.id,
        action="procedure.planned",
        payload={"planned": changes, "version": procedure.version},
        clock=clock,
    )
    db.session.flush()
    rules.sync_procedure(procedure, clock=clock)
    return procedure


# What a rettifica derives rather than takes (recomputed for the corrected values).
_DERIVED = ("consultazione_aperta",)
MOTIVO_MAX = 2000


@dataclass(frozen=True)
class _AsRecorded:
    """A step as a rettifica's replay reads it: its milestone, states and current values."""

    milestone_code: str | None
    from_state: str
    to_state: str
    occurred_on: date
    data: Mapping[str, Any]

    @property
    def current(self) -> _AsRecorded:
        return self

    @classmethod
    def of(cls, step: ProcedureStep) -> _AsRecorded:
        now = step.current
        return cls(step.milestone_code, step.from_state, step.to_state, now.occurred_on, now.data)


def spec_of(definition: Definition, step: ProcedureStep) -> Step:
    """The definition's step that `step` recorded (its fields, roles and label)."""
    return definition.steps_for(step.event, step.from_state)[0]


def _typed(spec: Step, data: Mapping[str, Any]) -> dict[str, Any]:
    """The step's own fields in `data` (stored JSON or a request), for the step's parser."""
    return {f.name: data[f.name] for f in spec.fields if f.name in data}


def _corrected_raw(spec: Step, current: Mapping[str, Any], given: Mapping[str, Any]) -> dict:
    """The values a rettifica asks for: what the record says now, with the fields `given`.

    A confirmation (conferma_…) vouched for the number and dates it was given with: it is kept
    only while those stay as they are, otherwise it must be given again.
    """
    raw = {**_typed(spec, current), **given}
    confirmations = {f.name for f in spec.fields if f.name.startswith("conferma_")}
    checked = {f.name for f in spec.fields if f.type != "text"} - confirmations
    moved = any(name in checked and given[name] != current.get(name) for name in given)
    if moved:
        for name in confirmations - set(given):
            raw.pop(name, None)
    return raw


def _replay(
    definition: Definition,
    procedure: Procedure,
    index: int,
    values: dict[str, Any],
    actor: User,
    clock: Clock,
) -> dict[str, Any]:
    """Check the corrected step, and every step recorded after it, with the same guards and
    routes as when they were recorded: each is fired again on the machine, on the facts that
    the steps before it (as corrected) give today. Returns the corrected step's stored data.

    Raises GuardFailed: the step's own message for the corrected step; for a later one, its
    message prefixed by which step the correction would make irregular; and when the corrected
    values would take another route (e.g. a parere's outcome): that is a new act, not a rettifica.
    """
    today = rome_today(clock)
    steps = procedure.steps
    view = [_AsRecorded.of(s) for s in steps]
    stored: dict[str, Any] = {}
    for i in range(index, len(steps)):
        step, spec = steps[i], spec_of(definition, steps[i])
        facts = facts_from(view[:i], today)
        given = values if i == index else stepdata.parse(spec.fields, _typed(spec, view[i].data))
        try:
            _, new_state = fire(definition, step.from_state, step.event, facts, given)
        except Refused as exc:
            if i == index:
                raise GuardFailed(exc.message) from exc
            raise GuardFailed(
                f"La rettifica renderebbe irregolare il passaggio successivo «{spec.label}» "
                f"({describe(definition, step)}): {exc.message}"
            ) from exc
        except (UnknownEvent, NotAvailable) as exc:  # a definition changed under the record
            raise Conflict(f"Il passaggio «{spec.label}» non è più rettificabile.") from exc
        if new_state != step.to_state:
            raise GuardFailed(
                f"La rettifica cambierebbe l'esito di «{spec.label}»: un esito diverso si "
                "registra con un nuovo atto, non con una rettifica."
            )
        if i == index:
            carried = {
                k: v
                for k, v in step.current.data.items()
                if k not in {f.name for f in spec.fields} and k not in _DERIVED
            }
            stored = {**_recorded_values(spec, values, facts, actor), **carried}
            view[i] = replace(view[i], occurred_on=values["data"], data=stored)
    return stored


@operation
def correct_step(
    procedure_id: int,
    step_id: int,
    *,
    expected_version: int,
    data: Mapping[str, Any],
    motivo: str,
    actor: User,
    clock: Clock,
) -> Procedure:
    """Correct a recorded step (rettifica): its date, act number, notes or any other field it
    recorded, by the roles that may record that step, with a reason. The step row stays as
    written and the correction is added beside it (who, when, why); what the record says from
    now on is the latest correction. The corrected values must pass the step's own guards, and
    every later step must still pass its own (date order, adoption after the presentations…):
    the machine is fired again, not a second copy of the rules. The deadlines derived from the
    record (planned milestones, contributions' term, annual update) follow in the same commit.

    `data`: the step's fields to change (dates ISO or dd/mm/yyyy); the others keep their value,
    an empty text clears an optional one. Raises NotFound (procedure or step), StaleVersion,
    NotAllowed, InvalidData (no reason, unknown field, nothing changed), GuardFailed.
    """
    procedure = get(procedure_id)
    step = next((s for s in procedure.steps if s.id == step_id), None)
    if step is None:
        raise NotFound(f"Passaggio {step_id} non trovato in questo procedimento.")
    check_version(procedure, expected_version)
    definition = definition_of(procedure)
    spec = spec_of(definition, step)
    role = acting_role(actor, spec.roles, f"rettificare «{spec.label}»", clock=clock)
    reason = clean_text(motivo, "Motivo della rettifica", max_length=MOTIVO_MAX, multiline=True)
    if not reason.strip():
        raise InvalidData("Manca il motivo della rettifica.")
    now = step.current
    values = stepdata.parse(spec.fields, _corrected_raw(spec, now.data, data))
    if values == stepdata.parse(spec.fields, _typed(spec, now.data)):
        raise InvalidData("La rettifica non cambia nessun dato del passaggio.")
    stored = _replay(definition, procedure, procedure.steps.index(step), values, actor, clock)
    columns = _columns(spec, values)
    correction = Rettifica(
        step_id=step.id,
        procedure_id=procedure.id,
        occurred_on=columns["occurred_on"],
        act_number=columns["act_number"],
        act_date=columns["act_date"],
        data=stored,
        motivo=reason.strip(),
        recorded_at=clock.now(),
        recorded_by_id=actor.id,
        recorded_role=role,
    )
    db.session.add(correction)
    procedure.version = procedure.version + 1
    db.session.flush()
    set_committed_value(step, "rettifiche", [*step.rettifiche, correction])
    audit.record(
        actor=actor,
        role=role,
        object_type="procedure",
        object_id=procedure.id,
        action="procedure.rettifica",
        payload={
            "rettifica_id": correction.id,
            "step_id": step.id,
            "event": step.event,
            "before": dict(now.data),
            "after": stored,
            "motivo": correction.motivo,
            "version": procedure.version,
        },
        clock=clock,
    )
    # Deadlines computed from the record (a planned milestone, the contributions' term, the
    # annual update after approval) follow the corrected values in this same commit.
    rules.sync_procedure(procedure, clock=clock)
    return procedure


def allowed_events(procedure: Procedure, user: User, clock: Clock) -> list[Step]:
    """The steps this user may fire now: what the UI offers and the API lists."""
    definition = definition_of(procedure)
    return available_steps(
        definition, procedure.state, effective_roles(user, clock), facts_of(procedure, clock)
    )


@dataclass(frozen=True)
class MilestoneRow:
    code: str
    label: str
    phase: str
    planned_date: date | None
    actual_date: date | None
    act: str  # "Decreto R.G. 43/2025 del 19/02/2025", or "" when the step has no act
    earlier: tuple[str, ...]  # superseded records, e.g. an adoption before an unfavourable parere
    outcome: str
    step: ProcedureStep | None = None  # the step that recorded it (its rettifiche, its act)
    original: str = ""  # the step as first recorded, when a rettifica changed it
    warning: str = ""  # e.g. "atto non presente nel repertorio" (set by who checked the act)

    @property
    def late(self) -> bool:
        return bool(self.planned_date and self.actual_date and self.actual_date > self.planned_date)


citation = record.citation
describe = record.describe


def milestone_rows(procedure: Procedure) -> list[MilestoneRow]:
    """Every milestone with planned date, actual date and the act that justifies it."""
    definition = definition_of(procedure)
    rows = []
    for milestone in procedure.milestones:
        spec = definition.milestone(milestone.code)
        steps = [s for s in procedure.steps if s.milestone_code == milestone.code]
        latest = steps[-1] if steps else None
        outcome = ""
        if latest is not None and "favorevole" in latest.current.data:
            outcome = "favorevole" if latest.current.data["favorevole"] else "contrario"
        rows.append(
            MilestoneRow(
                code=milestone.code,
                label=spec.label,
                phase=spec.phase,
                planned_date=milestone.planned_date,
                actual_date=latest.current.occurred_on if latest else None,
                act=citation(definition, latest) if latest else "",
                earlier=tuple(describe(definition, s) for s in steps[:-1]),
                outcome=outcome,
                step=latest,
                original=(
                    describe(definition, latest, latest)
                    if latest is not None and latest.rettifiche
                    else ""
                ),
            )
        )
    return rows


def state_label(procedure: Procedure) -> str:
    """The Italian label of the procedure's state; for a procedure whose definition version is
    missing, a sentence that says so (lists and the API never fail on it)."""
    try:
        return definition_of(procedure).state(procedure.state).label
    except DefinitionUnavailable:
        return UNAVAILABLE.format(version=procedure.definition_version[:12])
