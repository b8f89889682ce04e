"""Two signers firing on the same act version at once: one wins, the other gets 409 and retries."""

from __future__ import annotations

import threading

import pytest

from tests.act_factories import make_people, propose, to_signature
from tests.conftest import is_postgres
from tests.threads import committed_after_first_select
from workflow.access.models import User
from workflow.acts import operations as acts
from workflow.core.errors import StaleVersion
from workflow.extensions import db


def test_two_signatures_same_version_one_200_one_409(app, clock, token_for):
    people = make_people(clock)
    act = to_signature(propose(people, clock), people, clock)
    tokens = [token_for(people.sindaco), token_for(people.segretario)]
    act_id, version = act.id, act.version
    db.session.remove()  # the threads open their own sessions
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    messages: list[str] = []

    def sign(headers):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(
                f"/api/v1/acts/{act_id}/events/firma", headers=headers, json={"version": version}
            )
            statuses.append(response.status_code)
            if response.status_code == 409:
                messages.append(response.get_json()["error"]["message"])

    threads = [threading.Thread(target=sign, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200, 409]
    # Whether the loser was caught by the version check or by the UPDATE … WHERE version, the
    # message speaks of what it signed, not of a procedure.
    assert "procedimento" not in messages[0] and "modificat" in messages[0]
    with app.app_context():
        fresh = acts.get(act_id)
        assert fresh.version == version + 1
        assert len(acts.signatures(fresh)) == 1


@pytest.mark.skipif(
    not is_postgres(),
    reason="SQLite transactions take the write lock at their first statement (BEGIN IMMEDIATE): "
    "no writer can commit between two reads of one operation",
)
def test_a_signature_committed_between_the_reads_of_a_signature_gives_409(app, clock):
    """The Sindaco's signature sent twice from the same version (two tabs): the first commits
    right after the second's first SELECT. The second must see a stale version (409), not a
    guard's "already signed" computed on events newer than the version it read."""
    people = make_people(clock)
    act = to_signature(propose(people, clock), people, clock)
    act_id, version, signer_id = act.id, act.version, people.sindaco.id
    db.session.remove()

    def sign() -> None:
        acts.fire_event(
            act_id,
            "firma",
            expected_version=version,
            data={},
            actor=db.session.get(User, signer_id),
            clock=clock,
        )

    signer = db.session.get(User, signer_id)
    with (
        committed_after_first_select(app, "act", sign) as fired,
        pytest.raises(StaleVersion),
    ):
        acts.fire_event(
            act_id, "firma", expected_version=version, data={}, actor=signer, clock=clock
        )
    assert fired, "the first signature never ran"
    fresh = acts.get(act_id)
    assert fresh.version == version + 1
    assert len(acts.signatures(fresh)) == 1
