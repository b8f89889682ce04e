"""The deadlines JSON API: list, detail with reminders and e-mails, create, settle."""

from __future__ import annotations

from datetime import date

from tests.factories import open_psttm
from workflow.procedures import operations as procedures


def test_create_by_working_days_then_settle(client, direzione, token_for) -> None:
    headers = token_for(direzione)
    response = client.post(
        "/api/v1/deadlines",
        json={
            "title": "Parere di regolarità contabile",
            "kind": "parere",
            "working_days": 3,
            "counted_from": "2025-07-01",
            "responsible_role": "ragioneria",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["due_date"] == "2025-07-04"  # start day excluded: 2, 3, 4 July
    assert body["upcoming_reminders"][0] == {
        "label": "2 giorni lavorativi prima",
        "at": "2025-07-02T06:00:00+00:00",  # 08:00 in Rome
    }
    mine = client.get("/api/v1/deadlines?mine=1", headers=headers).json["deadlines"]
    assert mine == []  # the Ragioneria answers for it, not the Direzione
    response = client.post(
        f"/api/v1/deadlines/{body['id']}/settle", json={"state": "met"}, headers=headers
    )
    assert response.json["state"] == "met" and response.json["upcoming_reminders"] == []
    again = client.post(
        f"/api/v1/deadlines/{body['id']}/settle", json={"state": "met"}, headers=headers
    )
    assert again.status_code == 409


def test_procedure_deadlines_and_errors(client, direzione, make_user, token_for, clock) -> None:
    p = open_psttm(direzione, clock)
    procedures.plan_milestones(
        p.id,
        expected_version=1,
        planned={"adozione": date(2025, 9, 30)},
        actor=direzione,
        clock=clock,
    )
    headers = token_for(direzione)
    rows = client.get(f"/api/v1/procedures/{p.id}/deadlines", headers=headers).json["deadlines"]
    assert [r["kind"] for r in rows] == ["tappa"]
    assert client.get("/api/v1/deadlines").status_code == 401
    assert client.get("/api/v1/deadlines/999", headers=headers).status_code == 404
    dirigente = token_for(make_user("dirigente"))
    refused = client.post(
        "/api/v1/deadlines", json={"title": "x", "due_date": "2025-09-01"}, headers=dirigente
    )
    assert refused.status_code == 403
    bad = client.post("/api/v1/deadlines", json={"title": "x"}, headers=headers)
    assert bad.status_code == 422 and "data" in bad.json["error"]["message"]
