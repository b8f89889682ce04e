"""Registers (protocollo, repertorio generale, albo): one counter per register and year, and the
entries it numbered.

DPR 445/2000 art. 57: the protocol number is progressive and restarts every calendar year. The
counter row is what writers lock; UNIQUE(register, year, number) on the entries is the backstop
that makes a duplicate impossible even if the locking were ever wrong.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db

PROTOCOLLO = "protocollo"
REPERTORIO = "repertorio_generale"
ALBO = "albo"

REGISTER_LABELS: dict[str, str] = {
    PROTOCOLLO: "Protocollo",
    REPERTORIO: "Repertorio Generale",
    ALBO: "Albo pretorio online",
}
REGISTERS: tuple[str, ...] = tuple(REGISTER_LABELS)

_REGISTER_CHECK = "register IN (" + ", ".join(f"'{r}'" for r in REGISTERS) + ")"


class RegisterCounter(db.Model):
    """The last number given in one register and year; row-locked by every allocation."""

    __tablename__ = "register_counters"
    __table_args__ = (
        CheckConstraint(_REGISTER_CHECK, name="known_register"),
        CheckConstraint("last_number >= 0", name="last_number_not_negative"),
    )

    register: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
    # Set once when an office migrates here: the last number its previous system gave that year.
    started_from: Mapped[int | None]
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RegisterEntry(db.Model):
    """One number given: when (the system's instant), to what, with what subject and fingerprint.

    Read-only once written (DPR 445/2000 art. 53): services never update or delete these rows.
    """

    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("register", "year", "number", name="uq_register_entries_number"),
        CheckConstraint(_REGISTER_CHECK, name="known_register"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(String(30))
    year: Mapped[int]
    number: Mapped[int]
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    subject: Mapped[str] = mapped_column(String(1000), default="")
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
