"""The PSTTM procedure: Piano strategico triennale del territorio metropolitano.

Source: L. 56/2014 art. 1 c. 44 (adopted and updated every year) and the milestones set by the
Sindaco's decree R.G. 264/2024 of 22/10/2024. The three presentations of the consultation phase
(Commissione, Conferenza, Forum) follow the schema decree "ai fini della successiva presentazione"
to all three: any order, all three before adoption.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.access.roles import DIREZIONE_GENERALE, SEGRETARIO_GENERALE, SINDACO
from workflow.core.clock import format_date
from workflow.engine.definition import ActKind, Definition, Facts, Field, MilestoneSpec, State, Step

DECRETO = ActKind("decreto_sindaco", "Decreto del Sindaco metropolitano", "Decreto R.G.")
DELIBERA_CONSIGLIO = ActKind(
    "delibera_consiglio", "Delibera del Consiglio metropolitano", "Delibera n."
)
DELIBERA_CONFERENZA = ActKind(
    "delibera_conferenza", "Delibera della Conferenza metropolitana", "Delibera n."
)

FASE_1 = "FASE 1 — Orientamenti preliminari"
FASE_2 = "FASE 2 — Costruzione proposta piano"
FASE_3 = "FASE 3 — Approvazione"

PRESENTATIONS = {
    "commissione": "il primo esame in Commissione consiliare",
    "conferenza": "la presentazione alla Conferenza metropolitana",
    "forum": "la presentazione al Forum metropolitano",
}

RECORDERS = (DIREZIONE_GENERALE,)
DECREE_RECORDERS = (DIREZIONE_GENERALE, SINDACO)
DELIBERA_RECORDERS = (DIREZIONE_GENERALE, SEGRETARIO_GENERALE)


def act_fields(noun: str) -> tuple[Field, ...]:
    """Number and date of the act that justifies a step ("della delibera di adozione")."""
    return (
        Field("numero", "Numero dell'atto", "act_number", missing=f"il numero {noun}"),
        Field("data", "Data dell'atto", "date", missing=f"la data {noun}"),
        Field("note", "Note", "text", required=False),
    )


def session_fields(noun: str) -> tuple[Field, ...]:
    return (
        Field("data", "Data", "date", missing=f"la data {noun}"),
        Field("note", "Note", "text", required=False),
    )


def not_in_future(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """An act or session cannot be recorded before it happened (dates in Europe/Rome)."""
    when = data.get("data")
    if when and when > facts.today:
        return f"La data {format_date(when)} è nel futuro: si registra solo ciò che è avvenuto."
    return None


def in_order(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """The procedure's steps follow one another in time (decreto R.G. 264/2024: milestones)."""
    when = data.get("data")
    if when and facts.last_step_on and when < facts.last_step_on:
        return (
            f"La data {format_date(when)} precede l'ultimo passaggio registrato "
            f"({format_date(facts.last_step_on)})."
        )
    return None


def presentations_complete(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """Adoption only after Commissione, Conferenza and Forum (decree R.G. 43/2025, point 1)."""
    missing = [text for code, text in PRESENTATIONS.items() if code not in facts.recorded]
    if len(missing) == 1:
        return f"Adozione non possibile: manca {missing[0]}."
    if missing:
        return f"Adozione non possibile: mancano {', '.join(missing[:-1])} e {missing[-1]}."
    return None


def not_yet(code: str):
    def guard(facts: Facts, data: Mapping[str, Any]) -> str | None:
        if code in facts.recorded:
            return f"È già stato registrato {PRESENTATIONS[code]}."
        return None

    guard.__doc__ = f"Each presentation of the consultation is recorded once ({code})."
    return guard


def favourable(data: Mapping[str, Any]) -> bool:
    return data.get("favorevole") is True


CONSULTAZIONE = "consultazione"

DEFINITION = Definition(
    kind="psttm",
    version=1,
    title="Piano strategico triennale del territorio metropolitano (PSTTM)",
    initial="in_preparazione",
    states=(
        State("in_preparazione", "In preparazione: avvio del procedimento da decretare"),
        State("avviato", "Avviato: elaborazione delle linee guida e degli indirizzi"),
        State("linee_guida", "Linee guida elaborate: schema di Piano da approvare"),
        State(CONSULTAZIONE, "Consultazione: Commissione, Conferenza e Forum"),
        State("adottato", "Adottato: in attesa del parere della Conferenza metropolitana"),
        State("parere_contrario", "Parere contrario della Conferenza: riadozione da deliberare"),
        State("parere_favorevole", "Parere favorevole: approvazione definitiva da deliberare"),
        State("approvato", "Approvato in via definitiva", final=True),
    ),
    milestones=(
        MilestoneSpec("avvio", "Avvio del procedimento", FASE_1),
        MilestoneSpec("linee_guida", "Elaborazione delle linee guida e degli indirizzi", FASE_1),
        MilestoneSpec("schema", "Approvazione dello schema di Piano", FASE_2),
        MilestoneSpec("commissione", "Primo esame in Commissione consiliare", FASE_2),
        MilestoneSpec("conferenza", "Presentazione alla Conferenza metropolitana", FASE_2),
        MilestoneSpec("forum", "Presentazione al Forum metropolitano", FASE_2),
        MilestoneSpec("adozione", "Adozione del Piano (Consiglio metropolitano)", FASE_3),
        MilestoneSpec("parere_conferenza", "Parere della Conferenza metropolitana", FASE_3),
        MilestoneSpec("approvazione", "Approvazione definitiva (Consiglio metropolitano)", FASE_3),
    ),
    steps=(
        Step(
            "avvia",
            "Registra il decreto di avvio",
            "in_preparazione",
            "avviato",
            DECREE_RECORDERS,
            act_fields("del decreto di avvio"),
            "avvio",
            DECRETO,
        ),
        Step(
            "elabora_linee_guida",
            "Registra le linee guida e gli indirizzi",
            "avviato",
            "linee_guida",
            RECORDERS,
            session_fields("delle linee guida"),
            "linee_guida",
        ),
        Step(
            "approva_schema",
            "Registra il decreto di approvazione dello schema",
            "linee_guida",
            CONSULTAZIONE,
            DECREE_RECORDERS,
            act_fields("del decreto di approvazione dello schema")
            + (
                Field(
                    "scadenza_contributi",
                    "Contributi di Comuni e Forum entro il",
                    "date",
                    missing="la scadenza dei contributi di Comuni e Forum",
                ),
            ),
            "schema",
            DECRETO,
        ),
        Step(
            "esame_commissione",
            "Registra il primo esame in Commissione",
            CONSULTAZIONE,
            None,
            RECORDERS,
            session_fields("della seduta della Commissione"),
            "commissione",
            guards=("commissione_non_registrata",),
        ),
        Step(
            "presenta_conferenza",
            "Registra la presentazione alla Conferenza",
            CONSULTAZIONE,
            None,
            RECORDERS,
            session_fields("della seduta della Conferenza"),
            "conferenza",
            guards=("conferenza_non_registrata",),
        ),
        Step(
            "presenta_forum",
            "Registra la presentazione al Forum",
            CONSULTAZIONE,
            None,
            RECORDERS,
            session_fields("della seduta del Forum"),
            "forum",
            guards=("forum_non_registrata",),
        ),
        Step(
            "adotta",
            "Registra la delibera di adozione",
            CONSULTAZIONE,
            "adottato",
            DELIBERA_RECORDERS,
            act_fields("della delibera di adozione"),
            "adozione",
            DELIBERA_CONSIGLIO,
            guards=("presentazioni_complete",),
        ),
        Step(
            "parere_conferenza",
            "Registra il parere della Conferenza",
            "adottato",
            "parere_favorevole",
            DELIBERA_RECORDERS,
            act_fields("della delibera della Conferenza")
            + (Field("favorevole", "Parere favorevole", "bool", missing="l'esito del parere"),),
            "parere_conferenza",
            DELIBERA_CONFERENZA,
            when=("favorevole",),
        ),
        Step(
            "parere_conferenza",
            "Registra il parere della Conferenza",
            "adottato",
            "parere_contrario",
            DELIBERA_RECORDERS,
            act_fields("della delibera della Conferenza")
            + (Field("favorevole", "Parere favorevole", "bool", missing="l'esito del parere"),),
            "parere_conferenza",
            DELIBERA_CONFERENZA,
            unless=("favorevole",),
        ),
        Step(
            "riadotta",
            "Registra la delibera di riadozione",
            "parere_contrario",
            "adottato",
            DELIBERA_RECORDERS,
            act_fields("della delibera di riadozione"),
            "adozione",
            DELIBERA_CONSIGLIO,
        ),
        Step(
            "approva",
            "Registra la delibera di approvazione definitiva",
            "parere_favorevole",
            "approvato",
            DELIBERA_RECORDERS,
            act_fields("della delibera di approvazione"),
            "approvazione",
            DELIBERA_CONSIGLIO,
        ),
    ),
    guards={
        "data_non_futura": not_in_future,
        "date_in_ordine": in_order,
        "presentazioni_complete": presentations_complete,
        "commissione_non_registrata": not_yet("commissione"),
        "conferenza_non_registrata": not_yet("conferenza"),
        "forum_non_registrata": not_yet("forum"),
    },
    routes={"favorevole": favourable},
    common_guards=("data_non_futura", "date_in_ordine"),
)
