"""The procedure tracker of the Città metropolitana: PSTTM procedures, decrees and the Albo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from workflow import database  # noqa: F401  (registers the SQLite engine events)
from workflow.clock import SystemClock, format_date, format_instant
from workflow.config import from_environment
from workflow.extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
MAX_ID = 2**31 - 1


class DatabaseId(IntegerConverter):
    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. No side effects: it never migrates, seeds or starts the scheduler."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    app.config.setdefault("CLOCK", SystemClock())
    # Ids in URLs fit the database's integer columns: a larger one is simply not found (404),
    # never an overflow error from PostgreSQL.
    app.url_map.converters["int"] = DatabaseId
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    from workflow import cli, models  # noqa: F401
    from workflow.web import (
        access,
        acts,
        acts_api,
        admin,
        albo,
        api,
        api_contributions,
        api_deadlines,
        audit,
        auth,
        contributions,
        deadlines,
        desk,
        errors,
        procedures,
        security,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(procedures.bp)
    app.register_blueprint(deadlines.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(admin.bp)
    csrf.exempt(api.bp)  # token-authenticated, never reads the session cookie
    app.register_blueprint(api_deadlines.bp)
    csrf.exempt(api_deadlines.bp)
    app.register_blueprint(acts.bp)
    app.register_blueprint(acts_api.bp)
    csrf.exempt(acts_api.bp)
    app.register_blueprint(albo.bp)
    app.register_blueprint(contributions.bp)
    app.register_blueprint(api_contributions.bp)
    csrf.exempt(api_contributions.bp)
    errors.register(app)
    security.register(app)
    access.register(app)
    cli.register(app)
    if app.config["BENCH_ENDPOINTS"]:
        from workflow.web import bench

        app.register_blueprint(bench.bp)
        app.register_blueprint(bench.pages_bp)
        csrf.exempt(bench.bp)

    app.jinja_env.filters["data"] = format_date
    app.jinja_env.filters["istante"] = format_instant
    return app
