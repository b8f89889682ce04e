"""The service door: roles, versions, guards, audit, and the whole PSTTM path."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select, update

from tests.factories import PRESENTATIONS, STEP_DATA, TO_ADOPTED, TO_CONSULTATION, open_psttm, run
from workflow.audit.models import AuditEvent
from workflow.core.errors import (
    Conflict,
    GuardFailed,
    InvalidData,
    NotAllowed,
    NotFound,
    StaleVersion,
)
from workflow.extensions import db
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure, ProcedureStep


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_whole_path_from_avvio_to_approvazione(direzione, clock) -> None:
    procedure = run(
        open_psttm(direzione, clock),
        TO_ADOPTED + ["parere_conferenza", "approva"],
        direzione,
        clock,
    )
    assert procedure.state == "approvato"
    rows = {r.code: r for r in procedures.milestone_rows(procedure)}
    assert rows["avvio"].act == "Decreto R.G. 264/2024 del 22/10/2024"
    assert rows["schema"].act == "Decreto R.G. 43/2025 del 19/02/2025"
    assert rows["adozione"].act == "Delibera n. 12/2025 del 30/04/2025"
    assert rows["parere_conferenza"].outcome == "favorevole"
    assert all(r.actual_date for r in rows.values())


@pytest.mark.parametrize("order", list(itertools.permutations(PRESENTATIONS)))
def test_presentations_in_any_order_then_adoption(direzione, clock, order) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    dates = ["2025-03-12", "2025-03-20", "2025-03-27"]
    procedure = run(
        procedure,
        list(order),
        direzione,
        clock,
        **{event: {"data": d} for event, d in zip(order, dates, strict=True)},
    )
    assert run(procedure, ["adotta"], direzione, clock).state == "adottato"


def test_adoption_refused_until_all_three_presentations(direzione, clock) -> None:
    procedure = run(
        open_psttm(direzione, clock), TO_CONSULTATION + PRESENTATIONS[:2], direzione, clock
    )
    with pytest.raises(GuardFailed, match="Forum"):
        run(procedure, ["adotta"], direzione, clock)
    assert procedure.state == "consultazione"


def test_adoption_needs_the_delibera_number(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION + PRESENTATIONS, direzione, clock)
    with pytest.raises(InvalidData, match="Manca il numero della delibera di adozione"):
        procedures.advance(
            procedure.id,
            "adotta",
            expected_version=procedure.version,
            data={"data": "2025-04-30"},
            actor=direzione,
            clock=clock,
        )


def test_parere_needs_its_outcome(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_ADOPTED, direzione, clock)
    with pytest.raises(InvalidData, match="Manca l'esito del parere"):
        procedures.advance(
            procedure.id,
            "parere_conferenza",
            expected_version=procedure.version,
            data={"numero": "4", "data": "2025-05-29"},
            actor=direzione,
            clock=clock,
        )


def test_unfavourable_parere_leads_to_readoption_and_a_new_parere(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_ADOPTED, direzione, clock)
    procedure = run(
        procedure,
        ["parere_conferenza"],
        direzione,
        clock,
        parere_conferenza={"favorevole": False, "data": "2025-05-20"},
    )
    assert procedure.state == "parere_contrario"
    events = [s.event for s in procedures.allowed_events(procedure, direzione, clock)]
    assert events == ["riadotta"]
    procedure = run(
        procedure,
        ["riadotta", "parere_conferenza", "approva"],
        direzione,
        clock,
        parere_conferenza={"data": "2025-06-20"},
    )
    assert procedure.state == "approvato"
    adoption = next(r for r in procedures.milestone_rows(procedure) if r.code == "adozione")
    assert adoption.act == "Delibera n. 15/2025 del 10/06/2025"
    assert adoption.earlier == ("Delibera n. 12/2025 del 30/04/2025",)


def test_role_may_not_fire(make_user, direzione, clock) -> None:
    procedure = open_psttm(direzione, clock)
    dirigente = make_user("dirigente")
    with pytest.raises(NotAllowed, match="Direzione Generale"):
        run(procedure, ["avvia"], dirigente, clock)


def test_segretario_records_delibere_but_not_sessions(make_user, direzione, clock) -> None:
    segretario = make_user("segretario_generale")
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    assert procedures.allowed_events(procedure, segretario, clock) == []
    with pytest.raises(NotAllowed):
        run(procedure, ["presenta_forum"], segretario, clock)
    procedure = run(procedure, PRESENTATIONS, direzione, clock)
    assert [s.event for s in procedures.allowed_events(procedure, segretario, clock)] == ["adotta"]
    assert run(procedure, ["adotta"], segretario, clock).state == "adottato"


def test_stale_version_is_refused_and_changes_nothing(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), ["avvia"], direzione, clock)
    steps, events = count(ProcedureStep), count(AuditEvent)
    with pytest.raises(StaleVersion):
        procedures.advance(
            procedure.id,
            "elabora_linee_guida",
            expected_version=1,
            data=STEP_DATA["elabora_linee_guida"],
            actor=direzione,
            clock=clock,
        )
    assert (count(ProcedureStep), count(AuditEvent)) == (steps, events)


def test_a_row_moved_since_it_was_read_is_refused_by_the_update_itself(
    direzione, clock, monkeypatch
) -> None:
    """The version read matches, but another writer moved the row before our UPDATE (on
    PostgreSQL two transactions can read the same version): the UPDATE … WHERE version = read
    moves nothing, the caller gets StaleVersion and nothing of the step is saved."""
    procedure = run(open_psttm(direzione, clock), ["avvia"], direzione, clock)
    pid, read = procedure.id, procedure.version
    steps, events = count(ProcedureStep), count(AuditEvent)
    real_get = procedures.get

    def get_then_someone_else_writes(procedure_id: int) -> Procedure:
        loaded = real_get(procedure_id)
        db.session.execute(
            update(Procedure)
            .where(Procedure.id == procedure_id)
            .values(version=Procedure.version + 1)
            .execution_options(synchronize_session=False)
        )
        return loaded

    monkeypatch.setattr(procedures, "get", get_then_someone_else_writes)
    with pytest.raises(StaleVersion, match="modificato da un altro utente"):
        procedures.advance(
            pid,
            "elabora_linee_guida",
            expected_version=read,
            data=STEP_DATA["elabora_linee_guida"],
            actor=direzione,
            clock=clock,
        )
    monkeypatch.undo()
    assert (count(ProcedureStep), count(AuditEvent)) == (steps, events)
    fresh = procedures.get(pid)
    assert (fresh.version, fresh.state, len(fresh.steps)) == (read, "avviato", 1)


def test_event_not_possible_in_current_state_is_a_conflict(direzione, clock) -> None:
    procedure = open_psttm(direzione, clock)
    with pytest.raises(Conflict, match="non è possibile"):
        run(procedure, ["approva"], direzione, clock)


def test_unknown_event_or_procedure_is_not_found(direzione, clock) -> None:
    procedure = open_psttm(direzione, clock)
    with pytest.raises(NotFound):
        procedures.advance(
            procedure.id, "nessuno", expected_version=1, data={}, actor=direzione, clock=clock
        )
    with pytest.raises(NotFound):
        procedures.advance(9999, "avvia", expected_version=1, data={}, actor=direzione, clock=clock)


def test_failed_step_leaves_no_step_no_audit_event_and_same_version(direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    before = (count(ProcedureStep), count(AuditEvent), procedure.version)
    with pytest.raises(GuardFailed):
        run(procedure, ["adotta"], direzione, clock)
    db.session.expire_all()
    after = (count(ProcedureStep), count(AuditEvent), procedures.get(procedure.id).version)
    assert after == before


def test_every_change_writes_exactly_one_audit_event(direzione, clock) -> None:
    before = count(AuditEvent)
    procedure = open_psttm(direzione, clock)
    run(procedure, TO_CONSULTATION, direzione, clock)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
    assert [e.action for e in events] == [
        "procedure.opened",
        "procedure.avvia",
        "procedure.elabora_linee_guida",
        "procedure.approva_schema",
    ]
    assert all(e.role == "direzione_generale" and e.actor_id == direzione.id for e in events)


def test_open_next_triennio_and_refuse_a_duplicate(direzione, clock) -> None:
    open_psttm(direzione, clock, 2025)
    assert procedures.next_period_start("psttm", clock) == 2026
    nxt = open_psttm(direzione, clock, 2026)
    assert (nxt.period_label, nxt.state, nxt.title) == (
        "2026-2028",
        "in_preparazione",
        "PSTTM 2026-2028",
    )
    with pytest.raises(Conflict, match="Esiste già"):
        open_psttm(direzione, clock, 2026)


def test_only_direzione_generale_opens_procedures(make_user, clock) -> None:
    with pytest.raises(NotAllowed):
        open_psttm(make_user("sindaco"), clock)


def test_plan_milestones(direzione, clock) -> None:
    from datetime import date

    procedure = open_psttm(direzione, clock)
    procedure = procedures.plan_milestones(
        procedure.id,
        expected_version=1,
        planned={"adozione": date(2025, 4, 30)},
        actor=direzione,
        clock=clock,
    )
    assert procedure.version == 2
    row = next(r for r in procedures.milestone_rows(procedure) if r.code == "adozione")
    assert row.planned_date == date(2025, 4, 30)
    with pytest.raises(InvalidData):
        procedures.plan_milestones(
            procedure.id, expected_version=2, planned={"boh": None}, actor=direzione, clock=clock
        )


def test_bad_step_data_is_refused_with_an_italian_message(direzione, clock) -> None:
    procedure = open_psttm(direzione, clock)
    for data, message in [
        ({"numero": "x", "data": "2024-10-22"}, "indicare un numero"),
        ({"numero": "264", "data": "31/02/2024"}, "data non valida"),
        ({"numero": "264", "data": "2024-10-22", "extra": 1}, "Campi non previsti"),
        ({"numero": "264", "data": "2024-10-22", "note": 5}, "atteso un testo"),
    ]:
        with pytest.raises(InvalidData, match=message):
            procedures.advance(
                procedure.id, "avvia", expected_version=1, data=data, actor=direzione, clock=clock
            )


def test_presentations_recorded_late_and_out_of_date_order_are_accepted(clock, direzione) -> None:
    """Issue 18: the Forum of 27/03 entered first, then the Conferenza held on 20/03, then the
    Commissione of 12/03: each is on or after the schema decree (19/02), so each is accepted; the
    adoption must still follow the latest of them, and none may precede the schema decree."""
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    procedure = run(
        procedure, ["presenta_forum", "presenta_conferenza"], direzione, clock
    )  # 27/03 then 20/03
    with pytest.raises(GuardFailed, match="precede l'inizio della consultazione"):
        run(
            procedure,
            ["esame_commissione"],
            direzione,
            clock,
            esame_commissione={"data": "2025-02-18"},
        )
    procedure = run(procedure, ["esame_commissione"], direzione, clock)  # 12/03
    with pytest.raises(GuardFailed, match="precede l'ultimo passaggio registrato"):
        run(procedure, ["adotta"], direzione, clock, adotta={"data": "2025-03-26"})
    procedure = run(procedure, ["adotta"], direzione, clock)
    assert procedure.state == "adottato"
    dates = {s.event: s.occurred_on.isoformat() for s in procedure.steps}
    assert dates["presenta_forum"] == "2025-03-27" and dates["esame_commissione"] == "2025-03-12"
