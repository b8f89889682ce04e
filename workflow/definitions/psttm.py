"""The guards of the PSTTM procedure (Piano strategico triennale del territorio metropolitano),
named by psttm.yaml through the catalogue (catalogue.py); the machine itself is the file.

Source: L. 56/2014 art. 1 c. 44 (adopted and updated every year) and the milestones set by the
Sindaco's decree R.G. 264/2024 of 22/10/2024. The three presentations of the consultation phase
(Commissione, Conferenza, Forum) follow the schema decree "ai fini della successiva presentazione"
to all three: any order, all three before adoption.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from workflow.core.clock import format_date
from workflow.engine.definition import (
    ActKind,
    Guard,
    ProcedureFacts,
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

PRESENTATIONS = {
    "commissione": "il primo esame in Commissione consiliare",
    "conferenza": "la presentazione alla Conferenza metropolitana",
    "forum": "la presentazione al Forum metropolitano",
}


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


# The state of the consultation phase (psttm.yaml), where contributions are received.
CONSULTAZIONE = "consultazione"
