"""A protocol registration: the detail of one numbered entry of the protocol register, its
correspondents, its documents and, if it comes to that, its annulment.

Every row here is written once, in the transaction that numbers the entry, and never updated or
deleted (DPR 445/2000 art. 53: the registered fields are read-only); database triggers refuse
UPDATE and DELETE (migration r18protocollo1). An annulment (art. 54) is a row of its own beside
the registration, so the original stays as it was registered.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.acts.register_models import RegisterEntry
from workflow.extensions import db

ENTRATA, USCITA = "entrata", "uscita"
DIRECTIONS: dict[str, str] = {ENTRATA: "In entrata", USCITA: "In uscita"}
MITTENTE, DESTINATARIO = "mittente", "destinatario"
PRINCIPALE, ALLEGATO = "principale", "allegato"
DOCUMENT_ROLES: dict[str, str] = {PRINCIPALE: "Documento principale", ALLEGATO: "Allegato"}


class Registration(db.Model):
    """What was registered under one protocol number: direction, oggetto, the document's date,
    the sender's own protocol (incoming), the classification (titolario/anno/fascicolo)."""

    __tablename__ = "protocol_registrations"
    __table_args__ = (
        CheckConstraint("direction IN ('entrata', 'uscita')", name="known_direction"),
        # Unclassified only when registered from a procedure that has no fascicolo (a
        # contribution); then all three parts are missing, never one of them.
        CheckConstraint(
            "(titolario IS NULL AND fascicolo_anno IS NULL AND fascicolo_numero IS NULL) OR "
            "(titolario IS NOT NULL AND fascicolo_anno >= 1900 AND fascicolo_numero >= 1)",
            name="fascicolo",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), unique=True)
    direction: Mapped[str] = mapped_column(String(10), info={"label": "direzione"})
    oggetto: Mapped[str] = mapped_column(String(1000))
    document_date: Mapped[date] = mapped_column(Date, info={"label": "data del documento"})
    # Incoming: the number and date the sender gave the document in its own register, if any.
    sender_protocol: Mapped[str] = mapped_column(
        String(60), default="", info={"label": "protocollo del mittente"}
    )
    sender_protocol_date: Mapped[date | None] = mapped_column(
        Date, info={"label": "data del protocollo del mittente"}
    )
    titolario: Mapped[str | None] = mapped_column(String(20))
    fascicolo_anno: Mapped[int | None] = mapped_column(info={"label": "anno del fascicolo"})
    fascicolo_numero: Mapped[int | None] = mapped_column(info={"label": "numero del fascicolo"})
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_role: Mapped[str] = mapped_column(String(40))

    entry: Mapped[RegisterEntry] = relationship(lazy="joined")
    correspondents: Mapped[list[Correspondent]] = relationship(
        back_populates="registration", order_by="Correspondent.id", lazy="selectin"
    )
    documents: Mapped[list[RegisteredDocument]] = relationship(
        back_populates="registration", order_by="RegisteredDocument.id", lazy="selectin"
    )
    registered_by: Mapped[object] = relationship("User", lazy="joined")

    @property
    def fascicolo(self) -> str:
        """Titolario/Anno/Fascicolo ("2.16/2024/1"), or "" when not classified."""
        if self.titolario is None:
            return ""
        return f"{self.titolario}/{self.fascicolo_anno}/{self.fascicolo_numero}"


class Correspondent(db.Model):
    """A mittente (incoming) or destinatario (outgoing) with a PEC or e-mail address if known
    (a letter by post or by hand has none) and the codice fiscale / partita IVA if known."""

    __tablename__ = "protocol_correspondents"
    __table_args__ = (CheckConstraint("role IN ('mittente', 'destinatario')", name="known_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("protocol_registrations.id"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), info={"label": "denominazione"})
    address: Mapped[str] = mapped_column(String(254), default="")
    codice_fiscale: Mapped[str] = mapped_column(
        String(16), default="", info={"label": "codice fiscale"}
    )

    registration: Mapped[Registration] = relationship(back_populates="correspondents")


class RegisteredDocument(db.Model):
    """A document of the registration with its SHA-256 (hex), as registered."""

    __tablename__ = "protocol_documents"
    __table_args__ = (
        CheckConstraint("kind IN ('principale', 'allegato')", name="known_kind"),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("protocol_registrations.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]

    registration: Mapped[Registration] = relationship(back_populates="documents")


class Annulment(db.Model):
    """The annulment of a protocol entry (DPR 445/2000 art. 54): why, by whom, when, under which
    authorising act. One per entry; the entry and its registration stay as registered."""

    __tablename__ = "protocol_annulments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text, info={"label": "motivo"})
    authorising_act: Mapped[str] = mapped_column(
        String(300), info={"label": "provvedimento di autorizzazione"}
    )
    annulled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    annulled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    annulled_role: Mapped[str] = mapped_column(String(40))

    annulled_by: Mapped[object] = relationship("User", lazy="joined")
