"""The kinds of act, their terms and the guards of an act's life (decreto del Sindaco
metropolitano, delibere), as the seed shows it; the machine itself is atto.yaml.

proposta → parere di regolarità tecnica (TUEL art. 49, Dirigente) → parere di regolarità contabile
(Ragioneria) or the reasoned statement that it is not due → parere del Segretario Generale →
firme (each required signer, each its own event) → numbered (Repertorio Generale, Protocollo) →
published on the Albo (TUEL art. 124) → relata di pubblicazione by the Segretario after the window.
A contrary opinion stops the act until it is revised (new opinions needed) or withdrawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from workflow.access.roles import (
    DIREZIONE_GENERALE,
    DIRIGENTE,
    ROLE_LABELS,
    SEGRETARIO_GENERALE,
    SINDACO,
)
from workflow.core.clock import format_date
from workflow.definitions.psttm import DECRETO, DELIBERA_CONFERENZA, DELIBERA_CONSIGLIO
from workflow.engine.definition import Facts

# TUEL art. 124: fifteen consecutive days, the first one counted.
DEFAULT_PUBLICATION_DAYS = 15
# How long a publication's record stays in the public archive after its window (the data di
# oblio), in years counted from 1 January of the year after the publication started: D.Lgs.
# 33/2013 art. 8 c. 3 (five years), the period the Garante privacy's guidelines 243/2014
# (doc. web 3134436, part II) take for the general case of acts online; after it the entry
# leaves the public site, the office keeps it (DPR 445/2000 art. 67-68, archives).
DEFAULT_OBLIO_YEARS = 5


@dataclass(frozen=True, kw_only=True)
class ActType:
    """A kind of act: how it is named and cited, who signs it, how long it stays on the Albo."""

    code: str  # the same codes the procedure steps cite (definitions/psttm.py ActKind)
    label: str
    heading: str  # the heading the Albo shows above the record
    citation: str
    required_signers: tuple[str, ...]
    publication_days: int = DEFAULT_PUBLICATION_DAYS
    oblio_years: int = DEFAULT_OBLIO_YEARS  # public archive after the window (see above)
    deliberation: bool = False  # a collegial body's delibera (TUEL art. 134 applies)


ACT_TYPES: dict[str, ActType] = {
    t.code: t
    for t in (
        ActType(
            code=DECRETO.code,
            label=DECRETO.label,
            heading="Atti del Sindaco Metropolitano",
            citation=DECRETO.citation,
            # "Il Sindaco metropolitano, assistito dal Segretario Generale": both sign (seed).
            required_signers=(SINDACO, SEGRETARIO_GENERALE),
            # A provvedimento of a political body (D.Lgs. 33/2013 art. 23): art. 8 c. 3.
            oblio_years=DEFAULT_OBLIO_YEARS,
        ),
        ActType(
            code=DELIBERA_CONSIGLIO.code,
            label=DELIBERA_CONSIGLIO.label,
            heading="Deliberazioni del Consiglio metropolitano",
            citation=DELIBERA_CONSIGLIO.citation,
            required_signers=(SINDACO, SEGRETARIO_GENERALE),
            deliberation=True,
            # Delibere of a collegial body (D.Lgs. 33/2013 art. 23): art. 8 c. 3.
            oblio_years=DEFAULT_OBLIO_YEARS,
        ),
        ActType(
            code=DELIBERA_CONFERENZA.code,
            label=DELIBERA_CONFERENZA.label,
            heading="Deliberazioni della Conferenza metropolitana",
            citation=DELIBERA_CONFERENZA.citation,
            required_signers=(SINDACO, SEGRETARIO_GENERALE),
            deliberation=True,
            # Delibere of a collegial body (D.Lgs. 33/2013 art. 23): art. 8 c. 3.
            oblio_years=DEFAULT_OBLIO_YEARS,
        ),
    )
}


# TUEL art. 134 c. 3: a delibera becomes executable "decorsi dieci giorni" from its publication.
EXECUTABLE_AFTER_DAYS = 10


def executable_from(published_from: date) -> date:
    """The day a delibera becomes executable when not declared immediately so (TUEL 134 c. 3)."""
    return published_from + timedelta(days=EXECUTABLE_AFTER_DAYS)


def oblio_date(published_from: date, years: int) -> date:
    """The first day the publication is no longer public at all (its data di oblio): 1 January
    of the year after the start plus `years` (D.Lgs. 33/2013 art. 8 c. 3: five years "decorrenti
    dal 1° gennaio dell'anno successivo"). Europe/Rome calendar days."""
    return date(published_from.year + 1 + years, 1, 1)


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


@dataclass(frozen=True, kw_only=True)
class ActFacts(Facts):
    """What the act's guards look at, read from its events and documents for one actor."""

    missing_opinions: tuple[str, ...]  # names of the opinions not validly given on the text
    missing_signers: tuple[str, ...]  # role codes of required signers yet to sign the text
    signer_roles: tuple[str, ...]  # the actor's roles whose signature is still due
    document_problem: str | None  # why no document can go on the Albo as the act yet, or None
    # For each document of the act not withdrawn: why it cannot be published as the act (its
    # signature check or its role), or None; likewise as a published annex.
    atto_choices: Mapping[int, str | None] = field(default_factory=dict)
    annex_choices: Mapping[int, str | None] = field(default_factory=dict)
    published_to: date | None  # last day of publication on the Albo
    deliberation: bool  # a collegial body's delibera (TUEL art. 134 applies)
    signed_as: str | None = None  # the role the actor already signed this text under, if any


def signer_due(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """Each required signer signs once per proposal version, each with its own event and time,
    and each is a different person: one who holds a second signer's role (by delegation, say)
    cannot give both signatures ("Il Sindaco metropolitano, assistito dal Segretario Generale")."""
    if not facts.signer_roles:
        return "La tua firma non è richiesta su questo atto o è già stata apposta."
    if facts.signed_as is not None:
        return (
            f"Hai già firmato questo atto come {ROLE_LABELS[facts.signed_as]}: le firme "
            "richieste devono essere di persone diverse."
        )
    return None


def opinions_valid(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """Numbering needs every opinion on the current text (TUEL art. 49; a changed text needs new
    opinions: Min. Interno 17/09/2002)."""
    if facts.missing_opinions:
        return "Mancano pareri validi sul testo attuale: " + ", ".join(facts.missing_opinions) + "."
    return None


def signatures_complete(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """The act is adopted only when every required signer has signed the current text."""
    if facts.missing_signers:
        names = ", ".join(ROLE_LABELS[r] for r in facts.missing_signers)
        return f"Mancano le firme di: {names}."
    return None


def not_a_document(document_id: int) -> str:
    return f"Il documento n. {document_id} non è tra i documenti di questo atto."


def signed_document(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """Only the digitally signed act goes on the Albo (CAD art. 20-21; L. 69/2009 art. 32): the
    document the Ufficio Albo chooses as the act must pass the signature check; without a choice,
    one validly signed document of the act must exist (which one, the publication decides)."""
    chosen = data.get("atto")
    if chosen is None:
        return None if None in facts.atto_choices.values() else facts.document_problem
    return facts.atto_choices.get(chosen, not_a_document(chosen))


def annexes_publishable(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """Only annexes meant for publication, never one kept for the offices, never an original
    whose version for publication (omissis) exists (Garante privacy, guidelines 243/2014)."""
    for document_id in data.get("allegati") or ():
        if document_id == data.get("atto"):
            return f"Il documento n. {document_id} è già scelto come atto, non come allegato."
        problem = facts.annex_choices.get(document_id, not_a_document(document_id))
        if problem:
            return problem
    return None


def extension_allowed(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """A proroga extends a running publication after a service outage: never one that ended,
    and only to a later day, on an act that orders it, dated no later than today."""
    end = facts.published_to
    if end is None or facts.today > end:
        return "La pubblicazione è terminata" + (
            f" il {format_date(end)}: non si può più prorogare." if end else "."
        )
    new_end = data.get("al")
    if new_end is not None and new_end <= end:
        return (
            f"La nuova fine della pubblicazione ({format_date(new_end)}) deve essere successiva "
            f"alla fine attuale ({format_date(end)})."
        )
    ordered_on = data.get("data")
    if ordered_on is not None and ordered_on > facts.today:
        return (
            f"L'atto che autorizza la proroga non può avere una data futura "
            f"({format_date(ordered_on)})."
        )
    return None


def start_not_past(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """A publication starts today or later: the Albo is the legal record, it is not backdated."""
    start = data.get("dal")
    if start and start < facts.today:
        return f"La pubblicazione non può iniziare nel passato ({format_date(start)})."
    return None


def window_over(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """The relata certifies a completed period: only after the window's last day (TUEL 124)."""
    end = facts.published_to
    if end is None or facts.today <= end:
        return "La relata di pubblicazione si rilascia solo al termine del periodo" + (
            f" (ultimo giorno {format_date(end)})." if end else "."
        )
    return None


def immediate_execution_voted(facts: ActFacts, data: Mapping[str, Any]) -> str | None:
    """TUEL art. 134 c. 4: only a delibera may be declared immediately executable, and only by
    the vote of the majority of the members, which is recorded."""
    if data.get("immediatamente_eseguibile") is not True:
        return None
    if not facts.deliberation:
        return "Solo una deliberazione può essere dichiarata immediatamente eseguibile."
    if not data.get("votazione"):
        return (
            "Manca l'esito della votazione sull'immediata eseguibilità "
            "(maggioranza dei componenti, art. 134 c. 4 TUEL)."
        )
    return None


# Who proposes an act (and revises it: atto.yaml, `rivedi`).
PROPOSERS = (DIREZIONE_GENERALE, SINDACO, DIRIGENTE)

# The opinions an act needs, by the event that gives them; "contabile" may be declared not due.
OPINIONS = {
    "parere_tecnico": "parere di regolarità tecnica",
    "parere_contabile": "parere di regolarità contabile",
    "parere_segretario": "parere del Segretario Generale",
}
