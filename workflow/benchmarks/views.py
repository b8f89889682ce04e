"""Baselines for the benchmarks: the same stack minus the domain.

bench/advance.py: POST /api/v1/bench/bare (token auth, JSON, one commit).
bench/pages.py: GET /bench/pagina (session login, the user row, base.html rendered, no domain read).

Registered only when WORKFLOW_BENCH_ENDPOINTS=1, so production never exposes it.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import insert

from workflow.benchmarks.models import BenchRow
from workflow.core.web import clock
from workflow.extensions import db

bp = Blueprint("bench", __name__, url_prefix="/api/v1/bench")
pages_bp = Blueprint("bench_pages", __name__, url_prefix="/bench")


@bp.post("/bare")
def bare() -> dict[str, int]:
    db.session.execute(insert(BenchRow).values(created_at=clock().now()))
    db.session.commit()
    return {"ok": 1}


@pages_bp.get("/pagina")
@login_required
def minimal_page() -> str:
    return render_template("bench/minimal.html")
