"""An act (decree, delibera), the events of its life and its documents with their fingerprints.

Acts are never deleted: a withdrawn act or an annulled publication keeps every row, with the
reason (DPR 445/2000 art. 54; AgID Linee guida 2021: annul, never edit or delete).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db


class Act(db.Model):
    __tablename__ = "acts"
    __table_args__ = (
        UniqueConstraint("repertorio_year", "repertorio_number", name="uq_acts_repertorio"),
        UniqueConstraint("protocollo_year", "protocollo_number", name="uq_acts_protocollo"),
        UniqueConstraint("albo_year", "albo_number", name="uq_acts_albo"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("published_to IS NULL OR published_to >= published_from", name="window"),
        CheckConstraint("publication_days >= 1", name="publication_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    act_type: Mapped[str] = mapped_column(String(40))
    # The act machine this act started on (definitions: the hash of atto.yaml's content).
    definition_version: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"), index=True)

    # The proposal (DPR 445/2000 artt. 56, 64: classification by titolario is mandatory).
    oggetto: Mapped[str] = mapped_column(String(1000))
    titolario: Mapped[str] = mapped_column(String(20))
    fascicolo_anno: Mapped[int]
    fascicolo_numero: Mapped[int]
    proponente: Mapped[str] = mapped_column(String(200))
    materia: Mapped[str] = mapped_column(String(200))
    struttura: Mapped[str] = mapped_column(String(200))
    # The whole text of a decree or delibera can be long; still bounded.
    testo: Mapped[str] = mapped_column(Text, info={"max_length": 200_000})
    # SHA-256 of the current proposal version: every opinion and signature names the one it covers.
    proposal_sha256: Mapped[str] = mapped_column(String(64))
    proposal_revision: Mapped[int] = mapped_column(default=1)

    # Numbers, given by the registers in the transaction that adopts the act.
    repertorio_year: Mapped[int | None]
    repertorio_number: Mapped[int | None]
    repertorio_date: Mapped[date | None] = mapped_column(Date)
    approval_date: Mapped[date | None] = mapped_column(Date)
    protocollo_year: Mapped[int | None]
    protocollo_number: Mapped[int | None]
    # TUEL art. 134 c. 4: a delibera declared immediately executable, with the vote that did it.
    immediately_executable: Mapped[bool] = mapped_column(default=False)
    executability_vote: Mapped[str] = mapped_column(String(300), default="")

    # Publication (TUEL art. 124: fifteen consecutive days unless the act type says otherwise).
    albo_year: Mapped[int | None]
    albo_number: Mapped[int | None]
    publication_days: Mapped[int] = mapped_column(default=15)
    published_from: Mapped[date | None] = mapped_column(Date)
    published_to: Mapped[date | None] = mapped_column(Date)

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    events: Mapped[list[ActEvent]] = relationship(
        back_populates="act", order_by="ActEvent.id", lazy="selectin"
    )
    documents: Mapped[list[ActDocument]] = relationship(
        back_populates="act", order_by="ActDocument.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def fascicolo(self) -> str:
        return f"{self.titolario}/{self.fascicolo_anno}/{self.fascicolo_numero}"


class ActEvent(db.Model):
    """One fired event: an opinion, a signature, a number, a publication… each its own time."""

    __tablename__ = "act_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("acts.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The proposal version this event was given on (opinions and signatures are bound to it).
    proposal_sha256: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_role: Mapped[str] = mapped_column(String(40))

    act: Mapped[Act] = relationship(back_populates="events")
    recorded_by: Mapped[Any] = relationship("User", lazy="joined")


class ActDocument(db.Model):
    """A stored PDF with its role and SHA-256 (raw digest kept, hex shown).

    Roles (`kind`): "atto" (the signed act), "allegato" (an annex that may be published),
    "non_pubblicabile" (kept for the offices only), "omissis" (the version for publication of
    `original`, which then stays internal: Garante privacy 243/2014), "referto" (the signed
    referto di pubblicazione). `published` is the Ufficio Albo's choice at `pubblica`; a
    withdrawn upload keeps its row, with who withdrew it, when and why (never deleted).
    """

    __tablename__ = "act_documents"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('atto', 'allegato', 'non_pubblicabile', 'omissis', 'referto')",
            name="known_kind",
        ),
        CheckConstraint("size > 0", name="size_positive"),
        # Only a version for publication points to its original, and it always does.
        CheckConstraint(
            "(kind = 'omissis' AND original_id IS NOT NULL) "
            "OR (kind <> 'omissis' AND original_id IS NULL)",
            name="omissis_has_original",
        ),
        CheckConstraint(
            "(withdrawn_at IS NULL AND withdrawn_by_id IS NULL AND withdrawn_reason IS NULL) "
            "OR (withdrawn_at IS NOT NULL AND withdrawn_by_id IS NOT NULL "
            "AND withdrawn_reason IS NOT NULL)",
            name="withdrawal_complete",
        ),
        CheckConstraint(
            "NOT (published AND withdrawn_at IS NOT NULL)", name="withdrawn_unpublished"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("acts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    original_id: Mapped[int | None] = mapped_column(ForeignKey("act_documents.id"))
    published: Mapped[bool] = mapped_column(default=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why it was withdrawn, as typed (several lines allowed).
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, info={"max_length": 2000})
    original_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # What pyHanko found: "firmato" (all intact), "non_firmato", "firma_non_integra", "illeggibile".
    signature_status: Mapped[str] = mapped_column(String(30))

    act: Mapped[Act] = relationship(back_populates="documents")
    withdrawn_by: Mapped[Any] = relationship("User", foreign_keys=[withdrawn_by_id], lazy="joined")
    signatures: Mapped[list[DocumentSignature]] = relationship(
        back_populates="document", order_by="DocumentSignature.id", lazy="selectin"
    )

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex()


# Read from the signed PDF, not typed: made safe and cut to size by the column guard, never refused.
FROM_CERTIFICATE = {"written_by": "system"}


class DocumentSignature(db.Model):
    """One embedded PAdES signature as validated at upload."""

    __tablename__ = "document_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("act_documents.id"), index=True)
    field_name: Mapped[str] = mapped_column(String(200), info=FROM_CERTIFICATE)
    signer_name: Mapped[str] = mapped_column(String(300), info=FROM_CERTIFICATE)
    # From the certificate subject's serialNumber "TINIT-<codice>" (ETSI EN 319 412-1), if any.
    codice_fiscale: Mapped[str | None] = mapped_column(String(16), info=FROM_CERTIFICATE)
    signing_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    intact: Mapped[bool]
    # Nothing changed after the signature beyond what it allows (pyHanko's difference analysis:
    # later signatures, form filling); None on rows validated before that check was recorded.
    modification_ok: Mapped[bool | None]
    # Chain to a configured trust root (SIGNATURE_TRUST_ROOTS); False when none is configured.
    trusted: Mapped[bool]
    # Whether trust roots were configured when it was validated (else "trusted" means nothing).
    trust_checked: Mapped[bool] = mapped_column(default=False, server_default=false())
    summary: Mapped[str] = mapped_column(String(500), info=FROM_CERTIFICATE)

    document: Mapped[ActDocument] = relationship(back_populates="signatures")
