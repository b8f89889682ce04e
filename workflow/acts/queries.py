"""Reading acts: search, the Albo's list and record of a publication, citations and labels.

The Albo pretorio online is the legally effective publication (L. 69/2009 art. 32); its words for
the state of a publication are the ones the seed shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true

from workflow.acts import fulltext
from workflow.acts.models import Act, ActDocument, ActEvent
from workflow.acts.operations import act_type, definition_of, published_documents
from workflow.acts.proposal import FASCICOLO
from workflow.acts.register_models import REPERTORIO, RegisterCounter
from workflow.core.clock import ROME, as_utc, format_date
from workflow.core.errors import InvalidData, NotFound
from workflow.definitions import UNAVAILABLE, DefinitionUnavailable
from workflow.definitions import acts as machine
from workflow.extensions import db
from workflow.procedures.browse import Page

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
        classified = FASCICOLO.match(q)
        if classified:
            # DPR 445/2000 art. 64: the fascicolo is how an affair's acts are found together.
            terms.append(
                and_(
                    Act.titolario == classified.group(1),
                    Act.fascicolo_anno == int(classified.group(2)),
                    Act.fascicolo_numero == int(classified.group(3)),
                )
            )
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


def fascicolo_in(q: str) -> str:
    """The fascicolo a search names, written as the register writes it ("2.16 / 2024 / 01" →
    "2.16/2024/1"), to offer its page; "" when `q` is not one."""
    match = FASCICOLO.match(q or "")
    if not match:
        return ""
    return f"{match.group(1)}/{int(match.group(2))}/{int(match.group(3))}"


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


def annulment(act: Act) -> ActEvent | None:
    return next((e for e in act.events if e.event == "annulla_pubblicazione"), None)


def relata(act: Act) -> ActEvent | None:
    """The Segretario's relata di pubblicazione, once issued."""
    return next((e for e in act.events if e.event == "relata"), None)


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


# Where a publication stands for the public, from the clock (never stored):
IN_CORSO = "in_corso"  # the window is open: the record and its published documents
ARCHIVIO = "archivio"  # ended or annulled, before the data di oblio: the record's metadata only


def oblio_date(act: Act) -> date | None:
    """The first day the publication leaves the public site entirely (its act type's retention,
    definitions/acts.py oblio_date); None while it has no window."""
    if act.published_from is None:
        return None
    return machine.oblio_date(act.published_from, act_type(act).oblio_years)


def public_until(act: Act) -> date | None:
    """The last day the publication is on the public site (the day before its data di oblio)."""
    oblio = oblio_date(act)
    return oblio - timedelta(days=1) if oblio else None


def public_phase(act: Act, today: date) -> str | None:
    """IN_CORSO, ARCHIVIO, or None when the public must not see the publication at all: not on
    the Albo yet, or past its data di oblio (Garante privacy 243/2014). `today`: Europe/Rome.
    An annulled publication is in the archive from its annulment, whatever the window says."""
    if act.published_from is None or act.published_to is None or act.albo_number is None:
        return None
    if today >= machine.oblio_date(act.published_from, act_type(act).oblio_years):
        return None
    if act.state == machine.ANNULLATO:
        return ARCHIVIO
    if act.state not in (machine.PUBBLICATO, machine.CERTIFICATO) or today < act.published_from:
        return None
    return ARCHIVIO if today > act.published_to else IN_CORSO


def _before_oblio(today: date) -> ColumnElement[bool]:
    """SQL: the publication has not reached its act type's data di oblio (the same rule as
    oblio_date: published from 1 January of the year `oblio_years` back, or later)."""
    return or_(
        *(
            and_(
                Act.act_type == code,
                Act.published_from >= date(today.year - kind.oblio_years, 1, 1),
            )
            for code, kind in machine.ACT_TYPES.items()
        )
    )


def _in_phase(phase: str, today: date) -> ColumnElement[bool]:
    """SQL twin of public_phase(act, today) == phase."""
    on_albo = Act.state.in_((machine.PUBBLICATO, machine.CERTIFICATO))
    if phase == IN_CORSO:
        return and_(on_albo, Act.published_from <= today, Act.published_to >= today)
    return and_(
        Act.albo_number.is_not(None),
        _before_oblio(today),
        or_(
            Act.state == machine.ANNULLATO,
            and_(on_albo, Act.published_to < today),
        ),
    )


# The public list's page size (the API lets a client choose, up to its own maximum).
PUBLIC_PER_PAGE = 20


@dataclass(frozen=True)
class AlboFilters:
    """The public search of the Albo (all optional): words of oggetto, proponente, materia and
    numbers (full text, acts/fulltext.py); a number, "1084" or "1084/2025", of the publication,
    the Repertorio Generale or the Protocollo; materia (words); act type code; a day of
    publication or approval; `phase` IN_CORSO (the Albo) or ARCHIVIO (pubblicazioni concluse)."""

    q: str = ""
    numero: str = ""
    materia: str = ""
    tipo: str = ""
    data: date | None = None
    phase: str = IN_CORSO
    # The Albo's own list (IN_CORSO) also shows annulled publications, marked, while their window
    # would have run, and finds one by its number until its data di oblio (not the feed).
    with_annulled: bool = False


def _number_condition(numero: str) -> ColumnElement[bool]:
    match = _NUMBER.match(numero)
    if not match:
        raise InvalidData("Numero non valido: indicare ad esempio 1084 o 1084/2025.")
    n, year = int(match.group(1)), match.group(2)
    registers_ = (
        (Act.albo_number, Act.albo_year),
        (Act.repertorio_number, Act.repertorio_year),
        (Act.protocollo_number, Act.protocollo_year),
    )
    return or_(
        *(
            and_(number == n, year_col == int(year)) if year else number == n
            for number, year_col in registers_
        )
    )


def _public_query(today: date, filters: AlboFilters) -> Select[tuple[Act]]:
    if filters.phase not in (IN_CORSO, ARCHIVIO):
        raise InvalidData("Elenco sconosciuto: «in_corso» o «archivio».")
    if filters.tipo and filters.tipo not in machine.ACT_TYPES:
        raise InvalidData(f"Tipo di atto «{filters.tipo}» sconosciuto.")
    shown = _in_phase(filters.phase, today)
    if filters.with_annulled and filters.phase == IN_CORSO:
        annulled = and_(
            Act.state == machine.ANNULLATO, Act.albo_number.is_not(None), _before_oblio(today)
        )
        if not filters.numero.strip():
            annulled = and_(annulled, Act.published_from <= today, Act.published_to >= today)
        shown = or_(shown, annulled)
    query = select(Act).where(shown)
    words = fulltext.matching(filters.q)
    if words is not None:
        query = query.where(words)
    if filters.materia.strip():
        query = query.where(_materia_matching(filters.materia))
    if filters.tipo:
        query = query.where(Act.act_type == filters.tipo)
    if filters.numero.strip():
        query = query.where(_number_condition(filters.numero))
    if filters.data is not None:
        query = query.where(
            or_(Act.published_from == filters.data, Act.approval_date == filters.data)
        )
    return query


def _materia_matching(materia: str) -> ColumnElement[bool]:
    """Every word asked is a word of the materia, whatever its case and accents (the words go
    through the full-text search, restricted to the materia)."""
    condition = fulltext.matching(materia, column="materia")
    return condition if condition is not None else true()


def public_list(today: date, filters: AlboFilters | None = None) -> list[Act]:
    """The publications of the Albo today (`today`: Europe/Rome) matching `filters`, the latest
    first (by Albo year and number)."""
    query = _public_query(today, filters or AlboFilters())
    return list(db.session.scalars(query.order_by(Act.albo_year.desc(), Act.albo_number.desc())))


def public_page(today: date, filters: AlboFilters, number: int, per_page: int) -> Page[Act]:
    """One page (`number` from 1) of public_list, with the total."""
    query = _public_query(today, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Act.albo_year.desc(), Act.albo_number.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return Page(items=list(rows), number=number, per_page=per_page, total=total)


def albo_register(year: int) -> list[Act]:
    """Every publication of the Albo numbered in `year`, annulled ones too, by number."""
    query = select(Act).where(Act.albo_year == year).order_by(Act.albo_number)
    return list(db.session.scalars(query))


def public_act(anno: int, numero: int, today: date) -> tuple[Act, str]:
    """The publication anno/numero and its public phase on `today` (Europe/Rome). NotFound when
    the public may not see it (not yet on the Albo, or past its data di oblio): the same answer
    as for a number never given."""
    act = by_albo_number(anno, numero)
    phase = public_phase(act, today)
    if phase is None:
        raise NotFound(f"Pubblicazione {numero}/{anno} non trovata all'Albo.")
    return act, phase


def public_documents(act: Act) -> list[ActDocument]:
    """The documents the public may see of a publication in progress: the one place the Albo
    page, its downloads, the feed and the public API ask (issue 17 §1 makes it the Ufficio
    Albo's choice, operations.published_documents). Never call it for a publication that is
    not IN_CORSO."""
    return published_documents(act)


def public_document(act: Act, document_id: int) -> ActDocument:
    """One of public_documents(act); NotFound otherwise."""
    for document in public_documents(act):
        if document.id == document_id:
            return document
    raise NotFound("Documento non trovato tra quelli pubblicati.")


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
        # As the Albo shows it ("32556/2025"); the register keeps its 7 digits (registers.label).
        protocollo=(
            f"{act.protocollo_number}/{act.protocollo_year}"
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
    """The Italian label of the act's state (or why it cannot be read: see procedures')."""
    try:
        return definition_of(act).state(act.state).label
    except DefinitionUnavailable:
        return UNAVAILABLE.format(version=act.definition_version[:12])


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


def cited_by_steps(steps: Iterable[Any]) -> dict[str, Cited]:
    """cited_acts() for the acts procedure steps cite (what the record says now), of the kinds
    the Repertorio Generale numbers: a revisori's verbale or a ministerial decree is not ours."""
    return cited_acts(s.current.act_number for s in steps if s.act_kind in machine.ACT_TYPES)


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
