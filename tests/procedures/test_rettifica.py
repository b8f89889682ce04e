"""Rettifica of a recorded step (issue 18): the original stays, the correction is its own row
(who, when, why), the record and the deadlines follow the correction, and a correction that
would break a rule the step obeys is refused with the step's own message."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from tests.conftest import csrf_from, login
from tests.factories import TO_ADOPTED, TO_CONSULTATION, open_psttm, run
from workflow.audit.models import AuditEvent
from workflow.core.errors import GuardFailed, InvalidData, NotAllowed, StaleVersion
from workflow.deadlines.models import Deadline
from workflow.definitions import psttm
from workflow.extensions import db
from workflow.procedures import browse
from workflow.procedures import operations as procedures
from workflow.procedures.models import ProcedureStep, Rettifica


@pytest.fixture
def consultation(direzione, clock):
    return run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)


def step_of(procedure, event: str) -> ProcedureStep:
    return next(s for s in procedure.steps if s.event == event)


def correct(procedure, event, actor, clock, motivo="Errore di battitura", **data):
    return procedures.correct_step(
        procedure.id,
        step_of(procedure, event).id,
        expected_version=procedure.version,
        data=data,
        motivo=motivo,
        actor=actor,
        clock=clock,
    )


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(db.func.count()).select_from(Rettifica)),
        db.session.scalar(select(db.func.count()).select_from(AuditEvent)),
    )


def test_a_rettifica_keeps_the_original_and_the_record_reads_the_correction(
    consultation, direzione, clock
) -> None:
    version = consultation.version
    corrected = correct(consultation, "avvia", direzione, clock, numero="265/2024")
    assert corrected.version == version + 1
    step = step_of(procedures.get(corrected.id), "avvia")
    # The step row is as first written; the correction is beside it.
    assert (step.act_number, step.occurred_on) == ("264/2024", date(2024, 10, 22))
    assert [r.act_number for r in step.rettifiche] == ["265/2024"]
    assert step.current.act_number == "265/2024"
    assert step.rettifiche[0].motivo == "Errore di battitura"
    assert step.rettifiche[0].recorded_by.id == direzione.id
    row = next(r for r in procedures.milestone_rows(corrected) if r.code == "avvio")
    assert row.act == "Decreto R.G. 265/2024 del 22/10/2024"
    assert row.original == "Decreto R.G. 264/2024 del 22/10/2024"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "procedure.rettifica")
    ).one()
    assert '"before":{' in event.payload and '"265/2024"' in event.payload
    assert "Errore di battitura" in event.payload


def test_a_second_rettifica_is_added_and_the_latest_holds(consultation, direzione, clock) -> None:
    first = correct(consultation, "elabora_linee_guida", direzione, clock, data="2025-01-30")
    second = correct(first, "elabora_linee_guida", direzione, clock, note="Verbale n. 3")
    step = step_of(procedures.get(second.id), "elabora_linee_guida")
    assert len(step.rettifiche) == 2
    # Fields not given keep the value the record had: the date corrected the first time.
    assert step.current.occurred_on == date(2025, 1, 30)
    assert step.current.data["note"] == "Verbale n. 3"
    assert step.occurred_on == date(2025, 1, 31)


def test_a_date_in_the_future_is_refused_as_the_step_refuses_it(
    consultation, direzione, clock
) -> None:
    before = counts()
    expected = psttm.not_in_future(
        procedures.facts_of(consultation, clock), {"data": date(2025, 7, 2)}
    )
    with pytest.raises(GuardFailed) as refused:
        correct(consultation, "approva_schema", direzione, clock, data="2025-07-02")
    assert refused.value.message == expected
    assert counts() == before


def test_an_adoption_moved_before_the_presentations_is_refused(direzione, clock) -> None:
    adopted = run(open_psttm(direzione, clock), TO_ADOPTED, direzione, clock)
    with pytest.raises(GuardFailed, match="precede l'ultimo passaggio registrato"):
        correct(adopted, "adotta", direzione, clock, data="2025-03-15", conferma_anno=True)
    # A presentation moved after the adoption would make the adoption irregular: refused too,
    # naming the step it would break.
    with pytest.raises(GuardFailed, match="renderebbe irregolare.*delibera di adozione"):
        correct(adopted, "presenta_forum", direzione, clock, data="2025-05-10")


def test_an_act_year_mismatch_asks_for_confirmation_again(direzione, clock) -> None:
    adopted = run(open_psttm(direzione, clock), TO_ADOPTED, direzione, clock)
    with pytest.raises(GuardFailed, match="porta l'anno 2024"):
        correct(adopted, "adotta", direzione, clock, numero="12/2024")
    confirmed = correct(adopted, "adotta", direzione, clock, numero="12/2024", conferma_anno=True)
    assert step_of(confirmed, "adotta").current.act_number == "12/2024"


def test_a_rettifica_cannot_change_the_outcome_of_a_parere(direzione, clock) -> None:
    procedure = run(
        open_psttm(direzione, clock), [*TO_ADOPTED, "parere_conferenza"], direzione, clock
    )
    with pytest.raises(GuardFailed, match="nuovo atto"):
        correct(procedure, "parere_conferenza", direzione, clock, favorevole=False)


def test_nothing_changed_no_reason_or_unknown_field_is_refused(
    consultation, direzione, clock
) -> None:
    with pytest.raises(InvalidData, match="non cambia"):
        correct(consultation, "avvia", direzione, clock, numero="264/2024")
    with pytest.raises(InvalidData, match="Manca il motivo"):
        correct(consultation, "avvia", direzione, clock, motivo="  ", numero="265/2024")
    with pytest.raises(InvalidData, match="non previsti"):
        correct(consultation, "avvia", direzione, clock, favorevole=True)


def test_only_the_roles_that_record_the_step_may_correct_it(consultation, make_user, clock) -> None:
    segretario = make_user("segretario_generale")
    with pytest.raises(NotAllowed):
        correct(consultation, "avvia", segretario, clock, numero="265/2024")
    sindaco = make_user("sindaco")  # the Sindaco records decrees: may correct them
    assert correct(consultation, "avvia", sindaco, clock, numero="265/2024").version


def test_a_stale_version_is_a_conflict(consultation, direzione, clock) -> None:
    with pytest.raises(StaleVersion):
        procedures.correct_step(
            consultation.id,
            step_of(consultation, "avvia").id,
            expected_version=consultation.version - 1,
            data={"numero": "265/2024"},
            motivo="x",
            actor=direzione,
            clock=clock,
        )


def test_deadlines_follow_the_corrected_term(consultation, direzione, clock) -> None:
    key = f"procedure:{consultation.id}:contributi"
    corrected = correct(
        consultation, "approva_schema", direzione, clock, scadenza_contributi="2025-03-31"
    )
    deadline = db.session.scalar(select(Deadline).where(Deadline.source_key == key))
    assert deadline.due_date == date(2025, 3, 31)
    assert procedures.facts_of(corrected, clock).contributions_due == date(2025, 3, 31)


def test_rettifiche_are_append_only_in_the_database(consultation, direzione, clock) -> None:
    correct(consultation, "avvia", direzione, clock, numero="265/2024")
    db.session.commit()
    for statement in (
        "UPDATE procedure_rettifiche SET motivo = 'x'",
        "DELETE FROM procedure_rettifiche",
    ):
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(Rettifica.motivo)) == "Errore di battitura"


# --- The API ---------------------------------------------------------------------------------


def rettifica_url(procedure, event: str) -> str:
    return f"/api/v1/procedures/{procedure.id}/steps/{step_of(procedure, event).id}/rettifiche"


def test_api_corrects_a_step_and_shows_both_values(
    client, direzione, token_for, consultation
) -> None:
    headers = token_for(direzione)
    body = {"version": consultation.version, "motivo": "Numero errato", "numero": "265/2024"}
    response = client.post(rettifica_url(consultation, "avvia"), json=body, headers=headers)
    assert response.status_code == 201, response.data
    avvio = next(s for s in response.get_json()["steps"] if s["event"] == "avvia")
    assert avvio["act"] == "Decreto R.G. 265/2024 del 22/10/2024"
    assert avvio["original"]["act"] == "Decreto R.G. 264/2024 del 22/10/2024"
    assert [r["motivo"] for r in avvio["rettifiche"]] == ["Numero errato"]
    assert avvio["rettifiche"][0]["recorded_by"] == "direzione"


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"data": "2025-07-02"}, 422, "è nel futuro"),
        ({"numero": "264/2024"}, 422, "non cambia"),
        ({"motivo": ""}, 422, "Manca il motivo"),
        ({"version": 1}, 409, "ricarica"),
    ],
)
def test_api_refusals(client, direzione, token_for, consultation, change, status, words) -> None:
    body = {"version": consultation.version, "motivo": "x", "numero": "265/2024", **change}
    response = client.post(
        rettifica_url(consultation, "avvia"), json=body, headers=token_for(direzione)
    )
    assert response.status_code == status, response.data
    assert words in response.get_json()["error"]["message"]
    assert db.session.scalar(select(db.func.count()).select_from(Rettifica)) == 0


def test_api_wrong_role_is_403_and_unknown_step_404(
    client, make_user, token_for, consultation
) -> None:
    headers = token_for(make_user("segretario_generale"))
    body = {"version": consultation.version, "motivo": "x", "numero": "265/2024"}
    response = client.post(rettifica_url(consultation, "avvia"), json=body, headers=headers)
    assert response.status_code == 403
    missing = client.post(
        f"/api/v1/procedures/{consultation.id}/steps/999999/rettifiche", json=body, headers=headers
    )
    assert missing.status_code == 404


# --- The web form ----------------------------------------------------------------------------


def test_web_form_corrects_and_the_page_and_history_show_both(
    client, direzione, consultation
) -> None:
    login(client, "direzione")
    page = client.get(f"/procedimenti/{consultation.id}").get_data(as_text=True)
    url = (
        f"/procedimenti/{consultation.id}/registrati/{step_of(consultation, 'avvia').id}/rettifica"
    )
    assert url in page
    form = client.get(url).get_data(as_text=True)
    assert 'value="264/2024"' in form
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "version": consultation.version,
            "numero": "265/2024",
            "data": "2024-10-22",
            "note": "",
            "conferma_anno": "",
            "motivo": "Numero <b>errato</b> nel verbale",
        },
    )
    assert response.status_code == 302, response.data
    page = client.get(f"/procedimenti/{consultation.id}").get_data(as_text=True)
    assert "Decreto R.G. 265/2024 del 22/10/2024" in page
    assert "registrato prima come: Decreto R.G. 264/2024 del 22/10/2024" in page
    assert "Numero &lt;b&gt;errato&lt;/b&gt; nel verbale" in page
    history = client.get(f"/procedimenti/{consultation.id}/storia").get_data(as_text=True)
    assert "ha rettificato il decreto di avvio" in history
    assert "264/2024" in history and "265/2024" in history


def test_web_form_refusal_keeps_what_was_typed(client, direzione, consultation) -> None:
    login(client, "direzione")
    url = (
        f"/procedimenti/{consultation.id}/registrati/{step_of(consultation, 'avvia').id}/rettifica"
    )
    form = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "version": consultation.version,
            "numero": "265/2024",
            "data": "2026-01-01",
            "motivo": "Data sbagliata",
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "è nel futuro" in body and "Data sbagliata" in body


def test_web_wrong_role_is_403_and_no_link(client, make_user, consultation) -> None:
    make_user("segretario_generale", username="segretario")
    login(client, "segretario")
    url = (
        f"/procedimenti/{consultation.id}/registrati/{step_of(consultation, 'avvia').id}/rettifica"
    )
    page = client.get(f"/procedimenti/{consultation.id}").get_data(as_text=True)
    assert url not in page
    assert client.get(url).status_code == 302  # no form for who could not send it
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "version": consultation.version,
            "numero": "265/2024",
            "data": "2024-10-22",
            "motivo": "x",
        },
    )
    assert response.status_code == 403


def test_the_desk_dates_and_the_annual_update_follow_a_corrected_date(direzione, clock) -> None:
    path = [*TO_ADOPTED, "parere_conferenza", "approva"]
    approved = run(open_psttm(direzione, clock), path, direzione, clock)
    key = f"procedure:{approved.id}:aggiornamento"
    update = db.session.scalar(select(Deadline).where(Deadline.source_key == key))
    assert update.due_date == date(2026, 6, 30)
    corrected = correct(approved, "approva", direzione, clock, data="2025-06-27")
    # A year after 27/06/2025 is a Saturday: the next working day (c.p.c. art. 155).
    assert update.due_date == date(2026, 6, 29)
    assert browse.recorded_dates([corrected.id])[corrected.id]["approvazione"] == date(2025, 6, 27)


def test_audit_verify_replays_rettifiche_and_names_an_edited_reason(
    consultation, direzione, clock
) -> None:
    """A rettifica moves the procedure's version and is its own row: `flask audit verify`
    agrees after it, and names a reason edited in the table behind the application's back."""
    from tests.audit.test_replay import named, tamper
    from workflow.audit import replay

    corrected = correct(consultation, "avvia", direzione, clock, numero="265/2024")
    assert replay.verify_tables() == []
    rettifica = step_of(procedures.get(corrected.id), "avvia").rettifiche[0]
    tamper(
        "procedure_rettifiche",
        lambda conn: conn.execute(
            text("UPDATE procedure_rettifiche SET motivo = 'altro' WHERE id = :id"),
            {"id": rettifica.id},
        ),
    )
    assert ("procedure_rettifiche", str(rettifica.id), "motivo") in named(replay.verify_tables())


def test_the_form_is_refused_to_who_may_not_correct_the_step(client, make_user, consultation):
    make_user("segretario_generale", username="segretario")
    login(client, "segretario")
    step = step_of(consultation, "avvia")
    page = client.get(f"/procedimenti/{consultation.id}/registrati/{step.id}/rettifica")
    assert page.status_code == 302 and page.headers["Location"].endswith(
        f"/procedimenti/{consultation.id}"
    )
    back = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "spetta a" in back and 'name="motivo"' not in back


@pytest.mark.parametrize("term", [date(1900, 1, 1), date(2025, 2, 19), date(2099, 1, 1)])
def test_a_contributions_term_before_its_decree_or_years_later_is_refused(
    consultation, direzione, clock, term
) -> None:
    """The schema decree of 19/02/2025 opens the consultation: its term cannot precede it or lie
    decades later (a typing error), whether recorded, corrected or prorogued."""
    with pytest.raises(GuardFailed, match="termine per i contributi"):
        correct(consultation, "approva_schema", direzione, clock, scadenza_contributi=str(term))
