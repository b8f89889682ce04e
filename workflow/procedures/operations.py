"""Procedures: open one, advance it by one step, plan its milestones, read where it stands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
from workflow.core.errors import Conflict, InvalidData, NotFound, StaleVersion
from workflow.core.transaction import operation
from workflow.deadlines import rules
from workflow.deadlines.models import Deadline
from workflow.definitions import LATEST, definition_for
from workflow.engine import stepdata
from workflow.engine.definition import Definition, ProcedureFacts, Step, available_steps
from workflow.engine.door import Firing, fire_checked
from workflow.extensions import db
from workflow.procedures.hooks import citations_for
from workflow.procedures.models import Milestone, Procedure, ProcedureStep

OPENERS = OPERATIONS["procedure.open"]
PLANNERS = OPERATIONS["procedure.plan"]


def definition_of(procedure: Procedure) -> Definition:
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
_STEPS = (
    select(ProcedureStep)
    .where(ProcedureStep.procedure_id == bindparam("procedure_id"))
    .order_by(ProcedureStep.id)
    .options(lazyload(ProcedureStep.recorded_by))
)


def get(procedure_id: int) -> Procedure:
    """The procedure with its milestones and steps, read afresh from the database (never a stale
    cached copy) in two queries: every operation and page on one procedure needs all three.

    The steps are read first. Each statement sees what was committed when it began (PostgreSQL,
    READ COMMITTED), and a step is committed together with its procedure's new version: steps
    read before the procedure row are never newer than the version that row shows. In the other
    order, a writer committing in between gave steps newer than the version, and a caller racing
    it a guard's 422 computed on them instead of the 409 its stale version is owed.

    The steps are read by a plain query and set as the loaded collection: a selectin eager load
    costs as much again in Python for the same SELECT.
    """
    key = {"procedure_id": procedure_id}
    steps = list(db.session.scalars(_STEPS, key))
    procedure = db.session.execute(_PROCEDURE, key).unique().scalar_one_or_none()
    if procedure is None:
        raise NotFound(f"Procedimento {procedure_id} non trovato.")
    set_committed_value(procedure, "steps", steps)
    return procedure


def list_all() -> list[Procedure]:
    return list(
        db.session.scalars(select(Procedure).order_by(Procedure.period_start.desc(), Procedure.id))
    )


def facts_of(procedure: Procedure, clock: Clock) -> ProcedureFacts:
    """What the guards of a procedure's machine look at, from its steps and today (Europe/Rome)."""
    return ProcedureFacts(
        today=rome_today(clock),
        recorded=frozenset(s.milestone_code for s in procedure.steps if s.milestone_code),
        last_step_on=max((s.occurred_on for s in procedure.steps), default=None),
        phase_started_on=max(
            (s.occurred_on for s in procedure.steps if s.to_state != s.from_state), default=None
        ),
    )


def check_version(procedure: Procedure, expected_version: int) -> None:
    if procedure.version != expected_version:
        raise StaleVersion(
            f"Il procedimento è stato modificato (versione {procedure.version}, "
            f"richiesta {expected_version}): ricarica la pagina e riprova."
        )


def default_title(kind: str, start: int) -> str:
    return f"PSTTM {start}-{start + 2}" if kind == "psttm" else f"{kind} {start}"


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
    """Open a procedure for a triennio (the plan is updated every year, L. 56/2014 c. 44).

    Raises NotAllowed, InvalidData, Conflict (one procedure per kind and triennio).
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
        raise Conflict(
            f"Esiste già un procedimento {kind.upper()} {period_start}-{period_start + 2}."
        )
    procedure = Procedure(
        kind=kind,
        definition_version=definition.version,
        title=(title or "").strip() or default_title(kind, period_start),
        period_start=period_start,
        period_end=period_start + 2,
        fascicolo=fascicolo.strip(),
        state=definition.initial,
        version=1,
        created_at=clock.now(),
        created_by_id=actor.id,
        milestones=[
            Milestone(code=m.code, position=i) for i, m in enumerate(definition.milestones)
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
        },
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
) -> Procedure:
    """Fire one event of the procedure's machine with the data the step needs.

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
    stored = {**stepdata.to_json(values), **citations_for(procedure, step.event)}
    return dict(
        procedure_id=procedure.id,
        event=step.event,
        milestone_code=step.milestone,
        from_state=procedure.state,
        to_state=firing.new_state,
        occurred_on=values["data"],
        act_kind=step.act.code if step.act else None,
        act_number=values.get("numero"),
        act_date=values["data"] if step.act else None,
        data=stored,
        recorded_at=clock.now(),
        recorded_by_id=actor.id,
        recorded_role=firing.role,
    )


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

    @property
    def late(self) -> bool:
        return bool(self.planned_date and self.actual_date and self.actual_date > self.planned_date)


def citation(definition: Definition, step: ProcedureStep) -> str:
    """How the act is cited: kind, number and date, as on the plan's cover."""
    act = next((s.act for s in definition.steps if s.act and s.act.code == step.act_kind), None)
    if act is None or step.act_date is None:
        return ""
    return f"{act.citation} {step.act_number} del {format_date(step.act_date)}"


def describe(definition: Definition, step: ProcedureStep) -> str:
    cited = citation(definition, step)
    return cited or f"Seduta del {format_date(step.occurred_on)}"


def milestone_rows(procedure: Procedure) -> list[MilestoneRow]:
    """Every milestone with planned date, actual date and the act that justifies it."""
    definition = definition_of(procedure)
    rows = []
    for milestone in procedure.milestones:
        spec = definition.milestone(milestone.code)
        steps = [s for s in procedure.steps if s.milestone_code == milestone.code]
        latest = steps[-1] if steps else None
        outcome = ""
        if latest is not None and "favorevole" in latest.data:
            outcome = "favorevole" if latest.data["favorevole"] else "contrario"
        rows.append(
            MilestoneRow(
                code=milestone.code,
                label=spec.label,
                phase=spec.phase,
                planned_date=milestone.planned_date,
                actual_date=latest.occurred_on if latest else None,
                act=citation(definition, latest) if latest else "",
                earlier=tuple(describe(definition, s) for s in steps[:-1]),
                outcome=outcome,
            )
        )
    return rows


def state_label(procedure: Procedure) -> str:
    return definition_of(procedure).state(procedure.state).label
