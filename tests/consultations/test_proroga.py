"""Proroga of the contributions' term (issue 18): an act extends it; the deadline, its reminders,
the consultation's reminders and lateness follow the new date while the original stays visible;
adopting while the consultation is still open is refused, or recorded as confirmed, and the
messages say which."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from, login
from tests.factories import PRESENTATIONS, STEP_DATA, TO_CONSULTATION, open_psttm, run
from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory
from workflow.consultations import reminders as consultations_reminders
from workflow.consultations.models import Body
from workflow.core.clock import ROME, as_utc
from workflow.core.errors import GuardFailed, NotAllowed
from workflow.deadlines.models import Deadline
from workflow.extensions import db
from workflow.procedures import operations as procedures

PDF = b"%PDF-1.4\n% contributo di prova\n%%EOF\n"
PROROGA = STEP_DATA["proroga_contributi"]  # decree 50/2025 of 25/02: term to 14/03


def prorogue(procedure, actor, clock, **changes):
    return procedures.advance(
        procedure.id,
        "proroga_contributi",
        expected_version=procedure.version,
        data={**PROROGA, **changes},
        actor=actor,
        clock=clock,
    )


def contributions_deadline(procedure) -> Deadline:
    key = f"procedure:{procedure.id}:contributi"
    return db.session.scalar(select(Deadline).where(Deadline.source_key == key))


@pytest.fixture
def consultation(app, clock, direzione, with_address):
    """PSTTM 2025 in consultation (term 28/02/2025), Nord Milano invited, every body addressed."""
    territory.load(clock=clock)
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    window = contributions.open_consultation(
        procedure.id,
        deadline=date(2025, 2, 28),
        zones=["nord_milano"],
        forum=False,
        actor=direzione,
        clock=clock,
    )
    with_address(direzione)
    for invitation in queries.get(window.id).invitations:
        territory.set_addresses(
            invitation.body_id, [f"b{invitation.body_id}@example.org"], actor=direzione, clock=clock
        )
    return window


def test_a_proroga_moves_the_deadline_and_keeps_the_original_visible(
    consultation, direzione, clock
) -> None:
    procedure = procedures.get(consultation.procedure_id)
    before = contributions_deadline(procedure)
    assert before.due_date == date(2025, 2, 28)
    procedure = prorogue(procedure, direzione, clock)
    deadline = contributions_deadline(procedure)
    assert deadline.due_date == date(2025, 3, 14)
    assert "Termine indicato nel decreto: 28/02/2025." in deadline.description
    assert "Prorogato al 14/03/2025 (Decreto R.G. 50/2025 del 25/02/2025)" in deadline.description
    window = queries.get(consultation.id)
    assert window.deadline == date(2025, 2, 28)  # as opened: the original stays
    assert queries.effective_deadline(window) == date(2025, 3, 14)
    assert procedures.facts_of(procedure, clock).contributions_due == date(2025, 3, 14)


def test_a_proroga_must_extend_the_term_and_follow_the_schema(
    consultation, direzione, make_user, clock
) -> None:
    procedure = procedures.get(consultation.procedure_id)
    with pytest.raises(GuardFailed, match="non proroga quello in vigore"):
        prorogue(procedure, direzione, clock, scadenza_contributi="2025-02-27")
    with pytest.raises(GuardFailed, match="precede l'inizio della consultazione"):
        prorogue(procedure, direzione, clock, data="2025-02-10")
    with pytest.raises(NotAllowed):
        prorogue(procedure, make_user("segretario_generale"), clock)


def test_reminders_follow_the_new_date(consultation, direzione, clock) -> None:
    clock.instant = datetime(2025, 2, 26, 9, 0, tzinfo=UTC)  # the day after the proroga's act
    procedure = prorogue(procedures.get(consultation.procedure_id), direzione, clock)
    # The deadline's own reminders (desk, e-mail, iCal read this row): 7 working days before
    # Friday 14/03 is Wednesday 05/03, at 08:00 in Rome; before the proroga it was 28/02's.
    deadline = contributions_deadline(procedure)
    assert deadline.state == "open" and deadline.due_date == date(2025, 3, 14)
    assert as_utc(deadline.next_reminder_at) == datetime(2025, 3, 5, 8, 0, tzinfo=ROME)
    # The consultation's reminder to the missing: 5 working days before Friday 14/03 is Friday
    # 07/03 at 08:00 in Rome; after the original term (28/02) it still goes out.
    window = queries.get(consultation.id)
    assert consultations_reminders.reminder_instant(window) == datetime(
        2025, 3, 7, 8, 0, tzinfo=ROME
    )
    clock.instant = datetime(2025, 3, 7, 6, 59, tzinfo=UTC)
    assert consultations_reminders.remind_missing(clock=clock) == 0
    clock.instant = datetime(2025, 3, 7, 7, 0, tzinfo=UTC)
    assert consultations_reminders.remind_missing(clock=clock) > 0


def test_lateness_follows_the_new_date_even_for_what_was_registered_before(
    consultation, direzione, clock
) -> None:
    bresso = db.session.scalar(select(Body).where(Body.name == "Bresso"))
    received = datetime(2025, 3, 3, 10, 0, tzinfo=ROME)
    early = contributions.register_contribution(
        consultation.id,
        body_id=bresso.id,
        received_at=received,
        channel="pec",
        summary="Osservazioni",
        themes=["M1"],
        file_name="contributo.pdf",
        content=PDF,
        actor=direzione,
        clock=clock,
    )
    assert early.late  # registered when the term was still 28/02
    assert queries.status(queries.get(consultation.id)).late_ids == {early.id}
    prorogue(procedures.get(consultation.procedure_id), direzione, clock, data="2025-03-04")
    window = queries.get(consultation.id)
    figures = queries.status(window)
    assert figures.late_ids == frozenset() and figures.total.late == 0
    assert "in_ritardo" in queries.csv_export(window) and ",no," in queries.csv_export(window)
    later = datetime(2025, 3, 14, 23, 59, 59, tzinfo=ROME)
    assert not queries.is_late(window, later)
    assert queries.is_late(window, datetime(2025, 3, 15, 0, 0, tzinfo=ROME))


# --- Adopting while the consultation is open --------------------------------------------------


@pytest.fixture
def presented(direzione, clock):
    """All three presentations recorded; the term extended to 30/05/2025."""
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    procedure = prorogue(procedure, direzione, clock, scadenza_contributi="2025-05-30")
    return run(procedure, PRESENTATIONS, direzione, clock)


def adopt(procedure, actor, clock, **extra):
    return procedures.advance(
        procedure.id,
        "adotta",
        expected_version=procedure.version,
        data={**STEP_DATA["adotta"], **extra},
        actor=actor,
        clock=clock,
    )


def test_adopting_while_the_consultation_is_open_is_refused(presented, direzione, clock) -> None:
    with pytest.raises(GuardFailed, match="la consultazione è ancora aperta") as refused:
        adopt(presented, direzione, clock)
    assert "entro il 30/05/2025" in refused.value.message
    assert procedures.get(presented.id).state == "consultazione"
    # Once the term has passed it is a plain adoption.
    after = adopt(presented, direzione, clock, data="2025-06-03")
    assert "consultazione_aperta" not in after.steps[-1].data


def test_adopting_while_open_is_recorded_when_confirmed_and_says_who(
    presented, direzione, clock
) -> None:
    adopted = adopt(presented, direzione, clock, conferma_consultazione_aperta=True)
    assert adopted.state == "adottato"
    assert adopted.steps[-1].data["consultazione_aperta"] == (
        "Adottato con consultazione ancora aperta (contributi entro il 30/05/2025), "
        f"confermato da {direzione.full_name}"
    )


def test_the_forms_say_which_happened(client, presented, direzione) -> None:
    login(client, "direzione")
    url = f"/procedimenti/{presented.id}/passaggi/adotta"
    form = client.get(url).get_data(as_text=True)
    assert "Confermo l&#39;adozione con la consultazione ancora aperta" in form
    data = {"csrf_token": csrf_from(form), "version": presented.version, **STEP_DATA["adotta"]}
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    assert "la consultazione è ancora aperta" in refused.get_data(as_text=True)
    confirmed = client.post(
        url, data={**data, "conferma_consultazione_aperta": "si"}, follow_redirects=True
    )
    page = confirmed.get_data(as_text=True)
    assert "Passaggio registrato — Adottato con consultazione ancora aperta" in page
    assert f"confermato da {direzione.full_name}" in page


def test_the_consultation_page_shows_the_original_and_the_new_term(
    client, consultation, direzione, clock
) -> None:
    prorogue(procedures.get(consultation.procedure_id), direzione, clock)
    login(client, "direzione")
    page = client.get(f"/procedimenti/{consultation.procedure_id}/consultazione")
    text = page.get_data(as_text=True)
    assert (
        "<del>28/02/2025</del> prorogato al 14/03/2025 (Decreto R.G. 50/2025 del 25/02/2025)"
        in text
    )
