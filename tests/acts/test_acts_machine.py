"""The act machine definition, run by the engine: every event from every state, legal or not, the
routes of a contrary opinion, and each guard's refusal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from workflow.access.roles import ROLE_CODES, SEGRETARIO_GENERALE, SINDACO
from workflow.definitions import ACT_LATEST
from workflow.definitions import acts as machine
from workflow.engine.definition import (
    NotAvailable,
    Refused,
    UnknownEvent,
    available_steps,
    fire,
)

D = ACT_LATEST
TODAY = date(2025, 7, 1)

# The life of an act as DOMAIN.md tells it, written out by hand: (state, event) → destination,
# with every guard satisfied and every opinion favourable.
LEGAL: dict[tuple[str, str], str] = {
    ("proposta", "parere_tecnico"): "attesa_parere_contabile",
    ("attesa_parere_contabile", "parere_contabile"): "attesa_parere_segretario",
    ("attesa_parere_contabile", "contabile_non_dovuto"): "attesa_parere_segretario",
    ("attesa_parere_segretario", "parere_segretario"): "in_firma",
    ("in_firma", "firma"): "in_firma",  # each signer signs with an event of their own
    ("in_firma", "numera"): "adottato",
    ("adottato", "pubblica"): "pubblicato",
    ("pubblicato", "annulla_pubblicazione"): "pubblicazione_annullata",
    ("pubblicato", "relata"): "pubblicazione_certificata",
    # A running publication is extended (proroga) and stays published.
    ("pubblicato", "proroga"): "pubblicato",
    # Before adoption the proposal may be revised (its opinions lapse) or withdrawn.
    **{
        (state, event): dest
        for state in (
            "proposta",
            "attesa_parere_contabile",
            "attesa_parere_segretario",
            "in_firma",
            "sospeso",
        )
        for event, dest in (("rivedi", "proposta"), ("ritira", "ritirato"))
    },
}
# A contrary opinion stops the act (TUEL art. 49).
CONTRARY: dict[tuple[str, str], str] = {
    ("proposta", "parere_tecnico"): "sospeso",
    ("attesa_parere_contabile", "parere_contabile"): "sospeso",
    ("attesa_parere_segretario", "parere_segretario"): "sospeso",
}
STATES = {
    "proposta",
    "attesa_parere_contabile",
    "attesa_parere_segretario",
    "in_firma",
    "sospeso",
    "adottato",
    "pubblicato",
    "pubblicazione_certificata",
    "pubblicazione_annullata",
    "ritirato",
}
DATA: dict[str, Any] = {
    "favorevole": True,
    "testo": "Si esprime parere favorevole.",
    "motivazione": "Motivazione.",
    "dal": TODAY,
    "note": "Pubblicazione regolare.",
}


# The window is still running: what a proroga needs (the relata needs the opposite).
RUNNING = {"published_to": TODAY + timedelta(days=1)}


def facts(**details: Any) -> machine.ActFacts:
    """What the act's service tells the guards, all satisfied unless `details` says otherwise:
    every opinion valid, the Sindaco's signature due, the signed PDF in order, the window over."""
    return machine.ActFacts(
        **{
            "today": TODAY,
            "missing_opinions": (),
            "missing_signers": (),
            "signer_roles": (SINDACO,),
            "document_problem": None,
            "published_to": TODAY - timedelta(days=1),
            "deliberation": False,
            **details,
        }
    )


def test_the_table_names_the_states_and_events_of_the_definition() -> None:
    assert {s.name for s in D.states} == STATES
    assert {event for _, event in LEGAL} == set(D.events())


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("event", D.events())
def test_every_event_from_every_state(state: str, event: str) -> None:
    if (state, event) in LEGAL:
        known = facts(**RUNNING) if event == "proroga" else facts()
        step, new_state = fire(D, state, event, known, DATA)
        assert new_state == LEGAL[(state, event)]
        assert (step.event, step.source) == (event, state)
    else:
        with pytest.raises(NotAvailable):
            fire(D, state, event, facts(), DATA)


@pytest.mark.parametrize(("state", "event"), sorted(CONTRARY))
def test_contrary_opinion_stops_the_act_until_revised_or_withdrawn(state: str, event: str) -> None:
    _, stopped = fire(D, state, event, facts(), {**DATA, "favorevole": False})
    assert stopped == CONTRARY[(state, event)]
    assert fire(D, stopped, "rivedi", facts(), DATA)[1] == "proposta"
    assert fire(D, stopped, "ritira", facts(), DATA)[1] == "ritirato"


@pytest.mark.parametrize("state", sorted(STATES))
def test_the_events_offered_in_each_state_are_those_of_the_table(state: str) -> None:
    offered = {step.event for step in available_steps(D, state, set(ROLE_CODES), facts())}
    # With the window over (facts()), a publication is certified, no longer extended.
    assert offered == {event for source, event in LEGAL if source == state} - {"proroga"}


def test_a_running_publication_offers_the_proroga_not_the_relata() -> None:
    offered = {s.event for s in available_steps(D, "pubblicato", set(ROLE_CODES), facts(**RUNNING))}
    assert offered == {"annulla_pubblicazione", "proroga"}


def test_unknown_event_is_not_an_event() -> None:
    with pytest.raises(UnknownEvent):
        fire(D, "in_firma", "firma_tutto", facts(), DATA)


REFUSALS = [
    # (state, event, what the service says, step data, the Italian message)
    ("in_firma", "firma", {"signer_roles": ()}, {}, "La tua firma non è richiesta"),
    (
        "in_firma",
        "numera",
        {"missing_opinions": ("parere di regolarità contabile",)},
        {},
        "Mancano pareri validi sul testo attuale: parere di regolarità contabile.",
    ),
    (
        "in_firma",
        "numera",
        {"missing_signers": (SEGRETARIO_GENERALE,)},
        {},
        "Mancano le firme di: Segretario Generale.",
    ),
    (
        "in_firma",
        "numera",
        {},
        {"immediatamente_eseguibile": True, "votazione": "unanime"},
        "Solo una deliberazione può essere dichiarata immediatamente eseguibile.",
    ),
    (
        "in_firma",
        "numera",
        {"deliberation": True},
        {"immediatamente_eseguibile": True},
        "Manca l'esito della votazione",
    ),
    (
        "adottato",
        "pubblica",
        {"document_problem": "Manca il documento dell'atto firmato digitalmente."},
        {},
        "Manca il documento dell'atto firmato digitalmente.",
    ),
    (
        "adottato",
        "pubblica",
        {},
        {"dal": TODAY - timedelta(days=1)},
        "La pubblicazione non può iniziare nel passato (30/06/2025).",
    ),
    (
        "adottato",
        "pubblica",
        {"atto_choices": {7: "Il documento «bozza.pdf» non ha firme digitali integre."}},
        {"atto": 7},
        "non ha firme digitali integre",
    ),
    (
        "adottato",
        "pubblica",
        {"atto_choices": {7: None}},
        {"atto": 8},
        "Il documento n. 8 non è tra i documenti di questo atto.",
    ),
    (
        "adottato",
        "pubblica",
        {"atto_choices": {7: None}, "annex_choices": {9: "è un allegato non pubblicabile"}},
        {"atto": 7, "allegati": [9]},
        "è un allegato non pubblicabile",
    ),
    (
        "adottato",
        "pubblica",
        {"atto_choices": {7: None}, "annex_choices": {7: None}},
        {"atto": 7, "allegati": [7]},
        "è già scelto come atto",
    ),
    (
        "pubblicato",
        "proroga",
        {"published_to": TODAY - timedelta(days=1)},
        {},
        "La pubblicazione è terminata il 30/06/2025: non si può più prorogare.",
    ),
    (
        "pubblicato",
        "proroga",
        RUNNING,
        {"al": TODAY + timedelta(days=1)},
        "deve essere successiva alla fine attuale (02/07/2025)",
    ),
    (
        "pubblicato",
        "proroga",
        RUNNING,
        {"al": TODAY + timedelta(days=5), "data": TODAY + timedelta(days=1)},
        "non può avere una data futura (02/07/2025)",
    ),
    (
        "pubblicato",
        "relata",
        {"published_to": TODAY},
        {},
        "solo al termine del periodo (ultimo giorno 01/07/2025).",
    ),
]


@pytest.mark.parametrize(
    ("state", "event", "details", "data", "message"),
    REFUSALS,
    ids=[f"{r[1]}-{r[4][:30]}" for r in REFUSALS],
)
def test_each_guard_refuses_with_its_message(state, event, details, data, message) -> None:
    with pytest.raises(Refused) as refused:
        fire(D, state, event, facts(**details), {**DATA, **data})
    assert message in refused.value.message


def test_a_delibera_with_the_vote_may_be_declared_immediately_executable() -> None:
    voted = {"immediatamente_eseguibile": True, "votazione": "maggioranza dei componenti"}
    _, new_state = fire(D, "in_firma", "numera", facts(deliberation=True), {**DATA, **voted})
    assert new_state == "adottato"


def test_every_non_final_state_has_a_way_out_and_every_state_is_reachable() -> None:
    moves = [*LEGAL.items(), *CONTRARY.items()]  # the same keys: one table would hide a route
    reachable, frontier = {D.initial}, [D.initial]
    while frontier:
        state = frontier.pop()
        for (source, _), dest in moves:
            if source == state and dest not in reachable:
                reachable.add(dest)
                frontier.append(dest)
    assert reachable == STATES
    for state in D.states:
        leaves = any(s == state.name and d != s for (s, _), d in LEGAL.items())
        assert state.final is not leaves, state.name


def test_guards_are_documented_with_their_source() -> None:
    for name, guard in D.guards.items():
        assert guard.__doc__, name
