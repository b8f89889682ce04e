"""Every version of a definition that a procedure or an act was started with, kept in the
database: a deploy that changes or removes the file never strands what is running on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db


class DefinitionVersion(db.Model):
    """One version of one kind: its canonical content (what the version hashes), the file as it
    was written (comments included) and when it was first used. Only ever added."""

    __tablename__ = "definition_versions"
    # The content is what the version hashes: checked (no NUL), never rewritten.
    __verbatim__ = True
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_definition_versions_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The SHA-256 of `content`; "1" for the versions written in Python before files existed.
    version: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(20))  # "procedimento" | "atto"
    file_name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)  # canonical JSON
    source_text: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
