"""The registro giornaliero di protocollo: what was produced for each day, and its hand-over to
preservation (conservazione).

DPR 445/2000 art. 53; DPCM 3/12/2013 (protocollo informatico) art. 7 c. 5: the daily register
of the protocol entries is produced every day and transmitted to the preservation system by the
end of the next working day; AgID Linee guida 2021 on the formation, management and preservation
of electronic documents. Both tables are append-only (database triggers, migration
r18giornaliero1): a register produced is never rewritten, a hand-over never undone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.acts.register_models import _REGISTER_CHECK
from workflow.extensions import db


class DailyRegister(db.Model):
    """The daily register of one register and one Europe/Rome calendar day: its entries' count,
    first and last number, and the SHA-256 of its two files (CSV and PDF, kept in the file
    store by that fingerprint). One per register and day: producing it again returns this row."""

    __tablename__ = "daily_registers"
    __table_args__ = (
        UniqueConstraint("register", "day", name="uq_daily_registers_register_day"),
        CheckConstraint(_REGISTER_CHECK, name="known_register"),
        CheckConstraint("entries >= 0", name="entries_not_negative"),
        # An empty day has no numbers; a day with entries has both ends.
        CheckConstraint(
            "(entries = 0 AND first_number IS NULL AND last_number IS NULL) OR "
            "(entries > 0 AND first_number IS NOT NULL AND last_number >= first_number)",
            name="numbers_match_entries",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(String(30))
    day: Mapped[date] = mapped_column(Date)  # Europe/Rome calendar day
    produced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entries: Mapped[int]
    year: Mapped[int]  # of the day: a Europe/Rome day lies in one numbering year
    first_number: Mapped[int | None]
    last_number: Mapped[int | None]
    csv_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    # Whether the PDF was written as PDF/A-2B (an embeddable font was available; see daily_pdf).
    pdf_a: Mapped[bool]
    # Who or what asked for it: the scheduler's job id or "riga di comando" (the system acts).
    produced_by: Mapped[str] = mapped_column(String(120))

    handover: Mapped[Handover | None] = relationship(
        back_populates="daily_register", uselist=False, lazy="selectin"
    )


class Handover(db.Model):
    """The hand-over of a daily register to preservation: when, into which folder, and the
    SHA-256 of the files and of the manifest written there. One per daily register."""

    __tablename__ = "daily_register_handovers"
    __table_args__ = (
        UniqueConstraint("daily_register_id", name="uq_daily_register_handovers_daily_register_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    daily_register_id: Mapped[int] = mapped_column(ForeignKey("daily_registers.id"))
    handed_over_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    target: Mapped[str] = mapped_column(String(1000))  # the package's folder
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    csv_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    handed_over_by: Mapped[str] = mapped_column(String(120))

    daily_register: Mapped[DailyRegister] = relationship(back_populates="handover")
