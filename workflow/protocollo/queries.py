"""Reading the protocol register: the list with its filters, one entry with its registration and
annulment, the CSV export. Every view shows an annulled entry as it was registered, marked
annullato (DPR 445/2000 art. 54), never hides it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from workflow.acts import registers
from workflow.acts.proposal import FASCICOLO
from workflow.acts.register_models import PROTOCOLLO, RegisterEntry
from workflow.core import csvexport
from workflow.core.clock import ROME, as_utc, format_date
from workflow.core.errors import InvalidData
from workflow.extensions import db
from workflow.protocollo.models import DIRECTIONS, Annulment, Correspondent, Registration

ANNULLATO = "ANNULLATO"
# A protocol number as users search for it: "12", "0000012", "12/2025".
_NUMBER = re.compile(r"^\s*0*(\d{1,9})\s*(?:/\s*(\d{4}))?\s*$")
# Who registered an entry that has no registration of its own (numbered before this register
# had one, or an act's number drawn at adoption).
OBJECT_LABELS = {"act": "Atto", "contribution": "Contributo", "protocollo": "Protocollo"}


@dataclass(frozen=True)
class Row:
    """One protocol entry as every view shows it: the entry, its registration (None for an act's
    number or an entry older than the register's detail) and its annulment (None if valid)."""

    entry: RegisterEntry
    registration: Registration | None
    annulment: Annulment | None

    @property
    def label(self) -> str:
        return registers.label(PROTOCOLLO, self.entry.year, self.entry.number)

    @property
    def oggetto(self) -> str:
        return self.registration.oggetto if self.registration else self.entry.subject

    @property
    def direction_label(self) -> str:
        if self.registration is None:
            return OBJECT_LABELS.get(self.entry.object_type, "")
        return DIRECTIONS[self.registration.direction]

    @property
    def correspondents(self) -> list[Correspondent]:
        return self.registration.correspondents if self.registration else []

    @property
    def fascicolo(self) -> str:
        return self.registration.fascicolo if self.registration else ""

    @property
    def stato(self) -> str:
        return ANNULLATO if self.annulment else ""


@dataclass(frozen=True)
class Filters:
    """The list's filters: year, direction (entrata/uscita), words or a number, a fascicolo."""

    year: int | None = None
    direction: str = ""
    q: str = ""
    fascicolo: str = ""

    @classmethod
    def from_args(cls, args: dict[str, str]) -> Filters:
        """Read from a query string; raises InvalidData for a year or direction not understood."""
        raw_year = (args.get("anno") or "").strip()
        if raw_year and not (
            raw_year.isascii() and raw_year.isdigit() and len(raw_year) == 4 and raw_year >= "1900"
        ):
            raise InvalidData("Anno non valido: indicare quattro cifre (es. 2025).")
        direction = (args.get("direzione") or "").strip()
        if direction and direction not in DIRECTIONS:
            raise InvalidData("Direzione non valida: entrata o uscita.")
        fascicolo = (args.get("fascicolo") or "").strip()[:40]
        if fascicolo and not FASCICOLO.match(fascicolo):
            raise InvalidData(
                "Fascicolo non valido: indicare Titolario/Anno/Fascicolo (2.16/2024/1)."
            )
        return cls(
            year=int(raw_year) if raw_year else None,
            direction=direction,
            q=(args.get("q") or "").strip()[:200],
            fascicolo=fascicolo,
        )


def _base() -> Select:
    return (
        select(RegisterEntry, Registration, Annulment)
        .outerjoin(Registration, Registration.entry_id == RegisterEntry.id)
        .outerjoin(Annulment, Annulment.entry_id == RegisterEntry.id)
        .where(RegisterEntry.register == PROTOCOLLO)
    )


def fascicolo_clause(
    value: str,
    titolario: InstrumentedAttribute[Any],
    anno: InstrumentedAttribute[Any],
    numero: InstrumentedAttribute[Any],
) -> ColumnElement[bool] | None:
    """The SQL condition "classified in `value`" on three columns; None when `value` is not a
    fascicolo (2.16/2024/1)."""
    match = FASCICOLO.match(value or "")
    if not match:
        return None
    return and_(
        titolario == match.group(1), anno == int(match.group(2)), numero == int(match.group(3))
    )


def search(filters: Filters) -> list[Row]:
    """The protocol entries matching `filters`, newest first."""
    query = _base().order_by(RegisterEntry.year.desc(), RegisterEntry.number.desc())
    if filters.year is not None:
        query = query.where(RegisterEntry.year == filters.year)
    if filters.direction:
        query = query.where(Registration.direction == filters.direction)
    if filters.fascicolo:
        query = query.where(
            fascicolo_clause(
                filters.fascicolo,
                Registration.titolario,
                Registration.fascicolo_anno,
                Registration.fascicolo_numero,
            )
        )
    q = filters.q
    if q:
        by_fascicolo = fascicolo_clause(
            q, Registration.titolario, Registration.fascicolo_anno, Registration.fascicolo_numero
        )
        if by_fascicolo is not None:
            query = query.where(by_fascicolo)
        else:
            named = select(Correspondent.registration_id).where(
                or_(
                    Correspondent.name.icontains(q, autoescape=True),
                    Correspondent.address.icontains(q, autoescape=True),
                )
            )
            terms = [
                RegisterEntry.subject.icontains(q, autoescape=True),
                Registration.oggetto.icontains(q, autoescape=True),
                Registration.sender_protocol.icontains(q, autoescape=True),
                Registration.id.in_(named),
            ]
            match = _NUMBER.match(q)
            if match:
                number, year = int(match.group(1)), match.group(2)
                terms.append(
                    and_(RegisterEntry.number == number, RegisterEntry.year == int(year))
                    if year
                    else RegisterEntry.number == number
                )
            query = query.where(or_(*terms))
    return [Row(*found) for found in db.session.execute(query)]


def row_of(entry: RegisterEntry) -> Row:
    """The entry with its registration and annulment."""
    found = db.session.execute(_base().where(RegisterEntry.id == entry.id)).one()
    return Row(*found)


def classified_in(fascicolo: str) -> list[Row]:
    """The registrations classified in `fascicolo`, oldest first."""
    clause = fascicolo_clause(
        fascicolo,
        Registration.titolario,
        Registration.fascicolo_anno,
        Registration.fascicolo_numero,
    )
    if clause is None:
        return []
    query = _base().where(clause).order_by(RegisterEntry.year, RegisterEntry.number)
    return [Row(*found) for found in db.session.execute(query)]


def annulled_entry_ids(entry_ids: Iterable[int]) -> set[int]:
    """Which of these register entries are annulled (for views of other areas, e.g. the daily
    register, which must mark them too)."""
    ids = list(entry_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Annulment.entry_id).where(Annulment.entry_id.in_(ids))))


CSV_COLUMNS = (
    "numero",
    "anno",
    "data_registrazione",
    "direzione",
    "oggetto",
    "corrispondenti",
    "data_documento",
    "protocollo_mittente",
    "fascicolo",
    "impronta_sha256",
    "stato",
    "annullamento_motivo",
    "annullamento_provvedimento",
    "annullamento_data",
)


def _csv_rows(rows: Iterable[Row]) -> Iterator[tuple[object, ...]]:
    for r in rows:
        registration, annulment = r.registration, r.annulment
        sender = ""
        if registration and registration.sender_protocol:
            sender = registration.sender_protocol
            if registration.sender_protocol_date:
                sender += f" del {format_date(registration.sender_protocol_date)}"
        yield (
            r.label.split("/")[0],
            r.entry.year,
            as_utc(r.entry.registered_at).astimezone(ROME).isoformat(timespec="seconds"),
            r.direction_label,
            r.oggetto,
            "; ".join(f"{c.name} <{c.address}>" if c.address else c.name for c in r.correspondents),
            registration.document_date.isoformat() if registration else "",
            sender,
            r.fascicolo,
            r.entry.fingerprint,
            r.stato,
            annulment.reason if annulment else "",
            annulment.authorising_act if annulment else "",
            (
                as_utc(annulment.annulled_at).astimezone(ROME).isoformat(timespec="seconds")
                if annulment
                else ""
            ),
        )


def csv_export(rows: Iterable[Row], form: csvexport.Variant = csvexport.PLAIN) -> str:
    """The rows as CSV, annulled entries included and marked (DPR 445/2000 art. 54)."""
    return csvexport.text(CSV_COLUMNS, _csv_rows(rows), form)
