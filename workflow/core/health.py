"""`/health`: whether this process can serve, for a load balancer or a monitor (no login)."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from workflow.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[dict[str, str], int]:
    """200 {"status": "ok"} when the database answers a query; 503 {"status": "unavailable"}
    when it does not (unreachable, refused, wrong credentials). The reason goes to the log, never
    to the caller, who needs no login."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("Health check: il database non risponde: %r", exc)
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
