"""The PSTTM machine definition: every event from every state, legal or not, and its guards."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.definitions import LATEST, psttm
from workflow.engine.definition import NotAvailable, ProcedureFacts, Refused, UnknownEvent, fire

D = LATEST["psttm"]
ALL_PRESENTED = frozenset({"commissione", "conferenza", "forum"})

# The path of DOMAIN.md, written out by hand: (state, event) → destination.
LEGAL: dict[tuple[str, str], str] = {
    ("in_preparazione", "avvia"): "avviato",
    ("avviato", "elabora_linee_guida"): "linee_guida",
    ("linee_guida", "approva_schema"): "consultazione",
    ("consultazione", "esame_commissione"): "consultazione",
    ("consultazione", "presenta_conferenza"): "consultazione",
    ("consultazione", "presenta_forum"): "consultazione",
    ("consultazione", "adotta"): "adottato",
    # A proroga of the contributions' term keeps the state, as the presentations do.
    ("consultazione", "proroga_contributi"): "consultazione",
    ("adottato", "parere_conferenza"): "parere_favorevole",  # with favorevole=True
    ("parere_contrario", "riadotta"): "adottato",
    ("parere_favorevole", "approva"): "approvato",
}
DATA = {
    "numero": "1/2025",
    "data": date(2025, 3, 1),
    "scadenza_contributi": date(2025, 3, 31),
    "favorevole": True,
    "motivazione": "Richiesta dei Comuni",
}


def facts(recorded: frozenset[str] = ALL_PRESENTED) -> ProcedureFacts:
    return ProcedureFacts(recorded=recorded, last_step_on=date(2025, 1, 1), today=date(2025, 7, 1))


@pytest.mark.parametrize("state", [s.name for s in D.states])
@pytest.mark.parametrize("event", D.events())
def test_every_event_from_every_state(state: str, event: str) -> None:
    recorded = (
        frozenset() if (state, event) in LEGAL and state == "consultazione" else ALL_PRESENTED
    )
    if event == "adotta":
        recorded = ALL_PRESENTED
    if (state, event) in LEGAL:
        _, new_state = fire(D, state, event, facts(recorded), DATA)
        assert new_state == LEGAL[(state, event)]
    else:
        with pytest.raises(NotAvailable):
            fire(D, state, event, facts(), DATA)


def test_unknown_event_is_not_an_event() -> None:
    with pytest.raises(UnknownEvent):
        fire(D, "consultazione", "approva_tutto", facts(), DATA)


def test_unfavourable_parere_leads_back_to_readoption() -> None:
    step, new_state = fire(
        D, "adottato", "parere_conferenza", facts(), {**DATA, "favorevole": False}
    )
    assert new_state == "parere_contrario"
    _, again = fire(D, new_state, "riadotta", facts(), DATA)
    assert again == "adottato"


@pytest.mark.parametrize("missing", sorted(ALL_PRESENTED))
def test_adoption_refused_until_all_three_presentations(missing: str) -> None:
    with pytest.raises(Refused, match=psttm.PRESENTATIONS[missing]):
        fire(D, "consultazione", "adotta", facts(ALL_PRESENTED - {missing}), DATA)


@pytest.mark.parametrize(
    "event,code",
    [
        ("esame_commissione", "commissione"),
        ("presenta_conferenza", "conferenza"),
        ("presenta_forum", "forum"),
    ],
)
def test_each_presentation_is_recorded_once(event: str, code: str) -> None:
    with pytest.raises(Refused, match="già stato registrato"):
        fire(D, "consultazione", event, facts(frozenset({code})), DATA)


def test_a_step_cannot_be_dated_in_the_future() -> None:
    with pytest.raises(Refused, match="nel futuro"):
        fire(D, "in_preparazione", "avvia", facts(), {**DATA, "data": date(2025, 7, 2)})


def test_a_step_cannot_precede_the_last_one() -> None:
    with pytest.raises(Refused, match="precede"):
        fire(
            D,
            "in_preparazione",
            "avvia",
            facts(),
            {**DATA, "numero": "1/2024", "data": date(2024, 12, 31)},
        )


def test_a_number_of_another_year_than_its_date_is_recorded_only_when_confirmed() -> None:
    """Issue 18: a delibera 12/2024 dated 30/04/2025 asks for confirmation; a bare number takes
    the date's year (stepdata.parse), so only an explicit other year is questioned."""
    slip = {**DATA, "numero": "12/2024", "data": date(2025, 4, 30)}
    with pytest.raises(Refused, match="porta l'anno 2024, ma l'atto è del 30/04/2025"):
        fire(D, "in_preparazione", "avvia", facts(), slip)
    step, state = fire(D, "in_preparazione", "avvia", facts(), {**slip, "conferma_anno": True})
    assert (step.event, state) == ("avvia", "avviato")


def test_every_non_final_state_has_a_way_out_and_every_state_is_reachable() -> None:
    reachable, frontier = {D.initial}, [D.initial]
    while frontier:
        state = frontier.pop()
        for step in D.steps:
            if step.source == state and step.dest and step.dest not in reachable:
                reachable.add(step.dest)
                frontier.append(step.dest)
    assert reachable == {s.name for s in D.states}
    for state in D.states:
        assert state.final or any(s.source == state.name and s.dest for s in D.steps), state.name


def test_guards_are_documented_with_their_source() -> None:
    for name, guard in D.guards.items():
        assert guard.__doc__, name
