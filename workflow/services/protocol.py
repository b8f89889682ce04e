"""Protocol numbers for incoming documents — a minimal stand-in for the shared register.

Issue 4 builds the shared gapless register (`services/registers.py: allocate(register, *, clock)`)
in another branch; at merge, `protocol_number_for` becomes a call to it and this module goes. Until
then it keeps the same rules (DPR 445/2000 art. 57; DESIGN.md "Registers"):
- one counter row per register and year; the year is that of the registration instant in
  Europe/Rome, never a typed date, so numbering restarts at 1 on 1 January;
- the number is drawn inside the caller's transaction, with the counter row locked (SELECT … FOR
  UPDATE on PostgreSQL; on SQLite every transaction already holds the write lock, BEGIN
  IMMEDIATE in database.py): a rolled-back transaction gives its number back, so there are no gaps;
- never a database sequence, which would leave gaps on rollback; the callers keep
  UNIQUE(register, year, number) as a backstop.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflow.clock import ROME, Clock
from workflow.extensions import db
from workflow.models import ProtocolCounter

PROTOCOLLO = "protocollo"

_INSERT = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def protocol_number_for(register: str = PROTOCOLLO, *, clock: Clock) -> tuple[int, int]:
    """Draw the next number of `register` for the current year: (year, number).

    Must run inside the operation that stores the numbered record (no commit here).
    """
    year = clock.now().astimezone(ROME).year
    insert = _INSERT[db.session.get_bind().dialect.name]
    # A new year's row may be created by two transactions at once: one wins, the other does nothing
    # and then waits on the lock below.
    db.session.execute(
        insert(ProtocolCounter)
        .values(register=register, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    counter = db.session.scalar(
        select(ProtocolCounter)
        .where(ProtocolCounter.register == register, ProtocolCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None  # inserted just above or already there
    counter.last_number += 1
    db.session.flush()
    return year, counter.last_number
