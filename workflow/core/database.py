"""Engine behaviour per database: how SQLite is made to take its write lock up front.

Python's sqlite3 driver opens transactions late, so a read-then-write can fail with SQLITE_BUSY;
the SQLAlchemy recipe is to let the driver do nothing and emit BEGIN IMMEDIATE ourselves. With it,
every SQLite transaction holds the write lock from its first statement: registers, the audit chain
and the optimistic lock are then serialised without a retry loop.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

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
