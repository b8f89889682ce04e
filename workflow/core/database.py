"""Engine behaviour per database: how SQLite is made to take its write lock up front.

Python's sqlite3 driver opens transactions late, so a read-then-write can fail with SQLITE_BUSY;
the SQLAlchemy recipe is to let the driver do nothing and emit BEGIN IMMEDIATE ourselves. With it,
every SQLite transaction holds the write lock from its first statement: registers, the audit chain
and the optimistic lock are then serialised without a retry loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Integer, String, Text, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper

from workflow.core import inputs
from workflow.core.errors import InvalidData
from workflow.extensions import db


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def dialect() -> str:
    """The name of the database the session talks to: "sqlite" or "postgresql"."""
    return db.session.get_bind().dialect.name


# ---------------------------------------------------------------------------------------------
# The column guard: every value assigned to a mapped column passes core.inputs' rules for its
# type before it can reach the database, whichever operation, form, API call or command set it.

# The Italian name of a column in messages, where the column does not give one in its `info`.
LABELS = {
    "title": "titolo",
    "oggetto": "oggetto",
    "fascicolo": "fascicolo",
    "titolario": "titolario",
    "summary": "sintesi",
    "testo": "testo",
    "name": "nome",
    "full_name": "nome e cognome",
    "username": "nome utente",
    "email": "e-mail",
    "address": "indirizzo",
    "recipient": "destinatario",
    "description": "descrizione",
    "outcome": "esito",
    "proponente": "proponente",
    "struttura": "struttura",
    "materia": "materia",
    "legal_basis": "base giuridica",
    "executability_vote": "voto di immediata eseguibilità",
    "original_name": "nome del file",
    "file_name": "nome del file",
    "subject": "oggetto",
    "due_date": "scadenza",
    "deadline": "termine",
    "period_start": "anno di inizio",
    "procedure_id": "procedimento",
    "body_id": "ente",
    "user_id": "utente",
    "planned_date": "data prevista",
    "occurred_on": "data",
    "act_date": "data dell'atto",
    "valid_from": "valido dal",
    "valid_to": "valido fino al",
    "act": "atto",
    "last_number": "ultimo numero",
    "key_hash": "chiave",
}


def _label(column: Any) -> str:
    return column.info.get("label") or LABELS.get(column.key, column.key)


def _json_text_ok(value: Any) -> bool:
    """No NUL and no control character but tab, CR and LF in any string of a JSON value."""
    return not any(
        isinstance(leaf, str) and inputs.MULTI_LINE_BAD.search(leaf)
        for leaf in inputs.json_leaves(value)
    )


def _verbatim(value: Any, label: str, length: int | None) -> str:
    if not isinstance(value, str) or "\x00" in value or (length and len(value) > length):
        raise InvalidData(f"«{label}»: testo non registrabile (nullo, troppo lungo o non testo).")
    return value


def _written_by_system(column: Any, model: type) -> bool:
    """Text the system composes or copies from outside (a model's `__written_by__ = "system"`, or
    a column's `info={"written_by": "system"}`): made safe and cut, never refused."""
    return "system" in (getattr(model, "__written_by__", None), column.info.get("written_by"))


def _checker(column: Any, verbatim: bool, system: bool = False) -> Any:
    """The set-listener enforcing `column`'s rules, or None for a type with nothing to check.
    `verbatim` columns hold bytes already hashed: checked (NUL, length), never rewritten."""
    kind = column.type
    label = _label(column)
    if isinstance(kind, String) and verbatim:
        return lambda value: _verbatim(value, label, kind.length)
    if isinstance(kind, String):
        multiline = isinstance(kind, Text) or column.info.get("multiline", False)
        length = kind.length
        if length is None and not system:  # what the system writes is never cut by TEXT_MAX
            length = column.info.get("max_length", inputs.TEXT_MAX)

        def text(value: Any) -> Any:
            if system and isinstance(value, str):
                return inputs.made_safe(value, max_length=length, multiline=multiline)
            return inputs.clean_text(value, label, max_length=length, multiline=multiline)

        return text
    if isinstance(kind, Integer) and not isinstance(kind, Boolean):
        high = inputs.BIGINT_MAX if isinstance(kind, BigInteger) else inputs.INT_MAX
        low = inputs.BIGINT_MIN if isinstance(kind, BigInteger) else inputs.INT_MIN
        return lambda value: inputs.check_int(value, label, low=low, high=high)
    if isinstance(kind, DateTime):
        return lambda value: _instant(value, label)
    if isinstance(kind, Date):
        return lambda value: inputs.check_date(value, label)
    if isinstance(kind, JSON):

        def json_value(value: Any) -> Any:
            if not _json_text_ok(value):
                raise InvalidData(f"«{label}» contiene un carattere di controllo non ammesso.")
            return value

        return json_value
    return None


def _instant(value: datetime, label: str) -> datetime:
    inputs.check_date(value.date(), label)
    return value


@event.listens_for(Mapper, "mapper_configured")
def _guard_columns(mapper: Mapper[Any], class_: type) -> None:
    verbatim = getattr(class_, "__verbatim__", False)
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        check = _checker(column, verbatim, _written_by_system(column, class_))
        if check is None:
            continue

        def on_set(_target: Any, value: Any, _old: Any, _initiator: Any, check: Any = check) -> Any:
            return value if value is None else check(value)

        event.listen(getattr(class_, prop.key), "set", on_set, retval=True)


def checked_values(model: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` for a Core INSERT or UPDATE of `model`'s table (which no set-listener sees),
    passed through the same rules as an assignment to the mapped column: cleaned, made safe or
    refused (InvalidData). Keys are column names."""
    table = model.__table__  # type: ignore[attr-defined]
    verbatim = getattr(model, "__verbatim__", False)
    checked = {}
    for key, value in values.items():
        column = table.c[key]
        check = _checker(column, verbatim, _written_by_system(column, model))
        checked[key] = value if value is None or check is None else check(value)
    return checked
