"""The desk after login, the paginated list and the comparison across trienni."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from tests.conftest import login
from tests.factories import PRESENTATIONS, TO_ADOPTED, TO_CONSULTATION, open_psttm, run
from workflow.desk import sections as desk
from workflow.extensions import db
from workflow.procedures import browse
from workflow.procedures import operations as procedures

TODAY = date(2025, 7, 1)  # the FixedClock of the fixtures, in Europe/Rome


def plan(procedure, actor, clock, **dates: date):
    return procedures.plan_milestones(
        procedure.id, expected_version=procedure.version, planned=dates, actor=actor, clock=clock
    )


def test_root_after_login_is_the_desk(client, direzione) -> None:
    response = login(client, "direzione")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Scrivania</h1>" in page and "Oggi è il 01/07/2025" in page


def test_overdue_procedures_come_first(direzione, clock) -> None:
    on_time = open_psttm(direzione, clock, start=2026)
    plan(on_time, direzione, clock, avvio=date(2025, 9, 1))
    late = run(open_psttm(direzione, clock, start=2025), TO_CONSULTATION, direzione, clock)
    plan(late, direzione, clock, commissione=date(2025, 6, 20), adozione=date(2025, 5, 1))
    unplanned = open_psttm(direzione, clock, start=2027)

    rows = desk.open_page(1, TODAY).items
    assert [r.procedure.id for r in rows] == [late.id, on_time.id, unplanned.id]
    # the earliest planned milestone not yet recorded, whatever its position in the plan
    assert rows[0].deadline.label == "Adozione del Piano (Consiglio metropolitano)"
    assert rows[0].deadline.days_left == -61 and rows[0].deadline.overdue
    assert rows[1].deadline.days_left == 62 and not rows[1].deadline.overdue
    assert rows[2].deadline is None
    assert desk.count_overdue(TODAY) == 1


def test_recorded_milestones_are_not_deadlines_any_more(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    plan(procedure, direzione, clock, schema=date(2025, 2, 1), forum=date(2025, 9, 30))
    (row,) = desk.open_page(1, TODAY).items
    assert row.deadline.label == "Presentazione al Forum metropolitano"
    assert row.deadline.days_left == 91


def test_next_steps_and_who_must_act_come_from_the_machine(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    (row,) = desk.open_page(1, TODAY).items
    assert row.phase == "FASE 2 — Costruzione proposta piano"
    # adoption is guarded until all three presentations are recorded, so it is not "next" yet
    assert [s.event for s in row.next_steps] == PRESENTATIONS
    assert row.who == ["Direzione Generale"]

    run(procedure, PRESENTATIONS, direzione, clock)
    (row,) = desk.open_page(1, TODAY).items
    assert [s.event for s in row.next_steps] == ["adotta"]
    assert row.who == ["Direzione Generale", "Segretario Generale"]
    assert row.phase == "FASE 3 — Approvazione"


def test_todo_holds_only_the_steps_this_user_may_record_now(make_user, direzione, clock) -> None:
    segretario = make_user("segretario_generale")
    sindaco = make_user("sindaco")
    in_consultation = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    fresh = open_psttm(direzione, clock, start=2026)

    assert [(i.procedure.id, i.step.event) for i in desk.todo(sindaco, clock)[0]] == [
        (fresh.id, "avvia")
    ]
    assert desk.todo(segretario, clock)[0] == []  # adoption refused until the presentations
    run(in_consultation, PRESENTATIONS, direzione, clock)
    assert [i.step.event for i in desk.todo(segretario, clock)[0]] == ["adotta"]
    assert {i.step.event for i in desk.todo(direzione, clock)[0]} == {"adotta", "avvia"}


def test_todo_is_capped_and_says_there_is_more(direzione, clock) -> None:
    for start in range(2030, 2034):
        open_psttm(direzione, clock, start=start)
    items, more = desk.todo(direzione, clock, limit=3)
    assert len(items) == 3 and more
    items, more = desk.todo(direzione, clock, limit=4)
    assert len(items) == 4 and not more


def test_closed_procedures_are_not_on_the_desk(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_ADOPTED, direzione, clock)
    run(procedure, ["parere_conferenza", "approva"], direzione, clock)
    assert desk.open_page(1, TODAY).total == 0
    assert desk.todo(direzione, clock)[0] == []


def test_desk_paginates_the_open_procedures(client, direzione, clock) -> None:
    for start in range(2030, 2030 + desk.OPEN_PER_PAGE + 2):
        open_psttm(direzione, clock, start=start)
    login(client, "direzione")
    first = client.get("/").get_data(as_text=True)
    second = client.get("/?pagina=2").get_data(as_text=True)
    assert "Pagina 1 di 2" in first and "PSTTM 2046-2048" in first
    assert "Pagina 2 di 2" in second and "PSTTM 2030-2032" in second
    assert "PSTTM 2030-2032" not in first
    assert client.get("/?pagina=99").status_code == 200  # past the end: the last page


def test_desk_reads_a_fixed_number_of_queries_whatever_the_number_of_procedures(
    client, direzione, clock
) -> None:
    """A page never loads every procedure's steps: one grouped query per page, not one per row."""
    login(client, "direzione")

    def statements_for(path: str) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    run(open_psttm(direzione, clock, start=2025), TO_CONSULTATION, direzione, clock)
    few = statements_for("/"), statements_for("/procedimenti")
    for start in range(2030, 2042):
        run(open_psttm(direzione, clock, start=start), ["avvia"], direzione, clock)
    assert (statements_for("/"), statements_for("/procedimenti")) == few


def test_a_new_provider_plugs_into_the_desk(direzione, clock) -> None:
    def waiting(ctx: desk.DeskContext) -> desk.Section:
        return desk.Section("prova", "Prova", ["voce"], "Niente.")

    def silent(ctx: desk.DeskContext) -> None:
        return None

    result = desk.desk_for(direzione, clock=clock, providers=(waiting, silent))
    assert [s.key for s in result.sections] == ["prova"]  # a provider with nothing says nothing


def test_desk_shows_acts_albo_and_deadlines_sections(direzione, clock) -> None:
    keys = [s.key for s in desk.desk_for(direzione, clock=clock).sections]
    assert keys == ["da_fare", "atti", "albo", "scadenze", "procedimenti"]


def test_list_filters_by_title_status_and_year_and_paginates(client, direzione, clock) -> None:
    for start in range(2001, 2001 + browse.PER_PAGE + 3):
        open_psttm(direzione, clock, start=start)
    closed = run(open_psttm(direzione, clock, start=2040), TO_ADOPTED, direzione, clock)
    run(closed, ["parere_conferenza", "approva"], direzione, clock)
    login(client, "direzione")

    page = client.get("/procedimenti").get_data(as_text=True)
    assert "Pagina 1 di 2 (24 in tutto)" in page
    only_closed = client.get("/procedimenti?stato=conclusi").get_data(as_text=True)
    assert "PSTTM 2040-2042" in only_closed and "PSTTM 2001-2003" not in only_closed
    by_year = client.get("/procedimenti?anno=2004").get_data(as_text=True)
    assert "(3 trovati)" in by_year  # 2002-2004, 2003-2005, 2004-2006
    by_title = client.get("/procedimenti?q=2010-2012&stato=aperti").get_data(as_text=True)
    assert "(1 trovato)" in by_title and "PSTTM 2010-2012" in by_title
    literal = client.get("/procedimenti?q=%25").get_data(as_text=True)
    assert "(0 trovati)" in literal  # "%" is a character to look for, not a wildcard


def test_comparison_measures_each_phase_on_the_demo(demo_app, client) -> None:
    definition, page = browse.comparison_page("psttm", 1, TODAY)
    by_title = {row.procedure.period_start: row for row in page.items}
    old, new = by_title[2022], by_title[2025]
    assert [(s.days, s.done) for s in old.spans] == [(107, True), (147, True), (201, True)]
    assert old.total_days == 455 and old.end == date(2023, 6, 13)
    # 2025-2027: FASE 1 from the avvio (22/10/2024) to the linee guida (31/01/2025); FASE 2 to
    # the Forum (27/03/2025) and FASE 3 to the approval (30/06/2025), the demo's illustrative
    # continuation
    assert [(s.days, s.done) for s in new.spans] == [(101, True), (55, True), (95, True)]
    means = [a.mean for a in browse.averages(page.items, definition)]
    # FASE 1 also counts 2026-2028, in progress on the tests' day (avvio 17/04, linee guida 17/05)
    assert means == [79, 101, 148]

    login(client, "direzione", "demo-direzione")
    html = client.get("/procedimenti/confronto").get_data(as_text=True)
    assert "95 giorni" in html and "201 giorni" in html and "<svg" in html
