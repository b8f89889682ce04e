"""`flask db upgrade` builds an empty database that matches the models; downgrade undoes it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from workflow import create_app
from workflow.extensions import db


def test_upgrade_from_empty_matches_models_and_downgrade_empties(databases) -> None:
    url, name = databases.new()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == []
            db.engine.dispose()
    finally:
        databases.drop(name)
