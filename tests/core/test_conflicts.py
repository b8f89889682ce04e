"""Only the named constraints that mean a real conflict become a 409; any other integrity error
(a NOT NULL or CHECK bug) is raised as the bug it is, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import is_postgres
from tests.factories import open_psttm
from tests.threads import committed_after_first_select
from workflow.access.models import User
from workflow.core.conflicts import CONFLICTS
from workflow.core.errors import Conflict
from workflow.core.transaction import operation
from workflow.extensions import db
from workflow.mail import settings
from workflow.mail.models import MailSettings
from workflow.procedures.models import Procedure


@operation
def insert_row(model: type, row: dict[str, Any]) -> None:
    """What the second of two writers racing past a service's check does: insert regardless."""
    db.session.execute(insert(model).values(**row))


def copy_of(model: type, key: Any, **changes: Any) -> dict[str, Any]:
    """The row of `model` at primary key `key` as a dict of its columns, without its id."""
    found = db.session.get(model, key)
    row = {c.key: getattr(found, c.key) for c in inspect(model).column_attrs}
    row.pop("id", None)
    return {**row, **changes}


def test_a_second_procedure_for_the_same_triennio_is_a_409_naming_it(app, direzione, clock):
    procedure = open_psttm(direzione, clock)
    with pytest.raises(Conflict) as refused:
        insert_row(Procedure, copy_of(Procedure, procedure.id, title="Un altro"))
    assert refused.value.status == 409
    assert refused.value.message == (
        "Esiste già un procedimento dello stesso tipo per questo triennio."
    )
    assert db.session.scalar(select(Procedure.title).where(Procedure.id == procedure.id))


@pytest.mark.skipif(
    not is_postgres(),
    reason="SQLite transactions take the write lock at their first statement (BEGIN IMMEDIATE): "
    "no writer can commit between the check and the insert of one operation",
)
def test_two_offices_opening_the_same_triennio_at_once_one_gets_the_409(app, direzione, clock):
    """The other office commits right after our check found no procedure for 2025-2027: our
    INSERT meets the constraint, and the answer is its 409, not a 500."""
    actor_id = direzione.id
    db.session.remove()

    def other_office() -> None:
        open_psttm(db.session.get(User, actor_id), clock)

    with (
        committed_after_first_select(app, "procedures", other_office) as fired,
        pytest.raises(Conflict, match="Esiste già un procedimento dello stesso tipo"),
    ):
        open_psttm(db.session.get(User, actor_id), clock)
    assert fired, "the other office never ran"
    assert len(db.session.scalars(select(Procedure.id)).all()) == 1


def test_a_duplicate_primary_key_in_the_table_is_a_409_too(app, direzione, clock):
    """mail_settings is keyed by user: two first uses of one user's settings."""
    settings.update_settings(direzione.id, actor=direzione, clock=clock, email="d@example.org")
    with pytest.raises(Conflict, match="impostazioni di posta"):
        insert_row(MailSettings, copy_of(MailSettings, direzione.id, calendar_token="x" * 64))


def test_a_not_null_violation_is_a_bug_not_a_conflict(app, direzione, clock):
    procedure = open_psttm(direzione, clock)
    row = copy_of(Procedure, procedure.id, period_start=2031, period_end=2033, title=None)
    with pytest.raises(IntegrityError) as raised:
        insert_row(Procedure, row)
    assert not isinstance(raised.value, Conflict)
    assert "null" in str(raised.value.orig).lower()


def test_a_check_violation_is_a_bug_not_a_conflict(app, direzione, clock):
    procedure = open_psttm(direzione, clock)
    row = copy_of(Procedure, procedure.id, period_start=2031, period_end=2033, version=0)
    with pytest.raises(IntegrityError):
        insert_row(Procedure, row)


def test_every_named_conflict_is_a_constraint_of_the_migrated_schema(app):
    """Each entry's name, table and columns are those of the database the migrations built."""
    schema = inspect(db.engine)
    for named in CONFLICTS:
        found = {
            u["name"]: tuple(u["column_names"]) for u in schema.get_unique_constraints(named.table)
        }
        primary = schema.get_pk_constraint(named.table)
        found[primary["name"]] = tuple(primary["constrained_columns"])
        assert found.get(named.name) == named.columns, named.name
