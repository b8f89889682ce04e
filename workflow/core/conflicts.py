"""The database constraints whose violation is a real conflict with data already registered.

The services check these before writing; the constraint is what still refuses the second of two
writers racing past the same check (two offices opening the same triennio, two administrators
creating the same username). Those become a 409 with an Italian message. Any other integrity
error (NOT NULL, CHECK, a foreign key, a unique value no user can choose) is a bug: it is not
dressed up as a conflict but raised, and the error handler logs it and answers 500.

Names follow the models' naming convention (workflow/extensions.py) and the migrations; a test
checks every entry against the migrated schema. PostgreSQL names the violated constraint
(psycopg: `diag.constraint_name`); SQLite only says "UNIQUE constraint failed: table.column, …",
so there a constraint is recognised by its table and columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from workflow.core.errors import Conflict

_SQLITE_UNIQUE = "UNIQUE constraint failed: "


@dataclass(frozen=True)
class Named:
    """A unique (or primary key) constraint, where it is, and what its violation means."""

    name: str
    table: str
    columns: tuple[str, ...]
    message: str


_TAKEN = "è già stato assegnato a un altro"
CONFLICTS = (
    Named(
        "uq_procedures_kind_period",
        "procedures",
        ("kind", "period_start"),
        "Esiste già un procedimento dello stesso tipo per questo triennio.",
    ),
    Named(
        "uq_users_username",
        "users",
        ("username",),
        "Esiste già un utente con questo nome utente.",
    ),
    Named(
        "uq_consultations_procedure_id",
        "consultations",
        ("procedure_id",),
        "La consultazione di questo procedimento è già aperta.",
    ),
    Named(
        "uq_bodies_kind_name",
        "bodies",
        ("kind", "name"),
        "Esiste già un ente dello stesso tipo con questo nome.",
    ),
    Named(
        "uq_body_addresses",
        "body_addresses",
        ("body_id", "address"),
        "Questo indirizzo è già registrato per l'ente.",
    ),
    Named(
        "uq_register_entries_number",
        "register_entries",
        ("register", "year", "number"),
        f"Il numero del registro {_TAKEN} documento: riprova.",
    ),
    Named(
        "uq_protocol_annulments_entry_id",
        "protocol_annulments",
        ("entry_id",),
        "La registrazione di protocollo è già annullata.",
    ),
    Named(
        "uq_contributions_protocol",
        "contributions",
        ("protocol_register", "protocol_year", "protocol_number"),
        f"Il numero di protocollo {_TAKEN} contributo: riprova.",
    ),
    Named(
        "uq_acts_repertorio",
        "acts",
        ("repertorio_year", "repertorio_number"),
        f"Il numero di repertorio generale {_TAKEN} atto: riprova.",
    ),
    Named(
        "uq_acts_protocollo",
        "acts",
        ("protocollo_year", "protocollo_number"),
        f"Il numero di protocollo {_TAKEN} atto: riprova.",
    ),
    Named(
        "uq_acts_albo",
        "acts",
        ("albo_year", "albo_number"),
        f"Il numero di pubblicazione all'Albo {_TAKEN} atto: riprova.",
    ),
    Named(
        "pk_mail_settings",  # created on first use: two first uses of one user's settings
        "mail_settings",
        ("user_id",),
        "Le impostazioni di posta sono state create nel frattempo da un'altra richiesta: riprova.",
    ),
    # Two schedulers (or the job and `flask protocollo giornaliero`) on the same day at once.
    Named(
        "uq_daily_registers_register_day",
        "daily_registers",
        ("register", "day"),
        "Il registro giornaliero di questo giorno è stato prodotto nel frattempo: riprova.",
    ),
    Named(
        "uq_daily_register_handovers_daily_register_id",
        "daily_register_handovers",
        ("daily_register_id",),
        "Il registro giornaliero di questo giorno è stato consegnato nel frattempo: riprova.",
    ),
)
_BY_NAME = {c.name: c for c in CONFLICTS}
_BY_COLUMNS = {(c.table, frozenset(c.columns)): c for c in CONFLICTS}


def violated(exc: IntegrityError) -> Named | None:
    """The constraint of CONFLICTS that `exc` reports, or None for any other violation."""
    diagnostics = getattr(exc.orig, "diag", None)  # psycopg (PostgreSQL)
    name = getattr(diagnostics, "constraint_name", None)
    if name:
        return _BY_NAME.get(name)
    message = str(exc.orig)
    if not message.startswith(_SQLITE_UNIQUE):
        return None
    qualified = [part.strip() for part in message[len(_SQLITE_UNIQUE) :].split(",")]
    tables = {part.partition(".")[0] for part in qualified}
    columns = frozenset(part.partition(".")[2] for part in qualified)
    if len(tables) != 1:
        return None
    return _BY_COLUMNS.get((tables.pop(), columns))


def as_conflict(exc: IntegrityError) -> Conflict | None:
    """The 409 that `exc` means, with its Italian message, or None when it is not a conflict."""
    named = violated(exc)
    return Conflict(named.message) if named else None
