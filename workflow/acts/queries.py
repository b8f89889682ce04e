"""Reading acts: search, the Albo's list and record of a publication, citations and labels.

The Albo pretorio online is the legally effective publication (L. 69/2009 art. 32); its words for
the state of a publication are the ones the seed shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, or_, select

from workflow.acts import registers
from workflow.acts.models import Act, ActEvent
from workflow.acts.operations import act_type, definition_of
from workflow.acts.register_models import PROTOCOLLO, REPERTORIO, RegisterCounter
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
    """Computed from the clock, never stored: the window closes by itself at midnight."""
    if act.published_from is None or act.published_to is None:
        return None
    if today > act.published_to:
        return TERMINATO
    if act.state == machine.ANNULLATO:
        return ANNULLATO
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


def annulment(act: Act) -> ActEvent | None:
    return next((e for e in act.events if e.event == "annulla_pubblicazione"), None)


def public_list(
    today: date, q: str = "", numero: str = "", materia: str = "", data: date | None = None
) -> list[Act]:
    """Acts on the Albo today (window open, not annulled), with the public search filters."""
    query = (
        select(Act)
        .where(
            Act.state.in_((machine.PUBBLICATO, machine.CERTIFICATO)),
            Act.published_from <= today,
            Act.published_to >= today,
        )
        .order_by(Act.albo_year.desc(), Act.albo_number.desc())
    )
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


NOT_IN_REPERTORIO = "atto non presente nel repertorio"


@dataclass(frozen=True)
class Cited:
    """What the Repertorio Generale says of an act number a procedure step cites ("43/2025"):
    the act that carries it, or `missing` when the tracker keeps that year of the register and
    no act of it has that number. Neither, when the number is not the tracker's to check."""

    act_id: int | None = None
    missing: bool = False

    @property
    def warning(self) -> str:
        return NOT_IN_REPERTORIO if self.missing else ""


def cited_acts(numbers: Iterable[str | None]) -> dict[str, Cited]:
    """Check act numbers cited as "N/YYYY" against the Repertorio Generale, in two queries.

    The tracker "holds" the Repertorio of a year when it has that year's counter row: it numbered
    an act in that year, or the register was continued there from a previous system
    (`flask registers start`). Decrees and delibere share that one register. Within a year it
    holds, a number the previous system gave (up to the number it was started from) is not the
    tracker's to check; any later number is an act here, or `missing`. A year it does not hold
    at all (an avvio decree of the year before the tracker) gives no answer: not our register.
    """
    wanted: set[tuple[int, int]] = set()
    for text in numbers:
        number, _, year = (text or "").partition("/")
        if number.isdigit() and year.isdigit():
            wanted.add((int(year), int(number)))
    if not wanted:
        return {}
    years = {year for year, _ in wanted}
    started = dict(
        db.session.execute(
            select(RegisterCounter.year, RegisterCounter.started_from).where(
                RegisterCounter.register == REPERTORIO, RegisterCounter.year.in_(years)
            )
        ).all()
    )
    ours = {(y, n) for y, n in wanted if y in started and n > (started[y] or 0)}
    found: dict[tuple[int, int], int] = {}
    if ours:
        rows = db.session.execute(
            select(Act.repertorio_year, Act.repertorio_number, Act.id).where(
                or_(*(and_(Act.repertorio_year == y, Act.repertorio_number == n) for y, n in ours))
            )
        )
        found = {(y, n): act_id for y, n, act_id in rows}
    return {
        f"{n}/{y}": Cited(act_id=found.get((y, n)), missing=(y, n) not in found) for y, n in ours
    }
