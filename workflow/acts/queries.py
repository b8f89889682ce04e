"""Reading acts: search, the Albo's list and record of a publication, citations and labels.

The Albo pretorio online is the legally effective publication (L. 69/2009 art. 32); its words for
the state of a publication are the ones the seed shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, or_, select

from workflow.acts import registers
from workflow.acts.models import Act, ActDocument, ActEvent
from workflow.acts.operations import act_type, definition_of
from workflow.acts.register_models import PROTOCOLLO
from workflow.core.clock import ROME, as_utc, format_date
from workflow.core.errors import InvalidData, NotFound
from workflow.definitions import acts as machine
from workflow.extensions import db

# A number as a user searches for it: "43", "0043", "43/2025".
_NUMBER = re.compile(r"^\s*0*(\d{1,9})\s*(?:/\s*(\d{4}))?\s*$")


def search(q: str = "") -> list[Act]:
    """Staff search: oggetto, proponente, materia, struttura, fascicolo or any of the numbers."""
    query = select(Act).order_by(Act.id.desc())
    q = (q or "").strip()
    if q:
        terms = [
            Act.oggetto.icontains(q, autoescape=True),
            Act.proponente.icontains(q, autoescape=True),
            Act.materia.icontains(q, autoescape=True),
            Act.struttura.icontains(q, autoescape=True),
        ]
        match = _NUMBER.match(q)
        if match:
            n, year = int(match.group(1)), match.group(2)
            for num_col, year_col in (
                (Act.repertorio_number, Act.repertorio_year),
                (Act.protocollo_number, Act.protocollo_year),
                (Act.albo_number, Act.albo_year),
            ):
                terms.append(and_(num_col == n, year_col == int(year)) if year else num_col == n)
        query = query.where(or_(*terms))
    return list(db.session.scalars(query))


# The Albo's own words for the state of a publication (as the seed shows it).
ATTIVO = "PUBBLICATO ATTIVO"
TERMINATO = "PUBBLICAZIONE TERMINATA"
ANNULLATO = "PUBBLICAZIONE ANNULLATA"
IN_ATTESA = "IN ATTESA DI PUBBLICAZIONE"


def albo_status(act: Act, today: date) -> str | None:
    """Computed from the clock, never stored: the window closes by itself at midnight. An
    annulled publication reads as annulled forever, also after its window's end."""
    if act.published_from is None or act.published_to is None:
        return None
    if act.state == machine.ANNULLATO:
        return ANNULLATO
    if today > act.published_to:
        return TERMINATO
    if today < act.published_from:
        return IN_ATTESA
    return ATTIVO


def publication_instant(act: Act) -> datetime:
    """When the act went on the Albo: the publishing event, or the window's first midnight."""
    event = next((e for e in act.events if e.event == "pubblica"), None)
    start = datetime.combine(act.published_from or date.min, time(0), ROME)
    if event is None:
        return start
    return max(as_utc(event.recorded_at), start)


def relata(act: Act) -> ActEvent | None:
    """The Segretario's relata di pubblicazione, once issued."""
    return next((e for e in act.events if e.event == "relata"), None)


def annulment(act: Act) -> ActEvent | None:
    return next((e for e in act.events if e.event == "annulla_pubblicazione"), None)


def referto(act: Act) -> ActDocument | None:
    """The signed referto di pubblicazione, once stored (acts/documents.py attach_referto)."""
    return next((d for d in act.documents if d.kind == "referto" and d.withdrawn_at is None), None)


@dataclass(frozen=True)
class Proroga:
    """One extension of a publication's window, as the pages and the API show it."""

    al: date  # the new last day
    precedente: date  # the last day before it
    motivazione: str
    atto: str  # the authorising act: "12/2025 del 03/03/2025"
    recorded_at: datetime


def extensions(act: Act) -> list[Proroga]:
    """The proroghe of the publication, oldest first (each with its reason and act)."""
    return [
        Proroga(
            al=date.fromisoformat(e.data["al"]),
            precedente=date.fromisoformat(e.data["al_precedente"]),
            motivazione=e.data["motivazione"],
            atto=f"{e.data['numero']} del {format_date(date.fromisoformat(e.data['data']))}",
            recorded_at=e.recorded_at,
        )
        for e in act.events
        if e.event == "proroga"
    ]


def original_end(act: Act) -> date | None:
    """The window's last day as published, before any proroga."""
    first = next(iter(extensions(act)), None)
    return first.precedente if first else act.published_to


def public_list(
    today: date,
    q: str = "",
    numero: str = "",
    materia: str = "",
    data: date | None = None,
    *,
    with_annulled: bool = False,
) -> list[Act]:
    """Acts on the Albo today (window open), with the public search filters. `with_annulled`:
    also the annulled publications, shown as annulled: those whose window includes today, and
    any whose number is searched, whenever (an annulment stays findable by its number)."""
    on_today = and_(Act.published_from <= today, Act.published_to >= today)
    live = and_(Act.state.in_((machine.PUBBLICATO, machine.CERTIFICATO)), on_today)
    shown = live
    if with_annulled:
        annulled = Act.state == machine.ANNULLATO
        shown = or_(live, annulled if numero.strip() else and_(annulled, on_today))
    query = select(Act).where(shown).order_by(Act.albo_year.desc(), Act.albo_number.desc())
    if q.strip():
        query = query.where(Act.oggetto.icontains(q.strip(), autoescape=True))
    if materia.strip():
        query = query.where(Act.materia.icontains(materia.strip(), autoescape=True))
    if numero.strip():
        match = _NUMBER.match(numero)
        if not match:
            raise InvalidData("Numero non valido: indicare ad esempio 1084 o 1084/2025.")
        n, year = int(match.group(1)), match.group(2)
        by_number = or_(Act.albo_number == n, Act.repertorio_number == n)
        if year:
            by_number = or_(
                and_(Act.albo_number == n, Act.albo_year == int(year)),
                and_(Act.repertorio_number == n, Act.repertorio_year == int(year)),
            )
        query = query.where(by_number)
    if data is not None:
        query = query.where(or_(Act.published_from == data, Act.approval_date == data))
    return list(db.session.scalars(query))


def albo_register(year: int) -> list[Act]:
    """Every publication of the Albo numbered in `year`, annulled ones too, by number."""
    query = select(Act).where(Act.albo_year == year).order_by(Act.albo_number)
    return list(db.session.scalars(query))


def by_albo_number(year: int, number: int) -> Act:
    act = db.session.scalar(select(Act).where(Act.albo_year == year, Act.albo_number == number))
    if act is None:
        raise NotFound(f"Pubblicazione {number}/{year} non trovata all'Albo.")
    return act


@dataclass(frozen=True)
class Record:
    """The fields of the Albo record, in the seed's order and words."""

    heading: str
    tipo: str
    stato: str
    pubblicazione: str
    dal: str
    al: str
    repertorio: str
    approvazione: str
    protocollo: str
    fascicolo: str
    proponente: str
    materia: str
    struttura: str
    oggetto: str


def record(act: Act, today: date) -> Record:
    kind = act_type(act)
    return Record(
        heading=kind.label.upper(),
        tipo=kind.label,
        stato=albo_status(act, today) or definition_of(act).state(act.state).label,
        pubblicazione=f"{act.albo_number}/{act.albo_year}" if act.albo_number else "",
        dal=format_date(act.published_from),
        al=format_date(act.published_to),
        repertorio=(
            f"{act.repertorio_number}/{act.repertorio_year} del {format_date(act.repertorio_date)}"
            if act.repertorio_number
            else ""
        ),
        approvazione=format_date(act.approval_date),
        protocollo=(
            registers.label(PROTOCOLLO, act.protocollo_year, act.protocollo_number)
            if act.protocollo_number and act.protocollo_year
            else ""
        ),
        fascicolo=act.fascicolo,
        proponente=act.proponente,
        materia=act.materia,
        struttura=act.struttura,
        oggetto=act.oggetto,
    )


def citation(act: Act) -> str:
    """How a procedure step cites the act ("Decreto R.G. 43/2025 del 19/02/2025"), once numbered."""
    if act.repertorio_number is None or act.repertorio_date is None:
        return ""
    kind = act_type(act)
    number = f"{act.repertorio_number}/{act.repertorio_year}"
    return f"{kind.citation} {number} del {format_date(act.repertorio_date)}"


def of_procedure(procedure_id: int) -> list[Act]:
    """The acts filed in a procedure, oldest first."""
    return list(
        db.session.scalars(select(Act).where(Act.procedure_id == procedure_id).order_by(Act.id))
    )


def state_label(act: Act) -> str:
    return definition_of(act).state(act.state).label
