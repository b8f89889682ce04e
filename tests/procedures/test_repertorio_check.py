"""An act number cited by a step, checked against the tracker's Repertorio Generale (issue 18):
the act exists → the step links to it; the tracker keeps that year of the register but holds no
such act → the step is recorded with the warning "atto non presente nel repertorio"; a year the
tracker does not keep (or a number of the previous system) → nothing said."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import csrf_from, login
from workflow.acts import queries as act_queries
from workflow.acts.models import Act
from workflow.extensions import db
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure

WARNING = "atto non presente nel repertorio"


def demo_procedure(start: int) -> Procedure:
    return db.session.scalar(select(Procedure).where(Procedure.period_start == start))


def test_the_check_keys_on_the_years_the_tracker_holds(demo_app) -> None:
    decree = db.session.scalar(select(Act).where(Act.repertorio_number == 43))
    found = act_queries.cited_acts(["43/2025", "999/2025", "20/2025", "264/2024", None, "7"])
    # 43/2025: an act here. 999/2025: the Repertorio 2025 is ours and stops far below.
    assert found["43/2025"].act_id == decree.id and not found["43/2025"].missing
    assert found["999/2025"].missing and found["999/2025"].warning == WARNING
    # 20/2025 was given by the previous system (the register was continued from 42);
    # 2024 is not a year the tracker numbered: neither is ours to judge.
    assert set(found) == {"43/2025", "999/2025"}


def test_an_existing_act_is_linked_from_the_page_and_the_api(demo_app, make_user, token_for):
    user = make_user("direzione_generale", username="dg_check")
    procedure = demo_procedure(2025)
    decree = db.session.scalar(select(Act).where(Act.repertorio_number == 43))
    client = demo_app.test_client()
    detail = client.get(f"/api/v1/procedures/{procedure.id}", headers=token_for(user)).get_json()
    schema = next(s for s in detail["steps"] if s["event"] == "approva_schema")
    assert schema["act_id"] == decree.id and schema["warning"] is None
    avvio = next(s for s in detail["steps"] if s["event"] == "avvia")
    assert avvio["act"] == "Decreto R.G. 264/2024 del 22/10/2024"
    assert avvio["act_id"] is None and avvio["warning"] is None  # 2024: not our register
    login(client, "dg_check")
    page = client.get(f"/procedimenti/{procedure.id}").get_data(as_text=True)
    assert f'href="/atti/{decree.id}">Decreto R.G. 43/2025 del 19/02/2025</a>' in page
    assert WARNING not in page


def test_a_missing_act_is_recorded_with_a_visible_warning(demo_app, make_user, token_for, clock):
    user = make_user("direzione_generale", username="dg_check")
    fresh = procedures.open_procedure("psttm", 2028, actor=user, clock=clock)
    db.session.commit()
    client = demo_app.test_client()
    login(client, "dg_check")
    url = f"/procedimenti/{fresh.id}/passaggi/avvia"
    form = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "version": fresh.version,
            "numero": "999/2025",
            "data": "2025-06-30",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Recorded, with the warning in the message, the table of milestones and the history.
    assert f"Passaggio registrato — attenzione, {WARNING} (999/2025)" in page
    assert page.count(WARNING) >= 3
    detail = client.get(f"/api/v1/procedures/{fresh.id}", headers=token_for(user)).get_json()
    avvio = next(s for s in detail["steps"] if s["event"] == "avvia")
    assert avvio["warning"] == WARNING and avvio["act_id"] is None
    assert detail["state"] == "avviato"
