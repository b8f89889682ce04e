"""Two users advancing the same procedure from the same version: one wins, the other gets 409."""

from __future__ import annotations

import threading

from tests.factories import STEP_DATA, TO_CONSULTATION, open_psttm, run
from workflow.extensions import db


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
        from workflow.services import procedures

        fresh = procedures.get(pid)
        assert fresh.version == version + 1
        assert len(fresh.steps) == len(TO_CONSULTATION) + 1
