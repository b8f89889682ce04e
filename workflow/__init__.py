"""The procedure tracker of the Città metropolitana: PSTTM procedures, decrees and the Albo."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from workflow.access.roles import role_label
from workflow.config import check_secret_key, from_environment, serving
from workflow.core import database  # noqa: F401  (registers the SQLite engine events)
from workflow.core.clock import SystemClock, format_date, format_instant
from workflow.core.inputs import INT_MAX
from workflow.core.openapi import Blueprint as ApiBlueprint
from workflow.core.openapi import init_api
from workflow.extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
MAX_ID = INT_MAX

# Every area's tables (importing a models module registers them on the metadata Alembic reads).
MODELS = [
    "workflow.access.models",
    "workflow.procedures.models",
    "workflow.acts.models",
    "workflow.acts.register_models",
    "workflow.acts.daily_models",
    "workflow.deadlines.models",
    "workflow.mail.models",
    "workflow.consultations.models",
    "workflow.audit.models",
    "workflow.protocollo.models",
    "workflow.definitions.models",
]
# Every area's blueprints, "module:attribute"; those under /api/ take a bearer token,
# not a cookie, so they are exempt from CSRF. API blueprints are registered through the Api,
# which documents their operations in /api/v1/openapi.json.
BLUEPRINTS = [
    "workflow.access.login:bp",
    "workflow.desk.views:bp",
    "workflow.procedures.views:bp",
    "workflow.deadlines.views:bp",
    "workflow.procedures.api:bp",
    "workflow.audit.views:bp",
    "workflow.access.views:bp",
    "workflow.deadlines.api:bp",
    "workflow.acts.views:bp",
    "workflow.acts.api:bp",
    "workflow.acts.albo:bp",
    "workflow.acts.albo_api:bp",
    "workflow.acts.daily_views:bp",
    "workflow.consultations.views:bp",
    "workflow.consultations.api:bp",
    "workflow.protocollo.views:bp",
    "workflow.protocollo.api:bp",
    "workflow.core.health:bp",
]
# App-wide hooks, each module's register(app): the request log (first, so it times and names
# every request), the request guard, error pages, security headers, route rights.
HOOKS = [
    "workflow.core.request_log",
    "workflow.core.requests",
    "workflow.core.error_pages",
    "workflow.core.security",
    "workflow.core.layout",
    "workflow.access.enforce",
]


def _decimal_at_most(limit: int) -> str:
    """A regex for the decimal numbers 0..`limit` (leading zeros allowed, as int() reads them)."""
    digits = str(limit)
    shorter = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    same_length = [
        rf"{digits[:i]}[0-{int(d) - 1}]\d{{{len(digits) - i - 1}}}"
        for i, d in enumerate(digits)
        if d != "0"
    ]
    return "0*(?:" + "|".join([*shorter, *same_length, digits]) + ")"


class DatabaseId(IntegerConverter):
    """An id in a URL: an integer the database's INTEGER column can hold. The bound is in the
    regex, not only in to_python: Werkzeug notes a rule's methods before it converts, so a POST
    to /procedures/2147483648/consultation, refused by to_python, came back 405 (the GET rule
    "matched"), where it is simply not found (404)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
        self.regex = _decimal_at_most(self.max)


def _declared_by_models(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object: everything but the full-text machinery (acts/fulltext.py)."""
    from workflow.acts.fulltext import is_search_object

    return not is_search_object(name, type_)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. No side effects: it never migrates, seeds or starts the scheduler.

    Raises ConfigurationError outside debug and testing when SECRET_KEY is the development key,
    and DefinitionError when a definition file (workflow/definitions, DEFINITION_DIRS) is broken.
    """
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    if serving():
        check_secret_key(app.config)
    app.config.setdefault("CLOCK", SystemClock())
    # Ids in URLs fit the database's integer columns: a larger one is simply not found (404),
    # never an overflow error from PostgreSQL.
    app.url_map.converters["int"] = DatabaseId
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    # The full-text search's own objects (FTS5 table, expression index) are not models.
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), include_object=_declared_by_models
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    api = init_api(app)

    from workflow import cli

    for module in MODELS:
        importlib.import_module(module)
    # Every definition file checked now: a broken one stops the start with its file and line.
    from workflow import definitions

    definitions.install(app)
    for name in BLUEPRINTS:
        module, _, attr = name.partition(":")
        blueprint = getattr(importlib.import_module(module), attr)
        if isinstance(blueprint, ApiBlueprint):
            api.register_blueprint(blueprint)
        else:
            app.register_blueprint(blueprint)
        if (blueprint.url_prefix or "").startswith("/api/"):
            csrf.exempt(blueprint)  # token-authenticated, never reads the session cookie
    for module in HOOKS:
        importlib.import_module(module).register(app)
    cli.register(app)

    app.jinja_env.filters["data"] = format_date
    app.jinja_env.filters["istante"] = format_instant
    app.jinja_env.filters["ruolo"] = role_label
    return app
