"""Baseline endpoint for bench/advance.py: the same stack (auth, JSON, one commit) minus the domain.

Registered only when WORKFLOW_BENCH_ENDPOINTS=1, so production never exposes it.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import insert

from workflow.extensions import db
from workflow.models import BenchRow
from workflow.web import clock

bp = Blueprint("bench", __name__, url_prefix="/api/v1/bench")


@bp.post("/bare")
def bare() -> dict[str, int]:
    db.session.execute(insert(BenchRow).values(created_at=clock().now()))
    db.session.commit()
    return {"ok": 1}
