"""Two users advancing the same procedure from the same version: one wins, the other gets 409."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import is_postgres
from tests.factories import STEP_DATA, TO_CONSULTATION, open_psttm, run
from tests.threads import committed_after_first_select
from workflow.access.models import User
from workflow.core.errors import StaleVersion
from workflow.extensions import db
from workflow.procedures import operations as procedures


def test_two_writers_same_version_one_200_one_409(app, make_user, direzione, token_for, clock):
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    other = make_user("direzione_generale")
    tokens = [token_for(direzione), token_for(other)]
    version, pid = procedure.version, procedure.id
    db.session.remove()  # the threads open their own sessions
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def fire(headers, event):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(
                f"/api/v1/procedures/{pid}/events/{event}",
                headers=headers,
                json={"version": version, **STEP_DATA[event]},
            )
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=fire, args=(tokens[0], "esame_commissione")),
        threading.Thread(target=fire, args=(tokens[1], "presenta_forum")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200, 409]
    with app.app_context():
        fresh = procedures.get(pid)
        assert fresh.version == version + 1
        assert len(fresh.steps) == len(TO_CONSULTATION) + 1


@pytest.mark.skipif(
    not is_postgres(),
    reason="SQLite transactions take the write lock at their first statement (BEGIN IMMEDIATE): "
    "no writer can commit between two reads of one operation",
)
def test_a_writer_committing_between_the_reads_of_an_advance_gives_409(app, direzione, clock):
    """The race of the test above, made certain: the other writer commits right after the first
    SELECT of the loser's read. Whatever that read sees must be consistent with the version it
    reports, so the loser gets the 409 of a stale version, never a guard's 422 computed on steps
    newer than that version (its date, 12/03, precedes the winner's 27/03)."""
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    version, pid, actor_id = procedure.version, procedure.id, direzione.id
    db.session.remove()

    def winner() -> None:
        procedures.advance(
            pid,
            "presenta_forum",
            expected_version=version,
            data=STEP_DATA["presenta_forum"],
            actor=db.session.get(User, actor_id),
            clock=clock,
        )

    actor = db.session.get(User, actor_id)
    with (
        committed_after_first_select(app, "procedure", winner) as fired,
        pytest.raises(StaleVersion),
    ):
        procedures.advance(
            pid,
            "esame_commissione",
            expected_version=version,
            data=STEP_DATA["esame_commissione"],
            actor=actor,
            clock=clock,
        )
    assert fired, "the winner never ran"
    fresh = procedures.get(pid)
    assert fresh.version == version + 1
    assert [s.event for s in fresh.steps][-1] == "presenta_forum"
