"""The part of the service door every machine-driven object shares (procedures, acts).

From an event name and the raw data of a request to the step the machine takes, checked in one
order for every kind of object: the event exists (404), the version is the one read (409), the
event is possible in this state (409), the actor's role may fire it (403), the data parse (400 /
422), the guards agree (422). What the step then writes is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.core.clock import Clock
from workflow.core.errors import Conflict, GuardFailed, NotFound
from workflow.engine import stepdata
from workflow.engine.definition import (
    Definition,
    Facts,
    NotAvailable,
    Refused,
    Step,
    UnknownEvent,
    fire,
)

F = TypeVar("F", bound=Facts)


@dataclass(frozen=True)
class Firing(Generic[F]):
    """What the machine decided: the step taken, the new state, and what it was decided on."""

    step: Step
    new_state: str
    role: str  # the role the actor fired it under (held or delegated)
    values: dict[str, Any]  # the step's data, parsed
    facts: F  # the kind's own facts (ProcedureFacts, ActFacts), as its guards read them


def fire_checked(
    definition: Definition,
    state: str,
    event: str,
    data: Mapping[str, Any],
    *,
    actor: User,
    clock: Clock,
    check_version: Callable[[], None],
    facts: Callable[[], F],
    subject: str,
) -> Firing[F]:
    """Fire `event` from `state`; raise the service error a user must see when it cannot be.

    `check_version` raises StaleVersion; `facts` is asked only once the cheap checks passed;
    `subject` completes "Passaggio «…» inesistente per …" ("questo procedimento", "gli atti").
    """
    if event not in definition.events():
        raise NotFound(f"Passaggio «{event}» inesistente per {subject}.")
    check_version()
    candidates = definition.steps_for(event, state)
    # People read the step's label, never its event code (elabora_linee_guida…).
    step_label = next(s.label for s in definition.steps if s.event == event)
    if not candidates:
        label = definition.state(state).label
        raise Conflict(
            f"Il passaggio «{step_label}» non è possibile nello stato attuale ({label})."
        )
    role = acting_role(actor, candidates[0].roles, f"«{candidates[0].label}»", clock=clock)
    values = stepdata.parse(candidates[0].fields, data)
    known = facts()
    try:
        step, new_state = fire(definition, state, event, known, values)
    except Refused as exc:
        raise GuardFailed(exc.message) from exc
    except (UnknownEvent, NotAvailable) as exc:  # checked above; kept for a changed definition
        raise Conflict(f"Il passaggio «{step_label}» non è possibile ora.") from exc
    return Firing(step, new_state, role, values, known)
