"""The PSTTM procedure: Piano strategico triennale del territorio metropolitano.

Source: L. 56/2014 art. 1 c. 44 (adopted and updated every year) and the milestones set by the
Sindaco's decree R.G. 264/2024 of 22/10/2024. The three presentations of the consultation phase
(Commissione, Conferenza, Forum) follow the schema decree "ai fini della successiva presentazione"
to all three: any order, all three before adoption.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from workflow.access.roles import DIREZIONE_GENERALE, SEGRETARIO_GENERALE, SINDACO
from workflow.core.clock import format_date
from workflow.engine.definition import (
    ActKind,
    Definition,
    Field,
    Guard,
    MilestoneSpec,
    ProcedureFacts,
    State,
    Step,
)

DECRETO = ActKind(
    code="decreto_sindaco", label="Decreto del Sindaco metropolitano", citation="Decreto R.G."
)
DELIBERA_CONSIGLIO = ActKind(
    code="delibera_consiglio",
    label="Delibera del Consiglio metropolitano",
    citation="Delibera n.",
)
DELIBERA_CONFERENZA = ActKind(
    code="delibera_conferenza",
    label="Delibera della Conferenza metropolitana",
    citation="Delibera n.",
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


NOTE = Field(name="note", label="Note", type="text", required=False)
# Registers restart every year: a number whose year is not the act's date's is usually a slip.
YEAR_CONFIRMED = Field(
    name="conferma_anno",
    label="Confermo il numero anche se il suo anno è diverso da quello della data",
    type="bool",
    required=False,
)


def act_fields(noun: str) -> tuple[Field, ...]:
    """Number and date of the act that justifies a step ("della delibera di adozione")."""
    return (
        Field(
            name="numero", label="Numero dell'atto", type="act_number", missing=f"il numero {noun}"
        ),
        Field(name="data", label="Data dell'atto", type="date", missing=f"la data {noun}"),
        YEAR_CONFIRMED,
        NOTE,
    )


def session_fields(noun: str) -> tuple[Field, ...]:
    """Date of the session (Commissione, Conferenza, Forum) or of the work recorded."""
    return (Field(name="data", label="Data", type="date", missing=f"la data {noun}"), NOTE)


def not_in_future(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """An act or session cannot be recorded before it happened (dates in Europe/Rome)."""
    when = data.get("data")
    if when and when > facts.today:
        return f"La data {format_date(when)} è nel futuro: si registra solo ciò che è avvenuto."
    return None


def in_order(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """The procedure's steps follow one another in time (decreto R.G. 264/2024: milestones)."""
    when = data.get("data")
    if when and facts.last_step_on and when < facts.last_step_on:
        return (
            f"La data {format_date(when)} precede l'ultimo passaggio registrato "
            f"({format_date(facts.last_step_on)})."
        )
    return None


def after_phase_start(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """The consultation's presentations come in any order, recorded late and out of date order,
    each on or after the step that opened the consultation (the decree approving the schema,
    decreto R.G. 43/2025): the Forum of 27/03 may be entered before the Conferenza of 20/03."""
    when = data.get("data")
    if when and facts.phase_started_on and when < facts.phase_started_on:
        return (
            f"La data {format_date(when)} precede l'inizio della consultazione "
            f"({format_date(facts.phase_started_on)}, decreto di approvazione dello schema)."
        )
    return None


def year_of_number(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """An act's number carries the year of its register (registers restart every 1 January): a
    delibera 12/2024 dated 30/04/2025 is recorded only when confirmed (`conferma_anno`)."""
    number, when = data.get("numero"), data.get("data")
    if not number or not when or "/" not in number or data.get("conferma_anno"):
        return None
    year = int(number.split("/")[1])
    if year == when.year:
        return None
    return (
        f"Il numero {number} porta l'anno {year}, ma l'atto è del {format_date(when)}: "
        "correggi il numero o la data, oppure conferma che è giusto così («Confermo il numero…»)."
    )


def consultation_over(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """The Consiglio adopts once the term for the contributions of Comuni and Forum (decreto di
    approvazione dello schema, or the act that extended it) has run: an adoption dated on or
    before its last day is recorded only when confirmed (`conferma_consultazione_aperta`)."""
    when, due = data.get("data"), facts.contributions_due
    if not when or due is None or when > due or data.get("conferma_consultazione_aperta"):
        return None
    return (
        f"Adozione non possibile il {format_date(when)}: la consultazione è ancora aperta "
        f"(contributi di Comuni e Forum entro il {format_date(due)}). Attendi la scadenza, "
        "oppure conferma l'adozione con la consultazione ancora aperta "
        "(«Confermo l'adozione…»)."
    )


def extends_the_term(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """A proroga moves the contributions' term later, never earlier (the act that extends it)."""
    new, due = data.get("scadenza_contributi"), facts.contributions_due
    if new and due is not None and new <= due:
        return (
            f"Il nuovo termine {format_date(new)} non proroga quello in vigore "
            f"({format_date(due)}): indica una data successiva."
        )
    return None


# The longest term a consultation's decree (or its proroga) may set: past it, a typed year is wrong.
LONGEST_TERM = timedelta(days=730)


def term_after_the_act(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """The contributions' term set by the schema decree or by its proroga falls after that act's
    date (the consultation opens with the decree) and within two years of it: 01/01/1900 or
    2099 for a decree of 2025 is a typing error, not a term."""
    term, when = data.get("scadenza_contributi"), data.get("data")
    if not term or not when:
        return None
    if term <= when:
        return (
            f"Il termine per i contributi ({format_date(term)}) deve seguire la data dell'atto "
            f"({format_date(when)}): la consultazione si apre con l'atto."
        )
    if term - when > LONGEST_TERM:
        return (
            f"Il termine per i contributi ({format_date(term)}) è oltre due anni dopo l'atto "
            f"del {format_date(when)}: controlla l'anno."
        )
    return None


def presentations_complete(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
    """Adoption only after Commissione, Conferenza and Forum (decree R.G. 43/2025, point 1)."""
    missing = [text for code, text in PRESENTATIONS.items() if code not in facts.recorded]
    if len(missing) == 1:
        return f"Adozione non possibile: manca {missing[0]}."
    if missing:
        return f"Adozione non possibile: mancano {', '.join(missing[:-1])} e {missing[-1]}."
    return None


def not_yet(code: str) -> Guard:
    def guard(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
        if code in facts.recorded:
            return f"È già stato registrato {PRESENTATIONS[code]}."
        return None

    guard.__doc__ = f"Each presentation of the consultation is recorded once ({code})."
    return guard


def favourable(data: Mapping[str, Any]) -> bool:
    return data.get("favorevole") is True


CONSULTAZIONE = "consultazione"
OPEN_CONFIRMED = Field(
    name="conferma_consultazione_aperta",
    label="Confermo l'adozione con la consultazione ancora aperta",
    type="bool",
    required=False,
)
ADOPTION_FIELDS = act_fields("della delibera di adozione") + (OPEN_CONFIRMED,)
PROROGA_FIELDS = act_fields("dell'atto di proroga") + (
    Field(
        name="scadenza_contributi",
        label="Nuovo termine per i contributi di Comuni e Forum",
        type="date",
        missing="il nuovo termine per i contributi",
    ),
    Field(
        name="motivazione",
        label="Motivazione della proroga",
        type="text",
        missing="la motivazione della proroga",
    ),
)
PARERE_FIELDS = act_fields("della delibera della Conferenza") + (
    Field(name="favorevole", label="Parere favorevole", type="bool", missing="l'esito del parere"),
)

DEFINITION = Definition(
    kind="psttm",
    version=1,
    title="Piano strategico triennale del territorio metropolitano (PSTTM)",
    initial="in_preparazione",
    states=(
        State(
            name="in_preparazione",
            label="In preparazione: avvio del procedimento da decretare",
        ),
        State(name="avviato", label="Avviato: elaborazione delle linee guida e degli indirizzi"),
        State(name="linee_guida", label="Linee guida elaborate: schema di Piano da approvare"),
        State(name=CONSULTAZIONE, label="Consultazione: Commissione, Conferenza e Forum"),
        State(
            name="adottato",
            label="Adottato: in attesa del parere della Conferenza metropolitana",
        ),
        State(
            name="parere_contrario",
            label="Parere contrario della Conferenza: riadozione da deliberare",
        ),
        State(
            name="parere_favorevole",
            label="Parere favorevole: approvazione definitiva da deliberare",
        ),
        State(name="approvato", label="Approvato in via definitiva", final=True),
    ),
    milestones=(
        MilestoneSpec(code="avvio", label="Avvio del procedimento", phase=FASE_1),
        MilestoneSpec(
            code="linee_guida",
            label="Elaborazione delle linee guida e degli indirizzi",
            phase=FASE_1,
        ),
        MilestoneSpec(code="schema", label="Approvazione dello schema di Piano", phase=FASE_2),
        MilestoneSpec(
            code="commissione", label="Primo esame in Commissione consiliare", phase=FASE_2
        ),
        MilestoneSpec(
            code="conferenza", label="Presentazione alla Conferenza metropolitana", phase=FASE_2
        ),
        MilestoneSpec(code="forum", label="Presentazione al Forum metropolitano", phase=FASE_2),
        MilestoneSpec(
            code="adozione", label="Adozione del Piano (Consiglio metropolitano)", phase=FASE_3
        ),
        MilestoneSpec(
            code="parere_conferenza",
            label="Parere della Conferenza metropolitana",
            phase=FASE_3,
        ),
        MilestoneSpec(
            code="approvazione",
            label="Approvazione definitiva (Consiglio metropolitano)",
            phase=FASE_3,
        ),
    ),
    steps=(
        Step(
            event="avvia",
            label="Registra il decreto di avvio",
            source="in_preparazione",
            dest="avviato",
            roles=DECREE_RECORDERS,
            fields=act_fields("del decreto di avvio"),
            milestone="avvio",
            act=DECRETO,
            guards=("date_in_ordine",),
        ),
        Step(
            event="elabora_linee_guida",
            label="Registra le linee guida e gli indirizzi",
            source="avviato",
            dest="linee_guida",
            roles=RECORDERS,
            fields=session_fields("delle linee guida"),
            milestone="linee_guida",
            guards=("date_in_ordine",),
        ),
        Step(
            event="approva_schema",
            label="Registra il decreto di approvazione dello schema",
            source="linee_guida",
            dest=CONSULTAZIONE,
            roles=DECREE_RECORDERS,
            fields=act_fields("del decreto di approvazione dello schema")
            + (
                Field(
                    name="scadenza_contributi",
                    label="Contributi di Comuni e Forum entro il",
                    type="date",
                    missing="la scadenza dei contributi di Comuni e Forum",
                ),
            ),
            milestone="schema",
            act=DECRETO,
            guards=("date_in_ordine", "termine_dopo_l_atto"),
        ),
        Step(
            event="esame_commissione",
            label="Registra il primo esame in Commissione",
            source=CONSULTAZIONE,
            dest=None,
            roles=RECORDERS,
            fields=session_fields("della seduta della Commissione"),
            milestone="commissione",
            guards=("dopo_lo_schema", "commissione_non_registrata"),
        ),
        Step(
            event="presenta_conferenza",
            label="Registra la presentazione alla Conferenza",
            source=CONSULTAZIONE,
            dest=None,
            roles=RECORDERS,
            fields=session_fields("della seduta della Conferenza"),
            milestone="conferenza",
            guards=("dopo_lo_schema", "conferenza_non_registrata"),
        ),
        Step(
            event="presenta_forum",
            label="Registra la presentazione al Forum",
            source=CONSULTAZIONE,
            dest=None,
            roles=RECORDERS,
            fields=session_fields("della seduta del Forum"),
            milestone="forum",
            guards=("dopo_lo_schema", "forum_non_registrata"),
        ),
        Step(
            event="adotta",
            label="Registra la delibera di adozione",
            source=CONSULTAZIONE,
            dest="adottato",
            roles=DELIBERA_RECORDERS,
            fields=ADOPTION_FIELDS,
            milestone="adozione",
            act=DELIBERA_CONSIGLIO,
            guards=("date_in_ordine", "presentazioni_complete", "consultazione_conclusa"),
        ),
        Step(
            event="proroga_contributi",
            label="Registra la proroga del termine per i contributi",
            source=CONSULTAZIONE,
            dest=None,
            roles=DECREE_RECORDERS,
            fields=PROROGA_FIELDS,
            act=DECRETO,
            guards=("dopo_lo_schema", "proroga_successiva", "termine_dopo_l_atto"),
        ),
        Step(
            event="parere_conferenza",
            label="Registra il parere della Conferenza",
            source="adottato",
            dest="parere_favorevole",
            roles=DELIBERA_RECORDERS,
            fields=PARERE_FIELDS,
            milestone="parere_conferenza",
            act=DELIBERA_CONFERENZA,
            when=("favorevole",),
            guards=("date_in_ordine",),
        ),
        Step(
            event="parere_conferenza",
            label="Registra il parere della Conferenza",
            source="adottato",
            dest="parere_contrario",
            roles=DELIBERA_RECORDERS,
            fields=PARERE_FIELDS,
            milestone="parere_conferenza",
            act=DELIBERA_CONFERENZA,
            unless=("favorevole",),
            guards=("date_in_ordine",),
        ),
        Step(
            event="riadotta",
            label="Registra la delibera di riadozione",
            source="parere_contrario",
            dest="adottato",
            roles=DELIBERA_RECORDERS,
            fields=act_fields("della delibera di riadozione"),
            milestone="adozione",
            act=DELIBERA_CONSIGLIO,
            guards=("date_in_ordine",),
        ),
        Step(
            event="approva",
            label="Registra la delibera di approvazione definitiva",
            source="parere_favorevole",
            dest="approvato",
            roles=DELIBERA_RECORDERS,
            fields=act_fields("della delibera di approvazione"),
            milestone="approvazione",
            act=DELIBERA_CONSIGLIO,
            guards=("date_in_ordine",),
        ),
    ),
    guards={
        "data_non_futura": not_in_future,
        "date_in_ordine": in_order,
        "dopo_lo_schema": after_phase_start,
        "anno_del_numero": year_of_number,
        "presentazioni_complete": presentations_complete,
        "consultazione_conclusa": consultation_over,
        "proroga_successiva": extends_the_term,
        "termine_dopo_l_atto": term_after_the_act,
        "commissione_non_registrata": not_yet("commissione"),
        "conferenza_non_registrata": not_yet("conferenza"),
        "forum_non_registrata": not_yet("forum"),
    },
    routes={"favorevole": favourable},
    common_guards=("data_non_futura", "anno_del_numero"),
)
