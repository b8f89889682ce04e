"""The JSON API: token auth, list, detail with allowed events, firing events and its statuses."""

from __future__ import annotations

import pytest

from tests.factories import PRESENTATIONS, STEP_DATA, TO_CONSULTATION, open_psttm, run


@pytest.fixture
def consultation(direzione, clock):
    return run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)


def post_event(client, headers, procedure_id, event, body):
    return client.post(
        f"/api/v1/procedures/{procedure_id}/events/{event}", json=body, headers=headers
    )


def test_requires_a_valid_bearer_token(client, consultation) -> None:
    assert client.get("/api/v1/procedures").status_code == 401
    bad = client.get("/api/v1/procedures", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert "Token API" in bad.get_json()["error"]["message"]


def test_list_and_detail(client, direzione, token_for, consultation) -> None:
    headers = token_for(direzione)
    listing = client.get("/api/v1/procedures", headers=headers).get_json()
    assert [p["state"] for p in listing["procedures"]] == ["consultazione"]
    detail = client.get(f"/api/v1/procedures/{consultation.id}", headers=headers).get_json()
    assert detail["version"] == consultation.version
    assert [e["event"] for e in detail["allowed_events"]] == [*PRESENTATIONS, "proroga_contributi"]
    schema = next(m for m in detail["milestones"] if m["code"] == "schema")
    assert schema["act"] == "Decreto R.G. 43/2025 del 19/02/2025"
    assert schema["actual_date"] == "2025-02-19"


def test_allowed_events_depend_on_the_callers_role(client, make_user, token_for, consultation):
    headers = token_for(make_user("ragioneria"))
    detail = client.get(f"/api/v1/procedures/{consultation.id}", headers=headers).get_json()
    assert detail["allowed_events"] == []


def test_fire_event_200_with_new_state(client, direzione, token_for, consultation) -> None:
    headers = token_for(direzione)
    version = consultation.version
    response = post_event(
        client,
        headers,
        consultation.id,
        "esame_commissione",
        {"version": version, **STEP_DATA["esame_commissione"]},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "consultazione"
    assert body["version"] == version + 1
    assert "esame_commissione" not in [e["event"] for e in body["allowed_events"]]


def test_stale_version_409(client, direzione, token_for, consultation) -> None:
    response = post_event(
        client,
        token_for(direzione),
        consultation.id,
        "presenta_forum",
        {"version": consultation.version - 1, **STEP_DATA["presenta_forum"]},
    )
    assert response.status_code == 409
    assert "modificato" in response.get_json()["error"]["message"]


def test_guard_422_with_italian_message(client, direzione, token_for, consultation) -> None:
    response = post_event(
        client,
        token_for(direzione),
        consultation.id,
        "adotta",
        {"version": consultation.version, **STEP_DATA["adotta"]},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"].startswith("Adozione non possibile: mancano")


def test_role_403(client, make_user, token_for, consultation) -> None:
    response = post_event(
        client,
        token_for(make_user("albo")),
        consultation.id,
        "presenta_forum",
        {"version": consultation.version, **STEP_DATA["presenta_forum"]},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body,status",
    [
        (None, 400),
        ([1, 2], 400),
        ({"data": "2025-03-01"}, 400),
        ({"version": "3"}, 400),
        ({"version": True}, 400),
    ],
)
def test_malformed_bodies_400(client, direzione, token_for, consultation, body, status) -> None:
    headers = token_for(direzione)
    if body is None:
        response = client.post(
            f"/api/v1/procedures/{consultation.id}/events/presenta_forum",
            data="{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
    else:
        response = post_event(client, headers, consultation.id, "presenta_forum", body)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_404s(client, direzione, token_for, consultation) -> None:
    headers = token_for(direzione)
    assert client.get("/api/v1/procedures/999", headers=headers).status_code == 404
    assert (
        post_event(
            client, headers, consultation.id, "inventato", {"version": consultation.version}
        ).status_code
        == 404
    )


def test_event_not_possible_now_409(client, direzione, token_for, consultation) -> None:
    response = post_event(
        client,
        token_for(direzione),
        consultation.id,
        "approva",
        {"version": consultation.version, **STEP_DATA["approva"]},
    )
    assert response.status_code == 409


def test_open_next_procedure_and_plan(client, direzione, token_for, consultation) -> None:
    headers = token_for(direzione)
    response = client.post("/api/v1/procedures", json={"period_start": 2026}, headers=headers)
    assert response.status_code == 201
    created = response.get_json()
    assert created["period"] == "2026-2028"
    again = client.post("/api/v1/procedures", json={"period_start": 2026}, headers=headers)
    assert again.status_code == 409
    planned = client.post(
        f"/api/v1/procedures/{created['id']}/milestones",
        headers=headers,
        json={"version": created["version"], "planned": {"avvio": "2026-10-20"}},
    )
    assert planned.status_code == 200
    assert planned.get_json()["milestones"][0]["planned_date"] == "2026-10-20"


def test_openapi_is_generated_from_the_code_and_documents_errors(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    path = spec["paths"]["/api/v1/procedures/{procedure_id}/events/{event}"]
    fire = path["post"]
    assert set(fire["responses"]) >= {"200", "400", "401", "403", "404", "409", "413", "422"}
    events = next(p for p in path["parameters"] if p["name"] == "event")["schema"]["enum"]
    assert "adotta" in events and "parere_conferenza" in events
    titles = {
        v["title"] for v in fire["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    }
    # anyOf: the DUP's `approva` takes the same fields as the PSTTM's.
    assert {"psttm.adotta", "psttm.approva", "dup.approva"} <= titles


def test_an_id_beyond_the_database_integer_is_404_not_500(client, direzione, token_for) -> None:
    """Found by the schemathesis run on PostgreSQL: 90748577062 overflowed the integer column."""
    response = client.get("/api/v1/procedures/90748577062", headers=token_for(direzione))
    assert response.status_code == 404


def test_allowed_events_list_each_step_with_its_fields(client, direzione, token_for, consultation):
    """The API contract: event, label, and per field its name, label, type and whether required."""
    headers = token_for(direzione)
    detail = client.get(f"/api/v1/procedures/{consultation.id}", headers=headers).get_json()
    assert detail["allowed_events"][0] == {
        "event": "esame_commissione",
        "label": "Registra il primo esame in Commissione",
        "fields": [
            {"name": "data", "label": "Data", "type": "date", "required": True},
            {"name": "note", "label": "Note", "type": "text", "required": False},
        ],
    }


def test_a_number_of_another_year_asks_for_confirmation(client, direzione, token_for, clock):
    procedure = open_psttm(direzione, clock, 2027)
    url = f"/api/v1/procedures/{procedure.id}/events/avvia"
    body = {"version": procedure.version, "numero": "264/2023", "data": "2024-10-22"}
    refused = client.post(url, json=body, headers=token_for(direzione))
    assert refused.status_code == 422
    assert "porta l'anno 2023" in refused.get_json()["error"]["message"]
    confirmed = client.post(url, json={**body, "conferma_anno": True}, headers=token_for(direzione))
    assert confirmed.status_code == 200, confirmed.data
    assert confirmed.get_json()["steps"][0]["data"]["conferma_anno"] is True
