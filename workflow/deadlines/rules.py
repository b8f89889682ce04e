"""Deadline rules: the rows that the domain's own terms derive, kept in step with it.

Rules (`sync_procedure`, `sync_act`, `relata_due`, `parere_due`) run inside the operation that
changed the domain, in its transaction, so a deadline is met in the same commit as the step that
meets it and its reminders stop at once. They write no audit event of their own: the operation
that called them already records what changed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import lazyload

from workflow.access.roles import (
    DIREZIONE_GENERALE,
    DIRIGENTE,
    RAGIONERIA,
    SEGRETARIO_GENERALE,
)
from workflow.core import inputs
from workflow.core.calendar import (
    add_working_days,
    end_of_month,
    publication_end,
    roll_forward,
    term_in_days,
)
from workflow.core.clock import Clock, as_utc, rome_today
from workflow.deadlines.models import CANCELLED, MET, MISSED, OPEN, Deadline
from workflow.deadlines.policy import Policy, due_instant, next_after
from workflow.definitions import acts as act_machine
from workflow.definitions import definition_for
from workflow.engine.definition import DeadlineRule, Definition
from workflow.extensions import db
from workflow.procedures import record
from workflow.procedures.models import Procedure, ProcedureStep

KIND_LABELS = {
    "tappa": "Tappa del procedimento",
    "contributi": "Contributi di Comuni e Forum",
    "aggiornamento": "Aggiornamento annuale del Piano",
    "relata": "Relata di pubblicazione",
    "parere": "Parere",
    "manuale": "Scadenza",
}
# How every kind a rule writes reads on a page (the kinds above are also those a person may set).
KIND_NAMES = {
    **KIND_LABELS,
    "parere_tecnico": "Parere di regolarità tecnica",
    "parere_contabile": "Parere di regolarità contabile",
    "parere_segretario": "Parere del Segretario Generale",
    "termine": "Termine di legge",
}


def composed(title: str) -> str:
    """A deadline title the rules compose from an act's oggetto or a procedure's title: cut to
    the column with "…" (the source may fill its own column), never refused."""
    return inputs.fit(title, Deadline.__table__.c.title.type.length)


def policy() -> Policy:
    return Policy.from_config(current_app.config)


@dataclass(frozen=True)
class Spec:
    """What a rule says a deadline should be; `ensure` makes the row match it."""

    source_key: str
    kind: str
    title: str
    object_type: str
    object_id: str
    due_date: date
    due_time: time | None = None
    procedure_id: int | None = None
    responsible_role: str | None = DIREZIONE_GENERALE
    legal_basis: str = ""
    description: str = ""
    remind_overdue: bool = True


def arm(deadline: Deadline, now: datetime, rules: Policy) -> None:
    """Point `next_reminder_at` at the next reminder after `now` and settle the state the clock
    implies: past its instant a deadline is missed, and a window past its end is closed (met)."""
    if not deadline.live:
        deadline.next_reminder_at = deadline.next_reminder_kind = None
        return
    passed = now >= due_instant(deadline.due_date, deadline.due_time)
    upcoming = next_after(
        deadline.due_date, now, remind_overdue=deadline.remind_overdue, policy=rules
    )
    if passed and not deadline.remind_overdue:
        close(deadline, now)
        return
    deadline.state = MISSED if passed else OPEN
    # Stored in UTC: SQLite would keep a Rome wall-clock time and drop its offset.
    kind, instant = upcoming if upcoming else (None, None)
    deadline.next_reminder_kind = kind
    deadline.next_reminder_at = as_utc(instant) if instant else None


def close(deadline: Deadline, now: datetime, state: str = MET) -> None:
    deadline.state = state
    deadline.met_at = now if state == MET else None
    deadline.next_reminder_at = deadline.next_reminder_kind = None
    deadline.updated_at = now


def ensure(spec: Spec, *, clock: Clock, known: dict[str, Deadline] | None = None) -> Deadline:
    """Create the deadline a rule asks for, or bring an existing one in line (same source_key).

    A met deadline stays met unless its due date moved; a cancelled one the rule asks for again
    is reopened.
    """
    now = as_utc(clock.now())
    deadline = _find(spec.source_key, known)
    if deadline is None:
        deadline = Deadline(source_key=spec.source_key, created_at=now, state=OPEN)
        db.session.add(deadline)
        if known is not None:
            known[spec.source_key] = deadline
    moved = (deadline.due_date, deadline.due_time) != (spec.due_date, spec.due_time)
    if deadline.state == MET and not moved:
        return deadline
    for name in (
        "kind",
        "title",
        "object_type",
        "object_id",
        "due_date",
        "due_time",
        "procedure_id",
        "responsible_role",
        "legal_basis",
        "description",
        "remind_overdue",
    ):
        setattr(deadline, name, getattr(spec, name))
    deadline.updated_at = now
    if not deadline.live:
        deadline.state, deadline.met_at = OPEN, None
        moved = True
    if moved or deadline.next_reminder_at is None:
        arm(deadline, now, policy())
    return deadline


def _find(source_key: str, known: dict[str, Deadline] | None) -> Deadline | None:
    """A rule's deadline by key: from `known` (all a sync may touch, read at once) or one query."""
    if known is not None:
        return known.get(source_key)
    return db.session.scalar(select(Deadline).where(Deadline.source_key == source_key))


def resolve(
    source_key: str, state: str, *, clock: Clock, known: dict[str, Deadline] | None = None
) -> Deadline | None:
    """Mark a rule's deadline met or cancelled, if it exists and is still live."""
    deadline = _find(source_key, known)
    if deadline is not None and deadline.live:
        close(deadline, as_utc(clock.now()), state)
    return deadline


# --- Rules -----------------------------------------------------------------------------------


def relata_due(publication_start: date, days: int = 15) -> date:
    """The relata is due on the first working day after the window closes (TUEL art. 124).

    The window is counted in consecutive days and never moved; the certificate can only follow it.
    """
    return add_working_days(publication_end(publication_start, days), 1)


def parere_due(requested_on: date, working_days: int) -> date:
    """An opinion due "entro N giorni lavorativi": start day excluded, end day included."""
    return add_working_days(requested_on, working_days)


# The act's steps that someone must take within a term: (key, what, who, source). An opinion is
# asked when the act enters the state that waits for it; the relata when the window opens.
ACT_RULES: dict[str, tuple[str, str, str, str]] = {
    act_machine.PROPOSTA: (
        "parere_tecnico",
        "Parere di regolarità tecnica",
        DIRIGENTE,
        "TUEL art. 49",
    ),
    act_machine.ATTESA_CONTABILE: (
        "parere_contabile",
        "Parere di regolarità contabile",
        RAGIONERIA,
        "TUEL art. 49",
    ),
    act_machine.ATTESA_SEGRETARIO: (
        "parere_segretario",
        "Parere del Segretario Generale",
        SEGRETARIO_GENERALE,
        "Regolamento sul sistema dei controlli interni",
    ),
    act_machine.PUBBLICATO: (
        "relata",
        "Relata di pubblicazione",
        SEGRETARIO_GENERALE,
        "TUEL art. 124",
    ),
}
# Leaving a waiting state this way means nobody owes the step any more.
ACT_ENDINGS = (act_machine.RITIRATO, act_machine.ANNULLATO)


def sync_act(act: Any, from_state: str | None, *, clock: Clock) -> None:
    """Derive an act's deadlines from the transition it just made (in the same transaction).

    Entering a waiting state opens its deadline (opinions within OPINION_WORKING_DAYS working
    days; the relata on the first working day after the window); leaving it meets it, or
    cancels it when the act is withdrawn or its publication annulled.
    """
    if from_state in ACT_RULES and from_state != act.state:
        key = ACT_RULES[from_state][0]
        resolve(f"act:{act.id}:{key}", CANCELLED if act.state in ACT_ENDINGS else MET, clock=clock)
    # A step that keeps the state changes no term, except a proroga: the relata follows the
    # publication's new end.
    if act.state not in ACT_RULES or (
        act.state == from_state and act.state != act_machine.PUBBLICATO
    ):
        return
    key, what, role, basis = ACT_RULES[act.state]
    if key == "relata":
        days = (act.published_to - act.published_from).days + 1
        due = relata_due(act.published_from, days)
    else:
        due = parere_due(rome_today(clock), current_app.config["OPINION_WORKING_DAYS"])
    ensure(
        Spec(
            source_key=f"act:{act.id}:{key}",
            kind=key,
            title=composed(f"{what}: {act.oggetto}"),
            object_type="act",
            object_id=str(act.id),
            due_date=due,
            procedure_id=act.procedure_id,
            responsible_role=role,
            legal_basis=basis,
        ),
        clock=clock,
    )


def annual_update_due(approved_on: date) -> date:
    """The plan is updated every year (L. 56/2014 art. 1 c. 44): one year after approval, moved
    off a holiday (c.p.c. art. 155)."""
    return years_after(approved_on, 1)


def years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29 February), moved off a holiday."""
    try:
        anniversary = day.replace(year=day.year + years)
    except ValueError:  # 29 February
        anniversary = day.replace(year=day.year + years, day=28)
    return roll_forward(anniversary)


def rule_due(rule: DeadlineRule, period_start: int, recorded: Mapping[str, date]) -> date | None:
    """When a definition's deadline rule falls due for a procedure whose period starts in
    `period_start`, given the day each milestone was recorded (Europe/Rome days); None while
    the milestone it counts from is not recorded. Calendar terms counted from a milestone and
    ending on a holiday move to the next working day (c.p.c. art. 155); working days are counted
    with the start excluded; a fixed day of the year (TUEL art. 151: 31 December) is never moved."""
    if rule.fixed:
        day, month, offset = rule.fixed
        return date(period_start + offset, month, day)
    start = recorded.get(rule.starts_from or "")
    if start is None:
        return None
    if rule.after:
        _, amount, unit = rule.after
        if unit == "years":
            return years_after(start, amount)
        if unit == "working_days":
            return add_working_days(start, amount)
        return term_in_days(start, amount)
    if rule.month_end:
        months = start.month - 1 + rule.month_end[1]
        first = date(start.year + months // 12, months % 12 + 1, 1)
        return roll_forward(end_of_month(first))
    return None


def sync_procedure(
    procedure: Procedure, *, clock: Clock, known: dict[str, Deadline] | None = None
) -> None:
    """Derive a procedure's deadlines from its definition, planned milestones and steps.

    - each planned milestone not yet recorded is due on its planned date (the definition's
      `cronoprogramma`: for the PSTTM the decreto R.G. 264/2024);
    - each rule of the definition's `scadenze`: a fixed day of the year, a term after a
      milestone, the end of a month, or the day a step's field states (the contributions'
      term, the latest proroga's); met when its milestone is recorded, here or (the annual
      update) on a later procedure of the same kind.

    `known`: the deadlines touched_by() names, by source_key, when the caller has read them
    already (procedures.advance reads them in the statement that writes the step); else read here.
    """
    recorded = {s.milestone_code for s in procedure.steps if s.milestone_code}
    if known is None:
        known = _deadlines_touched_by(procedure, recorded)
    definition = definition_for(procedure.kind, procedure.definition_version)
    _sync_milestones(procedure, definition, recorded, known, clock=clock)
    # The day each milestone was recorded (as the record reads now), read once for every rule.
    recorded_on = {
        s.milestone_code: s.current.occurred_on for s in procedure.steps if s.milestone_code
    }
    for rule in definition.deadlines:
        if rule.from_field and not (rule.fixed or rule.after or rule.month_end):
            _sync_stated_term(procedure, definition, rule, known, clock=clock)
        else:
            _sync_rule(procedure, definition, rule, recorded_on, known, clock=clock)
    _meet_earlier_procedures(procedure, definition, recorded, known, clock=clock)


def _sync_milestones(
    procedure: Procedure,
    definition: Definition,
    recorded: set[str],
    known: dict[str, Deadline],
    *,
    clock: Clock,
) -> None:
    """Each planned milestone not yet recorded is due on its planned date (decreto R.G. 264/2024);
    recorded, it is met; unplanned, or the procedure ended, it is cancelled."""
    final = definition.state(procedure.state).final
    # A milestone a rule of the law is met by has that rule's deadline, not a second one.
    by_rule = {r.met_by for r in definition.deadlines if r.met_by}
    for milestone in procedure.milestones:
        key = f"procedure:{procedure.id}:tappa:{milestone.code}"
        if milestone.code in by_rule:
            resolve(key, CANCELLED, clock=clock, known=known)
        elif milestone.code in recorded:
            resolve(key, MET, clock=clock, known=known)
        elif milestone.planned_date is None or final:
            resolve(key, CANCELLED, clock=clock, known=known)
        else:
            label = definition.milestone(milestone.code).label
            ensure(
                Spec(
                    source_key=key,
                    kind="tappa",
                    title=composed(f"{label} — {procedure.title}"),
                    object_type="procedure",
                    object_id=str(procedure.id),
                    procedure_id=procedure.id,
                    due_date=milestone.planned_date,
                    legal_basis=definition.planning_basis or "Cronoprogramma del procedimento",
                ),
                clock=clock,
                known=known,
            )


def _sync_stated_term(
    procedure: Procedure,
    definition: Definition,
    rule: DeadlineRule,
    known: dict[str, Deadline],
    *,
    clock: Clock,
) -> None:
    """A term stated in a step's field (the contributions of Comuni and Forum: the schema
    decree's date, or the latest act that extended it, a proroga), moved off a holiday (c.p.c.
    art. 155). The first stated day and every proroga stay in the description."""
    stated = record.terms(procedure.steps, rule.from_field or record.TERM_FIELD)
    if not stated:
        return
    # "decreto": the wording the PSTTM's offices know.
    first = "nel decreto" if rule.category == "contributi" else "nell'atto"
    history = _history(
        definition, f"Termine indicato {first}: {stated[0][1]:%d/%m/%Y}.", "Prorogato", stated[1:]
    )
    ensure(
        _rule_spec(procedure, rule, roll_forward(stated[-1][1]), history),
        clock=clock,
        known=known,
    )


def _history(
    definition: Definition, first: str, verb: str, changes: Sequence[tuple[Any, date]]
) -> str:
    """A term's description: how it was first set, then each step that moved it, with its act
    ("Prorogato al 31/03/2025 (Decreto R.G. 44/2025 del 26/02/2025).")."""
    moved = [
        f"{verb} al {when:%d/%m/%Y} ({record.citation(definition, step)})."
        for step, when in changes
    ]
    return " ".join([first, *moved])


def _rule_spec(procedure: Procedure, rule: DeadlineRule, due: date, description: str) -> Spec:
    """The deadline a definition's rule asks for on `procedure`, due on `due`."""
    return Spec(
        source_key=f"procedure:{procedure.id}:{rule.code}",
        kind=rule.category,
        title=composed(f"{rule.label} — {procedure.title}"),
        object_type="procedure",
        object_id=str(procedure.id),
        procedure_id=procedure.id,
        due_date=due,
        responsible_role=rule.responsible or DIREZIONE_GENERALE,
        legal_basis=rule.basis,
        description=description,
        remind_overdue=rule.remind_overdue,
    )


def _sync_rule(
    procedure: Procedure,
    definition: Definition,
    rule: DeadlineRule,
    recorded: Mapping[str, date],
    known: dict[str, Deadline],
    *,
    clock: Clock,
) -> None:
    """A fixed-date or relative term of the definition: open until its milestone is recorded
    (met), cancelled when the procedure ends without it (but for a term a later procedure
    meets, such as the annual update after approval). `recorded`: each milestone's day."""
    due = rule_due(rule, procedure.period_start, recorded)
    key = f"procedure:{procedure.id}:{rule.code}"
    if due is None:
        return
    description = ""
    stated = record.terms(procedure.steps, rule.from_field) if rule.from_field else []
    if stated:  # a deferral (TUEL art. 151 c. 1: by decree): the day it names, not moved
        description = _history(
            definition, f"Termine di legge: {due:%d/%m/%Y}.", "Differito", stated
        )
        due = stated[-1][1]
    if rule.met_by and rule.met_by in recorded:
        resolve(key, MET, clock=clock, known=known)
        return
    if rule.met_by_successor is None and definition.state(procedure.state).final:
        resolve(key, CANCELLED, clock=clock, known=known)
        return
    ensure(_rule_spec(procedure, rule, due, description), clock=clock, known=known)
    if rule.met_by_successor is not None:
        later_started = db.session.scalar(
            select(ProcedureStep.id)
            .join(Procedure, Procedure.id == ProcedureStep.procedure_id)
            .where(
                Procedure.kind == procedure.kind,
                Procedure.period_start > procedure.period_start,
                ProcedureStep.milestone_code == rule.met_by_successor,
            )
            .limit(1)
        )
        if later_started is not None:
            resolve(key, MET, clock=clock, known=known)


def _meet_earlier_procedures(
    procedure: Procedure,
    definition: Definition,
    recorded: set[str],
    known: dict[str, Deadline],
    *,
    clock: Clock,
) -> None:
    """The live terms of earlier procedures of the same kind that this one's milestone meets
    (the annual update, met by the next triennio's avvio): touched_by() read them into
    `known` when that milestone is recorded."""
    for rule in definition.deadlines:
        if rule.met_by_successor is None or rule.met_by_successor not in recorded:
            continue
        for deadline in list(known.values()):
            if deadline.kind == rule.category and deadline.procedure_id != procedure.id:
                resolve(deadline.source_key, MET, clock=clock, known=known)


_OWN_DEADLINES = Deadline.procedure_id == bindparam("procedure_id")
# ... and the live annual updates of the earlier trienni of the same kind.
_OWN_AND_EARLIER_UPDATES = or_(
    _OWN_DEADLINES,
    and_(
        # Named with their values: the condition is also cloned into procedures' outer join,
        # where anonymous literals lose their values in the compiled cache.
        Deadline.kind == bindparam("update_kind", "aggiornamento"),
        Deadline.state.in_(bindparam("live_states", [OPEN, MISSED], expanding=True)),
        Deadline.procedure_id.in_(
            select(Procedure.id).where(
                # Not "kind" and "period_start": beside procedures' UPDATE in one statement
                # (procedures.advance), a parameter named as a column would be SET on it.
                Procedure.kind == bindparam("procedure_kind"),
                Procedure.period_start < bindparam("started_before"),
            )
        ),
    ),
)
# A sync reads and writes the deadlines' own columns only: their assignees (a selectin load, one
# more query whenever a procedure has deadlines) are loaded if and when something reads them.
NOT_ASSIGNEES = lazyload(Deadline.assignees)
CONDITIONS = {"own": _OWN_DEADLINES, "own_and_earlier_updates": _OWN_AND_EARLIER_UPDATES}
_TOUCHED = {
    name: select(Deadline).where(condition).options(NOT_ASSIGNEES)
    for name, condition in CONDITIONS.items()
}


def touched_by(procedure: Procedure, recorded: Collection[str]) -> tuple[str, dict[str, Any]]:
    """Which deadlines a sync of `procedure` may change, given the milestones `recorded`: its
    own, and once its avvio is recorded the live annual updates of earlier trienni of the same
    kind (which that avvio meets). The name of the condition (a key of CONDITIONS) and its
    parameters, so that a caller may read them in a statement of its own."""
    definition = definition_for(procedure.kind, procedure.definition_version)
    for rule in definition.deadlines:
        if rule.met_by_successor is not None and rule.met_by_successor in recorded:
            params = {
                "procedure_id": procedure.id,
                "procedure_kind": procedure.kind,
                "started_before": procedure.period_start,
                "update_kind": rule.category,
            }
            return "own_and_earlier_updates", params
    return "own", {"procedure_id": procedure.id}


def _deadlines_touched_by(procedure: Procedure, recorded: set[str]) -> dict[str, Deadline]:
    """Every deadline a sync of `procedure` may change, by key, in one query."""
    condition, params = touched_by(procedure, recorded)
    return {d.source_key: d for d in db.session.scalars(_TOUCHED[condition], params)}


def _sync_annual_updates(procedure: Procedure, known: dict[str, Deadline], *, clock: Clock) -> None:
    """The yearly update (L. 56/2014 art. 1 c. 44): due a year after this plan's approval, met
    once a later triennio records its avvio. Touches this procedure and the live update
    deadlines of earlier ones only: its cost does not grow with the number of procedures."""
    approval = next((s for s in procedure.steps if s.milestone_code == "approvazione"), None)
    if approval is not None:
        key = f"procedure:{procedure.id}:aggiornamento"
        ensure(
            Spec(
                source_key=key,
                kind="aggiornamento",
                title=composed(f"Avvio dell'aggiornamento annuale — {procedure.title}"),
                object_type="procedure",
                object_id=str(procedure.id),
                procedure_id=procedure.id,
                due_date=annual_update_due(approval.current.occurred_on),
                legal_basis="L. 56/2014 art. 1 c. 44 (aggiornamento annuale)",
            ),
            clock=clock,
            known=known,
        )
        later_started = db.session.scalar(
            select(ProcedureStep.id)
            .join(Procedure, Procedure.id == ProcedureStep.procedure_id)
            .where(
                Procedure.kind == procedure.kind,
                Procedure.period_start > procedure.period_start,
                ProcedureStep.milestone_code == "avvio",
            )
            .limit(1)
        )
        if later_started is not None:
            resolve(key, MET, clock=clock, known=known)
    for deadline in list(known.values()):
        if deadline.kind == "aggiornamento" and deadline.procedure_id != procedure.id:
            resolve(deadline.source_key, MET, clock=clock, known=known)
