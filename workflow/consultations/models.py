"""The territory (Comuni, Unioni, Forum members and their addresses), consultation windows, the
contributions received in them, and the protocol counter that numbers them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db

COMUNE, UNIONE, FORUM = "comune", "unione", "forum"
BODY_KINDS = (COMUNE, UNIONE, FORUM)
CHANNELS = {
    "pec": "PEC",
    "email": "Posta elettronica",
    "posta": "Posta ordinaria",
    "mano": "Consegna a mano",
    "portale": "Portale",
}


class Body(db.Model):
    """A body that can be invited to a consultation: a Comune (with its Zona omogenea), an Unione
    di Comuni, or a member of the Forum metropolitano."""

    __tablename__ = "bodies"
    __table_args__ = (
        UniqueConstraint("kind", "name", name="uq_bodies_kind_name"),
        CheckConstraint("kind IN ('comune', 'unione', 'forum')", name="known_kind"),
        # A Comune always belongs to a zone (Milano to its own); others never do.
        CheckConstraint("(kind = 'comune') = (zone IS NOT NULL)", name="zone_for_comuni"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str | None] = mapped_column(String(40), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    addresses: Mapped[list[BodyAddress]] = relationship(
        back_populates="body", order_by="BodyAddress.id", cascade="all, delete-orphan"
    )


class BodyAddress(db.Model):
    """A PEC or e-mail address where the body receives reminders; staff edit them."""

    __tablename__ = "body_addresses"
    __table_args__ = (UniqueConstraint("body_id", "address", name="uq_body_addresses"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    address: Mapped[str] = mapped_column(String(254))

    body: Mapped[Body] = relationship(back_populates="addresses")


class UnionMember(db.Model):
    __tablename__ = "union_members"

    union_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True)
    comune_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True)


class Consultation(db.Model):
    """The window in which invited bodies send contributions on a procedure's draft plan."""

    __tablename__ = "consultations"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), unique=True)
    deadline: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(Text, default="")
    # The figures at closing and the SHA-256 of the CSV export they were drawn from: what the
    # adoption step cites.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary_sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )
    contributions: Mapped[list[Contribution]] = relationship(
        back_populates="consultation", order_by="Contribution.received_at"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class Invitation(db.Model):
    __tablename__ = "consultation_invitations"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True)

    consultation: Mapped[Consultation] = relationship(back_populates="invitations")
    body: Mapped[Body] = relationship(lazy="joined")


class Contribution(db.Model):
    """A contribution received: registered once with its protocol number and file fingerprint,
    never edited afterwards (DPR 445/2000 art. 53)."""

    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint(
            "protocol_register",
            "protocol_year",
            "protocol_number",
            name="uq_contributions_protocol",
        ),
        CheckConstraint("protocol_number >= 1", name="protocol_positive"),
        CheckConstraint("file_size > 0", name="file_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(20))
    late: Mapped[bool]
    protocol_register: Mapped[str] = mapped_column(String(40))
    protocol_year: Mapped[int]
    protocol_number: Mapped[int]
    # The contribution's incoming registration in the protocol register (workflow/protocollo);
    # set for every contribution registered since the register has one.
    protocol_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_entries.id"), unique=True
    )
    summary: Mapped[str] = mapped_column(Text)
    themes: Mapped[list[str]] = mapped_column(JSON)
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    consultation: Mapped[Consultation] = relationship(back_populates="contributions")
    body: Mapped[Body] = relationship(lazy="joined")

    @property
    def protocol(self) -> str:
        """Shown with seven digits (DPR 445/2000 art. 57): 0000001/2025."""
        return f"{self.protocol_number:07d}/{self.protocol_year}"
