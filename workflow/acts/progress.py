"""What an act is waiting for: the steps that carry it forward, and in words what holds each one.

Two questions with one answer about which steps are *work*. An act's machine offers two kinds of
step: those of its ordinary life (an opinion, a signature, numbering, publication, the relata),
which are owed, and corrective ones (annulling a publication, extending it, revising or withdrawing
the proposal), which may be taken at any time but are never owed. The desk lists an act as waiting
for someone only for the first kind, and the act page says what is missing only for them.

A corrective step is work only where it is the sole way on: a contrary opinion suspends the act
"da rivedere o ritirare" (TUEL art. 49), and then revising or withdrawing it is what is owed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from workflow.access.models import User
from workflow.access.roles import role_label
from workflow.acts import operations as acts
from workflow.acts.models import Act
from workflow.core.clock import Clock
from workflow.engine.definition import Definition, Step

# Corrective steps: possible on a running act, never owed (see the module's docstring).
CORRECTIVE_EVENTS = frozenset({"annulla_pubblicazione", "proroga", "ritira", "rivedi"})


def is_work(definition: Definition, step: Step) -> bool:
    """Whether `step` carries the act forward (owed), not only corrects or stops it: a
    corrective step counts only in a state where every step is corrective (sospeso)."""
    if step.event not in CORRECTIVE_EVENTS:
        return True
    return all(s.event in CORRECTIVE_EVENTS for s in definition.steps if s.source == step.source)


def due_steps(definition: Definition, steps: Iterable[Step]) -> list[Step]:
    """The steps of `steps` that are work (is_work), in their order."""
    return [s for s in steps if is_work(definition, s)]


def waiting_steps(act: Act, user: User, clock: Clock) -> list[Step]:
    """The steps `user` may fire now that are owed: what the desk lists as waiting for them.

    A published act is listed only when its relata is due (the window ended, TUEL art. 124), not
    because it could be annulled or extended."""
    return due_steps(acts.definition_of(act), acts.allowed_events(act, user, clock))


@dataclass(frozen=True)
class Missing:
    """One step the act waits for, and in words what holds it: a guard's refusal (what is
    missing), or the roles it is up to once nothing is missing."""

    step: Step
    reason: str
    refused: bool  # True: something is missing; False: only the roles in `reason` must act


def what_is_missing(act: Act, clock: Clock) -> list[Missing]:
    """For each owed step from the act's state (one per event, in the definition's order): the
    first of its guards that refuses it, or whose turn it is. Empty in a final state.

    The guards are asked on the act's facts for nobody in particular, with no data yet: a
    signature still owed is owed by whoever holds the signer's role, so the facts name those
    roles as the signer's. Raises nothing.
    """
    definition = acts.definition_of(act)
    neutral = acts.facts_of(act, None, clock)
    facts = dataclasses.replace(neutral, signer_roles=neutral.missing_signers)
    seen: set[str] = set()
    found: list[Missing] = []
    for step in definition.steps:
        if step.source != act.state or step.event in seen or not is_work(definition, step):
            continue
        seen.add(step.event)
        refusal = next(
            (
                message
                for name in (*definition.common_guards, *step.guards)
                if (message := definition.guards[name](facts, {})) is not None
            ),
            None,
        )
        if refusal is not None:
            found.append(Missing(step, refusal, True))
            continue
        roles = [r for r in step.roles if step.event != "firma" or r in facts.missing_signers]
        found.append(Missing(step, _up_to(roles), False))
    return found


def _up_to(roles: list[str]) -> str:
    """ "Spetta al ruolo: Ufficio Albo." / "Spetta a uno dei ruoli: …" (no article to agree)."""
    names = ", ".join(role_label(r) for r in roles)
    if len(roles) == 1:
        return f"Spetta al ruolo: {names}."
    return f"Spetta a uno dei ruoli: {names}."
