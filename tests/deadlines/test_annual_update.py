"""The plan is updated every year (L. 56/2014 art. 1 c. 44): a deadline one year after approval,
met when the next triennio starts; and the rule's cost does not grow with the procedures."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, select

from tests.factories import STEP_DATA, TO_ADOPTED, open_psttm, run
from workflow.deadlines.models import MET, OPEN, Deadline
from workflow.extensions import db
from workflow.procedures import operations as procedures


def update_deadline(procedure) -> Deadline:
    key = f"procedure:{procedure.id}:aggiornamento"
    return db.session.scalars(select(Deadline).where(Deadline.source_key == key)).one()


def test_approval_opens_the_annual_update_and_the_next_avvio_meets_it(direzione, clock) -> None:
    approved = run(
        open_psttm(direzione, clock),
        [*TO_ADOPTED, "parere_conferenza", "approva"],
        direzione,
        clock,
    )
    deadline = update_deadline(approved)
    assert (deadline.state, deadline.due_date) == (OPEN, date(2026, 6, 30))
    run(
        open_psttm(direzione, clock, 2026),
        ["avvia"],
        direzione,
        clock,
        avvia={"numero": "120/2025", "data": "2025-07-01"},
    )
    db.session.refresh(deadline)
    assert deadline.state == MET


def statements_for_one_advance(direzione, clock, first: int, others: int, target: int) -> int:
    for start in range(first, first + others):
        run(open_psttm(direzione, clock, start), ["avvia"], direzione, clock)
    procedure = open_psttm(direzione, clock, target)
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        procedures.advance(
            procedure.id,
            "avvia",
            expected_version=procedure.version,
            data=STEP_DATA["avvia"],
            actor=direzione,
            clock=clock,
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_cost_of_an_event_does_not_grow_with_the_procedures(make_user, clock) -> None:
    few = statements_for_one_advance(make_user("direzione_generale"), clock, 2040, 2, 2030)
    many = statements_for_one_advance(make_user("direzione_generale"), clock, 2050, 25, 2031)
    assert many == few
