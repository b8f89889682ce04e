"""Baselines for the benchmarks: the same stack minus the domain, mounted by the bench itself.

bench/advance.py: POST /api/v1/bench/bare (token auth, JSON, one inserted row, one commit).
bench/pages.py: GET /bench/pagina (session login, the user row, base.html rendered, no domain read).

The product knows nothing of them: `install(app)` registers the two blueprints on the app a bench
builds, grants their endpoints through the rights table's extension point (`rights.extend`, on that
app only) and creates the scratch table `bench_rows`, which lives on its own metadata so that the
product's migrations and models never see it.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, render_template
from flask_login import login_required
from sqlalchemy import DateTime, MetaData, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workflow.access import rights
from workflow.core.web import clock
from workflow.extensions import NAMING_CONVENTION, csrf, db


class BenchBase(DeclarativeBase):
    """The bench's own metadata: the product's models and migrations never see its tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BenchRow(BenchBase):
    """Rows written by the bare endpoint; nothing reads them. A mapped class, as it was in the
    product, so that the baseline's insert takes the same ORM path it always took."""

    __tablename__ = "bench_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


bp = Blueprint("bench", __name__, url_prefix="/api/v1/bench")
pages_bp = Blueprint("bench_pages", __name__, url_prefix="/bench", template_folder="templates")

RIGHTS = {
    "bench.bare": rights.Route(rights.STAFF, "l'endpoint di misura"),
    "bench_pages.minimal_page": rights.Route(rights.STAFF, "la pagina minima di misura"),
}


@bp.post("/bare")
def bare() -> dict[str, int]:
    db.session.execute(insert(BenchRow).values(created_at=clock().now()))
    db.session.commit()
    return {"ok": 1}


@pages_bp.get("/pagina")
@login_required
def minimal_page() -> str:
    return render_template("bench/minimal.html")


def install(app: Flask) -> None:
    """Mount the baselines on `app` and create their table; call it after `upgrade()`.

    After, not before: the first migrations still create `bench_rows` (a later one drops it), so a
    table created ahead of them would make `upgrade()` fail.
    """
    app.register_blueprint(bp)
    app.register_blueprint(pages_bp)
    csrf.exempt(bp)  # token-authenticated, like the product's /api/ blueprints
    rights.extend(app, RIGHTS, api_blueprints=[bp.name])
    with app.app_context():
        BenchBase.metadata.create_all(db.engine)
