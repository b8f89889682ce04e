"""The audit trail: an append-only, hash-chained list of events, and the chain's head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    # The text columns are the bytes the chain hashed: the column guard never rewrites them.
    __verbatim__ = True

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the bytes hashed
    # UNIQUE: two events can never share a predecessor, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(db.Model):
    """One row: the newest event's seq and hash. Appenders lock it, which serialises the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(db.Model):
    """A chain head (seq, hash) published as a checkpoint: shown on the public Albo pages, so that
    anyone who noted it can later prove the chain was truncated or recomputed."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
