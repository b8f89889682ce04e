"""The engine decides once: `transitions` chooses the step (guards and routes are its conditions
and `unless`), and each guard and route runs at most once per transition it tries — when an event
fires, when it is refused (the refusal says which guard refused), and when the allowed steps are
listed with `may_trigger`."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from workflow.definitions import ACT_LATEST, LATEST, acts
from workflow.definitions.acts import ActFacts
from workflow.engine import definition as engine
from workflow.engine.definition import (
    Definition,
    Facts,
    ProcedureFacts,
    Refused,
    Step,
    available_steps,
    fire,
)

TODAY = date(2025, 7, 1)
ALL_PRESENTED = frozenset({"commissione", "conferenza", "forum"})


def counted(definition: Definition) -> tuple[Definition, Counter[str]]:
    """The same definition, its guards and routes counting their calls ("route:" + a route)."""
    calls: Counter[str] = Counter()

    def counting(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            calls[name] += 1
            return function(*args)

        return call

    changed = dataclasses.replace(
        definition,
        guards={n: counting(n, g) for n, g in definition.guards.items()},
        routes={n: counting(f"route:{n}", r) for n, r in definition.routes.items()},
    )
    return changed, calls


def passing_facts(definition: Definition, step: Step) -> Facts:
    """Facts under which every guard of `step` agrees."""
    if definition.kind == "psttm":
        recorded = ALL_PRESENTED if step.event == "adotta" else frozenset()
        return ProcedureFacts(today=TODAY, recorded=recorded, last_step_on=date(2025, 1, 1))
    return ActFacts(
        today=TODAY,
        missing_opinions=(),
        missing_signers=(),
        signer_roles=("sindaco",),
        document_problem=None,
        # The relata follows the window's end; a proroga extends a window still running.
        published_to=date(2025, 7, 15) if step.event == "proroga" else date(2025, 6, 15),
        deliberation=False,
    )


def data_for(step: Step) -> dict[str, Any]:
    """The data of `step`, routed to it: unfavourable where it is the `unless` way."""
    return {
        "numero": "1/2025",
        "data": date(2025, 3, 1),
        "scadenza_contributi": date(2025, 3, 31),
        "al": date(2025, 7, 31),  # a proroga's new end, after the window's
        "favorevole": not step.unless,
        "testo": "Testo.",
        "motivazione": "Motivo.",
    }


def uses(definition: Definition, step: Step) -> list[str]:
    """Every guard and route `step`'s transition asks, by its name in the counter."""
    guards = [*definition.common_guards, *step.guards]
    return guards + [f"route:{r}" for r in (*step.when, *step.unless)]


EVERY_STEP = [(d, s) for d in (LATEST["psttm"], ACT_LATEST) for s in d.steps]


@pytest.mark.parametrize(
    "definition,step", EVERY_STEP, ids=[f"{d.kind}-{s.source}-{s.event}" for d, s in EVERY_STEP]
)
def test_each_guard_and_route_runs_at_most_once_per_transition_tried(
    definition: Definition, step: Step
) -> None:
    machine, calls = counted(definition)
    candidates = machine.steps_for(step.event, step.source)
    taken, _ = fire(
        machine, step.source, step.event, passing_facts(definition, step), data_for(step)
    )
    assert taken == step  # the routes chose this very step
    tried = candidates.index(taken) + 1  # transitions tries them in the definition's order
    for name in uses(definition, step):
        assert 1 <= calls[name] <= tried, (name, calls[name], tried)
    assert set(calls) <= {n for s in candidates for n in uses(definition, s)}


def test_a_refusal_names_the_guard_that_refused_without_asking_it_again() -> None:
    machine, calls = counted(LATEST["psttm"])
    facts = ProcedureFacts(
        today=TODAY, recorded=ALL_PRESENTED - {"forum"}, last_step_on=date(2025, 1, 1)
    )
    with pytest.raises(Refused, match="manca la presentazione al Forum metropolitano"):
        fire(machine, "consultazione", "adotta", facts, data_for(LATEST["psttm"].steps[6]))
    assert calls["presentazioni_complete"] == 1


def test_a_refusal_on_a_routed_event_asks_each_guard_once_per_transition() -> None:
    machine, calls = counted(LATEST["psttm"])
    facts = ProcedureFacts(today=TODAY, recorded=ALL_PRESENTED, last_step_on=date(2025, 1, 1))
    future = {**data_for(LATEST["psttm"].steps[7]), "data": date(2025, 7, 2)}
    with pytest.raises(Refused, match="nel futuro"):
        fire(machine, "adottato", "parere_conferenza", facts, future)
    assert calls["data_non_futura"] == 2  # two transitions tried, refused by the first condition
    assert calls["date_in_ordine"] == 0 and calls["route:favorevole"] == 0


def test_a_refused_act_step_says_the_first_guard_that_refused() -> None:
    machine, calls = counted(ACT_LATEST)
    facts = dataclasses.replace(
        passing_facts(ACT_LATEST, ACT_LATEST.steps[0]),
        missing_signers=(acts.SINDACO,),
    )
    with pytest.raises(Refused, match="Mancano le firme di: Sindaco"):
        fire(machine, acts.IN_FIRMA, "numera", facts, {})
    assert calls == Counter({"pareri_validi": 1, "firme_complete": 1})


@pytest.mark.parametrize("definition", [LATEST["psttm"], ACT_LATEST], ids=lambda d: d.kind)
def test_allowed_steps_ask_may_trigger_once_per_transition(definition: Definition) -> None:
    everyone = {role for step in definition.steps for role in step.roles}
    for state in definition.states:
        machine, calls = counted(definition)
        from_here = [s for s in definition.steps if s.source == state.name]
        facts = passing_facts(definition, from_here[0]) if from_here else None
        offered = available_steps(machine, state.name, everyone, facts) if facts else []
        assert {s.event for s in offered} <= {s.event for s in from_here}
        assert offered or not from_here, state.name
        for name, count in calls.items():
            assert count <= sum(name in uses(definition, s) for s in from_here), (state, name)


def test_one_machine_per_definition_and_one_model_per_decision_at_a_time() -> None:
    """Built once and shared; models are lent, not bound per firing: as many as ran together."""
    machine, _ = counted(LATEST["psttm"])
    facts = ProcedureFacts(today=TODAY, recorded=frozenset(), last_step_on=None)
    data = data_for(LATEST["psttm"].steps[0])
    for _ in range(20):
        assert fire(machine, "in_preparazione", "avvia", facts, data)[1] == "avviato"
    shared = engine._engine(machine).machine
    assert len(shared.models) == 1

    results: list[str] = []
    barrier = threading.Barrier(6)

    def fire_together() -> None:
        barrier.wait()
        for _ in range(20):
            results.append(fire(machine, "in_preparazione", "avvia", facts, data)[1])

    threads = [threading.Thread(target=fire_together) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["avviato"] * 120
    assert engine._engine(machine).machine is shared and 1 <= len(shared.models) <= 6


def test_steps_of_one_event_from_one_state_differ_only_in_their_route() -> None:
    opinion = ACT_LATEST.steps[0]
    other_roles = dataclasses.replace(ACT_LATEST.steps[1], roles=(acts.SINDACO,))
    with pytest.raises(ValueError, match="differs: \\['roles'\\]"):
        dataclasses.replace(ACT_LATEST, steps=(opinion, other_roles))


def test_a_definition_naming_an_undefined_guard_is_refused() -> None:
    step = dataclasses.replace(ACT_LATEST.steps[0], guards=("non_esiste",))
    with pytest.raises(ValueError, match="non_esiste"):
        dataclasses.replace(ACT_LATEST, steps=(step,))
