"""The life of an act (decreto del Sindaco metropolitano, delibere), as the seed shows it.

proposta → parere di regolarità tecnica (TUEL art. 49, Dirigente) → parere di regolarità contabile
(Ragioneria) or the reasoned statement that it is not due → parere del Segretario Generale →
firme (each required signer, each its own event) → numbered (Repertorio Generale, Protocollo) →
published on the Albo (TUEL art. 124) → relata di pubblicazione by the Segretario after the window.
A contrary opinion stops the act until it is revised (new opinions needed) or withdrawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workflow.access.roles import (
    ALBO,
    DIREZIONE_GENERALE,
    DIRIGENTE,
    RAGIONERIA,
    ROLE_LABELS,
    SEGRETARIO_GENERALE,
    SINDACO,
)
from workflow.core.clock import format_date
from workflow.definitions.psttm import DECRETO, DELIBERA_CONFERENZA, DELIBERA_CONSIGLIO
from workflow.engine.definition import Definition, Facts, Field, State, Step

# TUEL art. 124: fifteen consecutive days, the first one counted.
DEFAULT_PUBLICATION_DAYS = 15


@dataclass(frozen=True)
class ActType:
    """A kind of act: how it is named and cited, who signs it, how long it stays on the Albo."""

    code: str  # the same codes the procedure steps cite (definitions/psttm.py ActKind)
    label: str
    heading: str  # the heading the Albo shows above the record
    citation: str
    required_signers: tuple[str, ...]
    publication_days: int = DEFAULT_PUBLICATION_DAYS
    deliberation: bool = False  # a collegial body's delibera (TUEL art. 134 applies)


ACT_TYPES: dict[str, ActType] = {
    t.code: t
    for t in (
        ActType(
            DECRETO.code,
            DECRETO.label,
            "Atti del Sindaco Metropolitano",
            DECRETO.citation,
            # "Il Sindaco metropolitano, assistito dal Segretario Generale": both sign (seed).
            (SINDACO, SEGRETARIO_GENERALE),
        ),
        ActType(
            DELIBERA_CONSIGLIO.code,
            DELIBERA_CONSIGLIO.label,
            "Deliberazioni del Consiglio metropolitano",
            DELIBERA_CONSIGLIO.citation,
            (SINDACO, SEGRETARIO_GENERALE),
            deliberation=True,
        ),
        ActType(
            DELIBERA_CONFERENZA.code,
            DELIBERA_CONFERENZA.label,
            "Deliberazioni della Conferenza metropolitana",
            DELIBERA_CONFERENZA.citation,
            (SINDACO, SEGRETARIO_GENERALE),
            deliberation=True,
        ),
    )
}


# TUEL art. 134 c. 3: a delibera becomes executable "decorsi dieci giorni" from its publication.
EXECUTABLE_AFTER_DAYS = 10


def executable_from(published_from: date) -> date:
    """The day a delibera becomes executable when not declared immediately so (TUEL 134 c. 3)."""
    return published_from + timedelta(days=EXECUTABLE_AFTER_DAYS)


def window_end(start: date, days: int) -> date:
    """Last day of publication: `days` consecutive calendar days, the first counted (TUEL 124)."""
    return start + timedelta(days=days - 1)


PROPOSTA = "proposta"
ATTESA_CONTABILE = "attesa_parere_contabile"
ATTESA_SEGRETARIO = "attesa_parere_segretario"
IN_FIRMA = "in_firma"
SOSPESO = "sospeso"
ADOTTATO = "adottato"
PUBBLICATO = "pubblicato"
CERTIFICATO = "pubblicazione_certificata"
ANNULLATO = "pubblicazione_annullata"
RITIRATO = "ritirato"

BEFORE_ADOPTION = (PROPOSTA, ATTESA_CONTABILE, ATTESA_SEGRETARIO, IN_FIRMA, SOSPESO)

OPINION_FIELDS = (
    Field("favorevole", "Esito (favorevole)", "bool", missing="l'esito del parere"),
    Field("testo", "Testo del parere", "text", missing="il testo del parere"),
)
REASON = (Field("motivazione", "Motivazione", "text", missing="la motivazione"),)


def opinion(event: str, label: str, source: str, dest: str, roles: tuple[str, ...]) -> list[Step]:
    """A favourable opinion moves on; a contrary one stops the act (TUEL art. 49)."""
    return [
        Step(event, label, source, dest, roles, OPINION_FIELDS, when=("favorevole",)),
        Step(event, label, source, SOSPESO, roles, OPINION_FIELDS, unless=("favorevole",)),
    ]


def signer_due(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """Each required signer signs once per proposal version, each with its own event and time."""
    if not facts.details.get("signer_roles"):
        return "La tua firma non è richiesta su questo atto o è già stata apposta."
    return None


def opinions_valid(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """Numbering needs every opinion on the current text (TUEL art. 49; a changed text needs new
    opinions: Min. Interno 17/09/2002)."""
    missing = facts.details.get("missing_opinions", ())
    if missing:
        return "Mancano pareri validi sul testo attuale: " + ", ".join(missing) + "."
    return None


def signatures_complete(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """The act is adopted only when every required signer has signed the current text."""
    missing = facts.details.get("missing_signers", ())
    if missing:
        names = ", ".join(ROLE_LABELS[r] for r in missing)
        return f"Mancano le firme di: {names}."
    return None


def signed_document(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """Only the digitally signed act goes on the Albo (CAD art. 20-21; L. 69/2009 art. 32)."""
    return facts.details.get("document_problem")


def start_not_past(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """A publication starts today or later: the Albo is the legal record, it is not backdated."""
    start = data.get("dal")
    if start and start < facts.today:
        return f"La pubblicazione non può iniziare nel passato ({format_date(start)})."
    return None


def window_over(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """The relata certifies a completed period: only after the window's last day (TUEL 124)."""
    end = facts.details.get("published_to")
    if end is None or facts.today <= end:
        return "La relata di pubblicazione si rilascia solo al termine del periodo" + (
            f" (ultimo giorno {format_date(end)})." if end else "."
        )
    return None


def immediate_execution_voted(facts: Facts, data: Mapping[str, Any]) -> str | None:
    """TUEL art. 134 c. 4: only a delibera may be declared immediately executable, and only by
    the vote of the majority of the members, which is recorded."""
    if data.get("immediatamente_eseguibile") is not True:
        return None
    if not facts.details.get("deliberation"):
        return "Solo una deliberazione può essere dichiarata immediatamente eseguibile."
    if not data.get("votazione"):
        return (
            "Manca l'esito della votazione sull'immediata eseguibilità "
            "(maggioranza dei componenti, art. 134 c. 4 TUEL)."
        )
    return None


def favourable(data: Mapping[str, Any]) -> bool:
    return data.get("favorevole") is True


PROPOSERS = (DIREZIONE_GENERALE, SINDACO, DIRIGENTE)
WITHDRAWERS = (DIREZIONE_GENERALE, SINDACO)
NUMBERERS = (SEGRETARIO_GENERALE, DIREZIONE_GENERALE)

DEFINITION = Definition(
    kind="atto",
    version=1,
    title="Atto (decreto o delibera)",
    initial=PROPOSTA,
    states=(
        State(PROPOSTA, "Proposta: parere di regolarità tecnica da esprimere"),
        State(ATTESA_CONTABILE, "Parere di regolarità contabile da esprimere (o non dovuto)"),
        State(ATTESA_SEGRETARIO, "Parere del Segretario Generale da esprimere"),
        State(IN_FIRMA, "In firma"),
        State(SOSPESO, "Sospeso per parere contrario: da rivedere o ritirare"),
        State(ADOTTATO, "Adottato e numerato: da pubblicare"),
        State(PUBBLICATO, "Pubblicato all'Albo"),
        State(CERTIFICATO, "Pubblicazione conclusa e certificata (relata)", final=True),
        State(ANNULLATO, "Pubblicazione annullata", final=True),
        State(RITIRATO, "Ritirato", final=True),
    ),
    milestones=(),
    steps=(
        *opinion(
            "parere_tecnico",
            "Parere di regolarità tecnica",
            PROPOSTA,
            ATTESA_CONTABILE,
            (DIRIGENTE,),
        ),
        *opinion(
            "parere_contabile",
            "Parere di regolarità contabile",
            ATTESA_CONTABILE,
            ATTESA_SEGRETARIO,
            (RAGIONERIA,),
        ),
        Step(
            "contabile_non_dovuto",
            "Parere contabile non dovuto (motivato)",
            ATTESA_CONTABILE,
            ATTESA_SEGRETARIO,
            (RAGIONERIA, DIRIGENTE),
            REASON,
        ),
        *opinion(
            "parere_segretario",
            "Parere del Segretario Generale",
            ATTESA_SEGRETARIO,
            IN_FIRMA,
            (SEGRETARIO_GENERALE,),
        ),
        Step(
            "firma",
            "Firma",
            IN_FIRMA,
            None,
            (SINDACO, SEGRETARIO_GENERALE),
            (),
            guards=("firma_dovuta",),
        ),
        Step(
            "numera",
            "Numera e data (Repertorio Generale e Protocollo)",
            IN_FIRMA,
            ADOTTATO,
            NUMBERERS,
            (
                Field(
                    "immediatamente_eseguibile",
                    "Dichiarata immediatamente eseguibile (art. 134 c. 4 TUEL)",
                    "bool",
                    required=False,
                ),
                Field("votazione", "Votazione sull'immediata eseguibilità", "text", required=False),
            ),
            guards=("pareri_validi", "firme_complete", "eseguibilita_votata"),
        ),
        Step(
            "pubblica",
            "Pubblica all'Albo pretorio",
            ADOTTATO,
            PUBBLICATO,
            (ALBO,),
            (Field("dal", "In pubblicazione dal", "date", required=False),),
            guards=("documento_firmato", "inizio_non_passato"),
        ),
        Step(
            "annulla_pubblicazione",
            "Annulla la pubblicazione",
            PUBBLICATO,
            ANNULLATO,
            (ALBO, SEGRETARIO_GENERALE),
            REASON,
        ),
        Step(
            "relata",
            "Rilascia la relata di pubblicazione",
            PUBBLICATO,
            CERTIFICATO,
            (SEGRETARIO_GENERALE,),
            (Field("note", "Note", "text", required=False),),
            guards=("finestra_chiusa",),
        ),
        *(
            Step(
                "rivedi",
                "Rivedi la proposta (i pareri dati decadono)",
                source,
                PROPOSTA,
                PROPOSERS,
                (
                    Field("testo", "Testo della proposta", "text", missing="il nuovo testo"),
                    Field("oggetto", "Oggetto", "text", required=False),
                    Field("motivazione", "Motivazione", "text", missing="la motivazione"),
                ),
            )
            for source in BEFORE_ADOPTION
        ),
        *(
            Step("ritira", "Ritira l'atto", source, RITIRATO, WITHDRAWERS, REASON)
            for source in BEFORE_ADOPTION
        ),
    ),
    guards={
        "firma_dovuta": signer_due,
        "pareri_validi": opinions_valid,
        "firme_complete": signatures_complete,
        "documento_firmato": signed_document,
        "inizio_non_passato": start_not_past,
        "finestra_chiusa": window_over,
        "eseguibilita_votata": immediate_execution_voted,
    },
    routes={"favorevole": favourable},
)

# The opinions an act needs, by the event that gives them; "contabile" may be declared not due.
OPINIONS = {
    "parere_tecnico": "parere di regolarità tecnica",
    "parere_contabile": "parere di regolarità contabile",
    "parere_segretario": "parere del Segretario Generale",
}
