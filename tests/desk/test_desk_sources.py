"""The desk's sections fed by the other parts of the tracker: acts, the Albo, deadlines."""

from __future__ import annotations

from datetime import timedelta

from tests.act_factories import make_people, propose, to_published
from tests.factories import open_psttm
from workflow.desk import sections as desk
from workflow.procedures import operations as procedures


def test_acts_waiting_lists_the_opinion_this_dirigente_must_give(app, clock) -> None:
    people = make_people(clock)
    act = propose(people, clock)
    section = desk.acts_waiting(desk_context(people.dirigente, clock))
    assert [item.act.id for item in section.items] == [act.id]
    other = desk.acts_waiting(desk_context(people.albo, clock))
    assert other.items == []


def test_albo_section_lists_publications_ending_within_a_week(app, clock) -> None:
    people = make_people(clock)
    act = to_published(propose(people, clock), people, clock)
    context = desk_context(people.direzione, clock)
    assert desk.albo_ending_this_week(context).items == []  # 15 days left
    clock.instant += timedelta(days=9)
    ending = desk.albo_ending_this_week(desk_context(people.direzione, clock)).items
    assert [a.id for a in ending] == [act.id]


def test_deadlines_section_shows_overdue_planned_milestones(app, direzione, clock) -> None:
    procedure = open_psttm(direzione, clock)
    procedures.plan_milestones(
        procedure.id,
        expected_version=procedure.version,
        planned={"avvio": clock.now().date() - timedelta(days=3)},
        actor=direzione,
        clock=clock,
    )
    section = desk.deadlines_due(desk_context(direzione, clock))
    assert len(section.items) == 1 and section.items[0].due_date < clock.now().date()


def desk_context(user, clock) -> desk.DeskContext:
    from workflow.core.clock import rome_today

    today = rome_today(clock)
    return desk.DeskContext(user, clock, today, desk.open_index(), desk.Reader(today))
