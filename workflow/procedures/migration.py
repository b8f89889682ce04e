"""Instance migration: running procedures moved to another version of their kind's definition.

What Camunda and Flowable call process instance migration. A procedure moves only if the new
version explains its record: every recorded step, replayed in order from the new definition's
initial state on the facts the steps before it give, is a step of the new definition from that
state, with the same milestone, passing its guards and routes and arriving at the state the step
recorded (renamed by `--map vecchio=nuovo` where the new version renamed it); and the replay ends
in the procedure's current state. Anything else refuses that procedure, with the reason; the
others move. Each move is one audit event (`procedure.migrata`) and one new version of the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from workflow.access.models import User
from workflow.access.roles import ADMIN, SYSTEM
from workflow.audit import chain as audit
from workflow.core.clock import Clock, format_date, rome_today
from workflow.core.errors import DomainError, InvalidData, NotFound
from workflow.core.transaction import operation
from workflow.deadlines import rules
from workflow.definitions import (
    LATEST,
    DefinitionUnavailable,
    definition_for,
    remember,
    stored_versions,
)
from workflow.engine import stepdata
from workflow.engine.definition import Definition, Refused, fire
from workflow.extensions import db
from workflow.procedures.models import Milestone, Procedure
from workflow.procedures.operations import _AsRecorded, _typed, facts_from

# The shortest prefix of a version accepted on the command line (like git's short hashes).
SHORTEST_PREFIX = 6


@dataclass(frozen=True)
class Outcome:
    """What a migration does (or would do) to one procedure: moved to `state`, or `refused`."""

    procedure_id: int
    title: str
    from_version: str
    from_state: str
    state: str | None
    refused: str | None = None


def target(kind: str, version: str) -> Definition:
    """The version of `kind` a migration goes to: the full hash or a prefix of at least six hex
    digits, among the file's version and those stored. Raises NotFound, InvalidData."""
    if kind not in LATEST:
        raise NotFound(f"Tipo di procedimento «{kind}» sconosciuto.")
    wanted = version.strip().lower()
    if len(wanted) < SHORTEST_PREFIX and wanted != "1":
        raise InvalidData(f"Indica almeno {SHORTEST_PREFIX} cifre della versione.")
    known = {LATEST[kind].version} | {v.version for v in stored_versions() if v.kind == kind}
    matches = sorted(v for v in known if v == wanted or v.startswith(wanted))
    if not matches:
        raise NotFound(f"La versione «{version}» di «{kind}» non esiste.")
    if len(matches) > 1:
        raise InvalidData(
            f"La versione «{version}» è ambigua: {', '.join(m[:12] for m in matches)}."
        )
    return definition_for(kind, matches[0])


def parse_map(pairs: tuple[str, ...]) -> dict[str, str]:
    """`("vecchio=nuovo", …)` → {"vecchio": "nuovo"}; raises InvalidData on a malformed pair."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidData(f"«{pair}»: scrivi stato_vecchio=stato_nuovo.")
        if old.strip() in mapping:
            raise InvalidData(f"Lo stato «{old.strip()}» è indicato due volte in --map.")
        mapping[old.strip()] = new.strip()
    return mapping


def explain(
    procedure: Procedure, new: Definition, state_map: Mapping[str, str], clock: Clock
) -> str:
    """The state `procedure` takes on `new`, if `new` explains its record; raises Refused with
    the first step it cannot explain (Italian)."""
    mapped = state_map.get(procedure.state, procedure.state)
    names = {s.name for s in new.states}
    if mapped not in names:
        raise Refused(
            f"lo stato «{procedure.state}» non esiste nella nuova versione: indica "
            f"--map {procedure.state}=<uno dei suoi stati>"
        )
    codes = {m.code for m in new.milestones}
    lost = [m.code for m in procedure.milestones if m.code not in codes]
    if lost:
        raise Refused(f"la nuova versione non ha le tappe {', '.join(lost)}")
    today = rome_today(clock)
    view = [_AsRecorded.of(s) for s in procedure.steps]
    state = new.initial
    for i, step in enumerate(procedure.steps):
        when = format_date(step.current.occurred_on)
        specs = new.steps_for(step.event, state)
        if not specs:
            raise Refused(
                f"il passaggio «{step.event}» del {when} non è previsto dallo stato «{state}» "
                "della nuova versione"
            )
        spec = specs[0]
        if spec.milestone != step.milestone_code:
            raise Refused(f"il passaggio «{spec.label}» del {when} segna un'altra tappa")
        try:
            values = stepdata.parse(spec.fields, _typed(spec, view[i].data))
            _, state = fire(new, state, step.event, facts_from(view[:i], today), values)
        except (Refused, DomainError) as exc:
            raise Refused(f"il passaggio «{spec.label}» del {when}: {exc.message}") from exc
        recorded = state_map.get(step.to_state, step.to_state)
        if state != recorded:
            raise Refused(
                f"il passaggio «{spec.label}» del {when} porterebbe a «{state}», non a «{recorded}»"
            )
    if state != mapped:
        raise Refused(f"il percorso registrato arriva a «{state}», non a «{mapped}»")
    return mapped


def _running(kind: str, version: str) -> list[Procedure]:
    procedures = db.session.scalars(
        select(Procedure)
        .where(Procedure.kind == kind, Procedure.definition_version != version)
        .order_by(Procedure.period_start)
    ).all()
    running = []
    for procedure in procedures:
        try:
            own = definition_for(procedure.kind, procedure.definition_version)
        except DefinitionUnavailable:  # exactly what a migration is for
            running.append(procedure)
            continue
        if not own.state(procedure.state).final:
            running.append(procedure)
    return running


def plan(kind: str, version: str, state_map: Mapping[str, str], *, clock: Clock) -> list[Outcome]:
    """What a migration of the running procedures of `kind` to `version` would do, changing
    nothing (the dry run). Raises NotFound, InvalidData (see target)."""
    return _plan(target(kind, version), state_map, clock)


def _plan(new: Definition, state_map: Mapping[str, str], clock: Clock) -> list[Outcome]:
    names = {s.name for s in new.states}
    wrong = sorted(v for v in state_map.values() if v not in names)
    if wrong:
        raise InvalidData(
            f"--map: la versione {new.short_version} non ha gli stati {', '.join(wrong)} "
            f"(ha: {', '.join(sorted(names))})."
        )
    outcomes = []
    for procedure in _running(new.kind, new.version):
        try:
            state, refused = explain(procedure, new, state_map, clock), None
        except Refused as exc:
            state, refused = None, exc.message
        outcomes.append(
            Outcome(
                procedure.id,
                procedure.title,
                procedure.definition_version,
                procedure.state,
                state,
                refused,
            )
        )
    return outcomes


@operation
def migrate(
    kind: str, version: str, state_map: Mapping[str, str], *, actor: User | None, clock: Clock
) -> list[Outcome]:
    """Move every running procedure of `kind` that `version` explains to it, in one
    transaction; the others stay where they are, refused with the reason. Each move adds the
    new version's milestones the procedure lacks, bumps its version and is audited
    (`procedure.migrata`); its deadlines follow the new definition in the same commit.

    Raises NotFound, InvalidData (see target)."""
    new = target(kind, version)
    outcomes = _plan(new, state_map, clock)
    if all(o.refused for o in outcomes):
        return outcomes  # nothing moves: nothing is stored either
    remember(new, clock=clock)
    for outcome in outcomes:
        if outcome.refused:
            continue
        procedure = db.session.get(Procedure, outcome.procedure_id)
        have = {m.code for m in procedure.milestones}
        added = [m.code for m in new.milestones if m.code not in have]
        for code in added:
            procedure.milestones.append(
                Milestone(code=code, position=[m.code for m in new.milestones].index(code))
            )
        procedure.definition_version = new.version
        procedure.state = outcome.state
        procedure.version += 1
        db.session.flush()
        audit.record(
            actor=actor,
            role=ADMIN if actor is not None else SYSTEM,  # a command run on the server
            object_type="procedure",
            object_id=procedure.id,
            action="procedure.migrata",
            payload={
                "from_version": outcome.from_version,
                "definition_version": new.version,
                "from": outcome.from_state,
                "to": outcome.state,
                "map": dict(state_map),
                "added_milestones": added,
                "version": procedure.version,
            },
            clock=clock,
        )
        rules.sync_procedure(procedure, clock=clock)
    return outcomes


def versions_in_use() -> dict[tuple[str, str], list[Procedure]]:
    """Every version of every kind (the files' and those stored) with the procedures on it."""
    used: dict[tuple[str, str], list[Procedure]] = {
        (d.kind, d.version): [] for d in LATEST.values()
    }
    for stored in stored_versions():
        if stored.object == "procedimento":
            used.setdefault((stored.kind, stored.version), [])
    for procedure in db.session.scalars(select(Procedure).order_by(Procedure.period_start)):
        used.setdefault((procedure.kind, procedure.definition_version), []).append(procedure)
    return used
