"""Registers: gapless numbers per register and year, allocated in the caller's transaction.

DPR 445/2000 art. 57: the protocol number is progressive, of at least seven digits, and restarts
every calendar year; art. 53: number and date are given by the system in one step, never typed.
A PostgreSQL sequence would leave a gap on every rollback, so the number comes from a counter row
that the allocating transaction locks and updates: a rollback undoes the increment with the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workflow.access.authorize import role_for
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.access.roles import ADMIN
from workflow.acts.register_models import (
    PROTOCOLLO,
    REGISTER_LABELS,
    REGISTERS,
    RegisterCounter,
    RegisterEntry,
)
from workflow.audit import chain as audit
from workflow.core import csvexport, inputs
from workflow.core.clock import ROME, Clock, as_utc
from workflow.core.database import checked_values, dialect
from workflow.core.errors import Conflict, InvalidData, NotAllowed
from workflow.core.transaction import operation
from workflow.extensions import db

STARTERS = OPERATIONS["register.start"]
PROTOCOL_DIGITS = 7


def registration_year(clock: Clock) -> int:
    """The year of the registration instant as the office lives it (Europe/Rome), never typed."""
    return clock.now().astimezone(ROME).year


def _ensure_counter(register: str, year: int) -> None:
    """Create the year's counter row if missing; two first writers of a year do not collide."""
    dialect_insert: Callable = postgresql.insert if dialect() == "postgresql" else sqlite.insert
    db.session.execute(
        dialect_insert(RegisterCounter)
        .values(register=register, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["register", "year"])
    )


def _increment(register: str, year: int) -> int | None:
    # UPDATE … RETURNING takes the row lock that SELECT … FOR UPDATE would take and bumps the
    # counter in the same round trip; the lock is held until the caller's commit or rollback.
    return db.session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.register == register, RegisterCounter.year == year)
        .values(last_number=RegisterCounter.last_number + 1)
        .returning(RegisterCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


def allocate(
    register: str,
    *,
    clock: Clock,
    object_type: str = "",
    object_id: object = "",
    subject: str = "",
    fingerprint: str = "",
) -> tuple[int, int]:
    """Give the next number of `register` for the current year, inside the caller's transaction.

    Writes the register entry (what was numbered, when, subject, fingerprint) with it. No commit
    here: the caller's operation commits or rolls back, and a rollback consumes no number.
    Raises InvalidData for an unknown register.
    """
    if register not in REGISTERS:
        raise InvalidData(f"Registro «{register}» sconosciuto.")
    year = registration_year(clock)
    entry = {
        "register": register,
        "year": year,
        "registered_at": as_utc(clock.now()),
        "object_type": object_type,
        "object_id": str(object_id),
        "subject": inputs.fit(subject, 1000),
        "fingerprint": fingerprint,
    }
    entry = checked_values(RegisterEntry, entry)  # a Core INSERT: no set-listener sees it
    postgres = dialect() == "postgresql"
    take = _increment_and_register if postgres else _increment_then_register
    number = take(register, year, entry)
    if number is None:
        _ensure_counter(register, year)
        number = take(register, year, entry)
    if number is None:  # the row exists now (ours or a concurrent writer's): this cannot happen
        raise RuntimeError(f"Contatore del registro {register}/{year} non disponibile.")
    return year, number


def _increment_then_register(register: str, year: int, entry: dict) -> int | None:
    number = _increment(register, year)
    if number is not None:
        db.session.execute(insert(RegisterEntry).values(number=number, **entry))
    return number


def _increment_and_register(register: str, year: int, entry: dict) -> int | None:
    """PostgreSQL: bump the counter and write the entry in ONE statement (a data-modifying CTE),
    so the row lock is held for the least time possible: this statement and the commit."""
    counter = (
        update(RegisterCounter)
        .where(RegisterCounter.register == register, RegisterCounter.year == year)
        .values(last_number=RegisterCounter.last_number + 1)
        .returning(RegisterCounter.last_number)
        .cte("counter")
    )
    columns = list(entry)
    values = select(
        *(literal(entry[name], RegisterEntry.__table__.c[name].type) for name in columns),
        counter.c.last_number,
    )
    statement = (
        insert(RegisterEntry)
        .from_select([*columns, "number"], values)
        .returning(RegisterEntry.number)
    )
    return db.session.execute(statement).scalar_one_or_none()


def label(register: str, year: int, number: int) -> str:
    """How a number is written: protocol with at least seven digits (DPR 445/2000 art. 57)."""
    if register == PROTOCOLLO:
        return f"{number:0{PROTOCOL_DIGITS}d}/{year}"
    return f"{number}/{year}"


@operation
def start_register(
    register: str, year: int, last_number: int, *, actor: User | None, clock: Clock
) -> RegisterCounter:
    """Continue a register from the last number a previous system gave in `year` (migration).

    Allowed once per register and year, and only before this system has numbered anything in it.
    Raises NotAllowed, InvalidData, Conflict.
    """
    role: str | None = ADMIN  # the CLI, run by whoever administers the server
    if actor is not None:
        role = role_for(actor, STARTERS, clock=clock)
        if role is None:
            raise NotAllowed(
                "Non autorizzato: avviare un registro spetta all'Amministratore "
                "o al Segretario Generale."
            )
    if register not in REGISTERS:
        raise InvalidData(f"Registro «{register}» sconosciuto.")
    if not 2000 <= year <= 2100:
        raise InvalidData("Anno del registro non valido.")
    if last_number < 0:
        raise InvalidData("L'ultimo numero del sistema precedente non può essere negativo.")
    _ensure_counter(register, year)
    counter = db.session.execute(
        select(RegisterCounter)
        .where(RegisterCounter.register == register, RegisterCounter.year == year)
        .with_for_update()
    ).scalar_one()
    name = REGISTER_LABELS[register]
    if counter.started_from is not None:
        raise Conflict(
            f"Il registro {name} {year} è già stato avviato dal numero {counter.started_from}."
        )
    if counter.last_number > 0:
        raise Conflict(
            f"Il registro {name} {year} ha già numerato {counter.last_number} atti: "
            "non può più essere avviato da un sistema precedente."
        )
    counter.last_number = last_number
    counter.started_from = last_number
    counter.started_at = as_utc(clock.now())
    counter.started_by_id = actor.id if actor else None
    audit.record(
        actor=actor,
        role=role,
        object_type="register",
        object_id=f"{register}/{year}",
        action="register.started",
        payload={"register": register, "year": year, "last_number": last_number},
        clock=clock,
    )
    db.session.flush()
    return counter


def entries_of_day(register: str, day: date) -> list[RegisterEntry]:
    """The entries registered on `day` (Europe/Rome), in number order."""
    start = datetime.combine(day, time(0), ROME).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), ROME).astimezone(UTC)
    return list(
        db.session.scalars(
            select(RegisterEntry)
            .where(
                RegisterEntry.register == register,
                RegisterEntry.registered_at >= start,
                RegisterEntry.registered_at < end,
            )
            .order_by(RegisterEntry.year, RegisterEntry.number)
        )
    )


@dataclass(frozen=True)
class DailyColumn:
    """One column of the registro giornaliero: its CSV header, its PDF heading, its share of the
    PDF table's width, and how an entry fills it (in the CSV; `shown`, when given, in the PDF).

    The CSV and the PDF are both written from DAILY_REGISTER_COLUMNS, so a field the protocol
    register gains (direction, correspondents, classification…) is one more column here.
    """

    code: str
    label: str
    width: int
    value: Callable[[RegisterEntry], object]
    shown: Callable[[RegisterEntry], str] | None = None

    def text(self, entry: RegisterEntry) -> str:
        """The cell as the PDF prints it."""
        if self.shown is not None:
            return self.shown(entry)
        value = self.value(entry)
        return "" if value is None else str(value)


def _local(entry: RegisterEntry) -> datetime:
    return as_utc(entry.registered_at).astimezone(ROME)


DAILY_REGISTER_COLUMNS: tuple[DailyColumn, ...] = (
    DailyColumn(
        "numero", "Numero", 14, lambda e: label(e.register, e.year, e.number).split("/")[0]
    ),
    DailyColumn("anno", "Anno", 7, lambda e: e.year),
    DailyColumn(
        "data_registrazione",
        "Data e ora",
        16,
        lambda e: _local(e).isoformat(timespec="seconds"),
        lambda e: _local(e).strftime("%d/%m/%Y %H:%M:%S"),
    ),
    DailyColumn("oggetto", "Oggetto", 60, lambda e: e.subject),
    DailyColumn("tipo", "Tipo", 10, lambda e: e.object_type),
    DailyColumn("id", "Id", 6, lambda e: e.object_id),
    DailyColumn("impronta", "Impronta SHA-256", 30, lambda e: e.fingerprint),
)
DAILY_COLUMNS = tuple(column.code for column in DAILY_REGISTER_COLUMNS)


def daily_csv(entries: list[RegisterEntry], form: csvexport.Variant = csvexport.PLAIN) -> str:
    """The CSV of a daily register's entries (one row each, DAILY_REGISTER_COLUMNS)."""
    rows = ([column.value(entry) for column in DAILY_REGISTER_COLUMNS] for entry in entries)
    return csvexport.text(DAILY_COLUMNS, rows, form)


def daily_register_csv(
    day: date, register: str = PROTOCOLLO, form: csvexport.Variant = csvexport.PLAIN
) -> str:
    """The registro giornaliero di protocollo of `day` (Europe/Rome) as CSV (DPR 445/2000 art.
    53), read live from the register: the copy produced and handed over to preservation is the
    one acts/daily.py stores. Numbers are shown as the register writes them, with at least seven
    digits for the protocol.
    """
    return daily_csv(entries_of_day(register, day), form)
