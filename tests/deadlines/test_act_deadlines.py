"""Issue 5's rules for acts: opinions due within N working days, the relata after the window."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.act_factories import FAVOREVOLE, fire, make_people, propose, to_published
from workflow.deadlines.models import CANCELLED, MET, OPEN, Deadline
from workflow.extensions import db


def deadline(act, key: str) -> Deadline:
    return db.session.scalars(
        select(Deadline).where(Deadline.source_key == f"act:{act.id}:{key}")
    ).one()


def test_a_proposal_asks_the_dirigente_for_the_opinion_within_five_working_days(app, clock):
    people = make_people(clock)
    act = propose(people, clock)  # Tuesday 01/07/2025
    asked = deadline(act, "parere_tecnico")
    assert (asked.state, asked.responsible_role) == (OPEN, "dirigente")
    assert asked.due_date == date(2025, 7, 8)  # 5 working days, start day excluded


def test_the_opinion_given_meets_it_and_a_withdrawal_cancels_the_next(app, clock):
    people = make_people(clock)
    act = propose(people, clock)
    act = fire(act, "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)
    assert deadline(act, "parere_tecnico").state == MET
    waiting = next(
        d
        for d in db.session.scalars(select(Deadline))
        if d.source_key.startswith(f"act:{act.id}:") and d.state == OPEN
    )
    fire(act, "ritira", people.direzione, clock, motivazione="Superato da altro atto.")
    db.session.refresh(waiting)
    assert waiting.state == CANCELLED


def test_publication_opens_the_relata_deadline_after_the_window(app, clock):
    people = make_people(clock)
    act = to_published(propose(people, clock), people, clock)
    relata = deadline(act, "relata")
    assert relata.responsible_role == "segretario_generale"
    # window 01/07 → 15/07/2025 (15 days, first counted); relata the next working day
    assert relata.due_date == date(2025, 7, 16)
