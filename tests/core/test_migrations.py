"""`flask db upgrade` builds an empty database that matches the models; downgrade undoes it."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, inspect

from workflow import create_app
from workflow.access import rights
from workflow.extensions import NAMING_CONVENTION, db

# The revision before the one that dropped the benchmarks' scratch table.
BEFORE_BENCH_ROWS_DROPPED = "f3b9c1d2e6a7"


def test_upgrade_from_empty_matches_models_and_downgrade_empties(databases) -> None:
    url, name = databases.new()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            with db.engine.connect() as conn:
                opts = {
                    "include_object": app.extensions["migrate"].configure_args["include_object"]
                }
                diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
            assert diff == []
            db.engine.dispose()
    finally:
        databases.drop(name)


def test_the_product_has_no_bench_endpoints_and_no_bench_rows_table(
    app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The benchmarks mount their baselines themselves (bench/baseline.py): a migrated database
    has no `bench_rows`, and no app has a bench route or right, whatever the environment says."""
    assert "bench_rows" not in inspect(db.engine).get_table_names()
    assert "bench_rows" not in db.metadata.tables
    monkeypatch.setenv("WORKFLOW_BENCH_ENDPOINTS", "1")  # the switch that used to add them
    asked_for_bench = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    for each in (app, asked_for_bench):
        rules = list(each.url_map.iter_rules())
        assert [r.endpoint for r in rules if r.endpoint.startswith("bench")] == []
        assert [r.rule for r in rules if "/bench" in r.rule] == []
        assert "BENCH_ENDPOINTS" not in each.config
        assert rights.routes(each) == rights.ROUTES
    with asked_for_bench.app_context():
        db.engine.dispose()
    assert [e for e in rights.ROUTES if e.startswith("bench")] == []
    assert [b for b in rights.API_BLUEPRINTS if b.startswith("bench")] == []


def test_dropping_bench_rows_downgrades_to_the_table_as_it_was(databases) -> None:
    """One step down recreates `bench_rows` as the spine migration made it; up drops it again."""
    as_it_was = MetaData(naming_convention=NAMING_CONVENTION)
    Table(
        "bench_rows",
        as_it_was,
        Column("id", Integer, primary_key=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    url, name = databases.new()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            downgrade(revision=BEFORE_BENCH_ROWS_DROPPED)
            only_bench_rows = {
                "include_name": lambda name, type_, _: type_ != "table" or name == "bench_rows"
            }
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts=only_bench_rows)
                assert compare_metadata(context, as_it_was) == []
            reflected = inspect(db.engine)
            assert reflected.get_pk_constraint("bench_rows")["name"] == "pk_bench_rows"
            assert [c["nullable"] for c in reflected.get_columns("bench_rows")] == [False, False]
            upgrade()
            assert "bench_rows" not in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        databases.drop(name)
