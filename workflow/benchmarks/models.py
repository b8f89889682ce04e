"""A scratch table for the benchmark baseline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db


class BenchRow(db.Model):
    """Rows written by the benchmark's bare endpoint (bench/advance.py); nothing else uses it."""

    __tablename__ = "bench_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
