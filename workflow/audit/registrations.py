"""What the audit trail records of a register entry, so that verify can replay it.

A register entry (acts/registers.py) is written by `allocate` inside the operation that numbers
something: the act's numbering and publication, a contribution's registration. That operation's
audit event carries the entries it wrote under the payload key `register_entries`, each as
`entry_payload` gives it; workflow/audit/coverage.py declares how verify compares them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflow.acts.register_models import RegisterEntry
from workflow.audit.chain import iso_utc
from workflow.extensions import db

PAYLOAD_KEY = "register_entries"


def entry_payload(register: str, year: int, number: int) -> dict[str, Any]:
    """The entry (register, year, number) just written, as its audit payload records it:
    `{"id", "register", "year", "number", "registered_at" (ISO-8601 UTC, "Z"), "object_type",
    "object_id", "subject", "fingerprint"}`. Read back from the row (one lookup on its unique
    key), so the payload states exactly what was stored. Raises NoResultFound if not written."""
    entry = db.session.execute(
        select(RegisterEntry).where(
            RegisterEntry.register == register,
            RegisterEntry.year == year,
            RegisterEntry.number == number,
        )
    ).scalar_one()
    return {
        "id": entry.id,
        "register": entry.register,
        "year": entry.year,
        "number": entry.number,
        "registered_at": iso_utc(entry.registered_at),
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "subject": entry.subject,
        "fingerprint": entry.fingerprint,
    }
