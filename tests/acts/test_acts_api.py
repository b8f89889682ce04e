"""The acts API: same conventions as procedures (token, version, 200/400/403/409/422), uploads."""

from __future__ import annotations

import io

import pytest

from tests.act_factories import FAVOREVOLE, make_people, propose, to_adopted
from workflow.demo.signing import TestCA, signed_pdf, simple_pdf

RECORD_FIELDS = {
    "stato",
    "pubblicazione_nr",
    "in_pubblicazione_dal",
    "in_pubblicazione_al",
    "repertorio_generale",
    "data_approvazione",
    "protocollo",
    "titolario_anno_fascicolo",
    "proponente",
    "materia",
    "struttura_organizzativa",
    "oggetto",
    "documenti",
}


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def test_acts_api_needs_a_token(client):
    response = client.get("/api/v1/acts")
    assert response.status_code == 401
    assert "Token" in response.get_json()["error"]["message"]


def test_propose_then_read_every_field_of_the_record(client, people, token_for):
    body = {
        "act_type": "decreto_sindaco",
        "oggetto": "APPROVAZIONE DELLO SCHEMA DI PIANO",
        "fascicolo": "2.16/2024/1",
        "proponente": "CONSIGLIERE DELEGATO FRANCESCO VASSALLO",
        "materia": "PIANIFICAZIONE STRATEGICA",
        "struttura": "DIREZIONE GENERALE",
        "testo": "Testo.",
    }
    created = client.post("/api/v1/acts", json=body, headers=token_for(people.direzione))
    assert created.status_code == 201
    act = client.get(
        f"/api/v1/acts/{created.get_json()['id']}", headers=token_for(people.direzione)
    ).get_json()
    assert set(act["record"]) == RECORD_FIELDS
    assert act["record"]["titolario_anno_fascicolo"] == "2.16/2024/1"
    assert act["state"] == "proposta" and act["version"] == 1


def test_api_proposal_without_fascicolo_is_422(client, people, token_for):
    response = client.post(
        "/api/v1/acts", json={"oggetto": "X"}, headers=token_for(people.direzione)
    )
    assert response.status_code == 422
    assert "Titolario" in response.get_json()["error"]["message"]


def test_event_statuses_200_400_403_409_422(client, people, token_for, clock):
    act = propose(people, clock)
    url = f"/api/v1/acts/{act.id}/events/parere_tecnico"
    dirigente = token_for(people.dirigente)
    assert client.post(url, json=FAVOREVOLE, headers=dirigente).status_code == 400
    forbidden = client.post(url, json={"version": 1, **FAVOREVOLE}, headers=token_for(people.albo))
    assert forbidden.status_code == 403
    missing = client.post(url, json={"version": 1, "favorevole": True}, headers=dirigente)
    assert missing.status_code == 422
    assert "testo del parere" in missing.get_json()["error"]["message"]
    ok = client.post(url, json={"version": 1, **FAVOREVOLE}, headers=dirigente)
    assert ok.status_code == 200 and ok.get_json()["state"] == "attesa_parere_contabile"
    stale = client.post(url, json={"version": 1, **FAVOREVOLE}, headers=dirigente)
    assert stale.status_code == 409
    again = client.post(url, json={"version": 2, **FAVOREVOLE}, headers=dirigente)
    assert again.status_code == 409  # not possible in the current state
    unknown = client.post(
        f"/api/v1/acts/{act.id}/events/cancella", json={"version": 2}, headers=dirigente
    )
    assert unknown.status_code == 404


def test_search_with_q(client, people, token_for, clock):
    to_adopted(propose(people, clock), people, clock)
    propose(people, clock, oggetto="NOMINA DEL GRUPPO DI LAVORO")
    headers = token_for(people.direzione)
    found = client.get("/api/v1/acts?q=gruppo", headers=headers).get_json()["acts"]
    assert [a["oggetto"] for a in found] == ["NOMINA DEL GRUPPO DI LAVORO"]
    by_number = client.get("/api/v1/acts?q=1/2025", headers=headers).get_json()["acts"]
    assert [a["repertorio_generale"] for a in by_number] == ["1/2025 del 01/07/2025"]


def _upload(client, act, headers, name="decreto.pdf", content=b"", kind="atto"):
    return client.post(
        f"/api/v1/acts/{act.id}/documents",
        data={"version": str(act.version), "kind": kind, "file": (io.BytesIO(content), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_upload_stores_fingerprint_and_signers(client, people, token_for, clock):
    act = propose(people, clock)
    pdf = signed_pdf(["Decreto"], TestCA(), ["Francesco Vassallo"])
    response = _upload(client, act, token_for(people.albo), content=pdf)
    assert response.status_code == 201
    document = response.get_json()["document"]
    import hashlib

    assert document["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert document["signature_status"] == "firmato"
    assert document["signatures"][0]["firmato_digitalmente_da"] == "Francesco Vassallo"
    download = client.get(document["url"], headers=token_for(people.direzione))
    assert download.data == pdf
    assert download.headers["X-Impronta-SHA256"] == document["sha256"]


def test_upload_refuses_what_is_not_a_pdf(client, people, token_for, clock):
    act = propose(people, clock)
    response = _upload(client, act, token_for(people.albo), content=b"GIF89a...")
    assert response.status_code == 422
    assert "non è un PDF" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "x<script>.pdf", ".nascosto.pdf", "x.exe"]
)
def test_upload_refuses_dangerous_names(client, people, token_for, clock, name):
    act = propose(people, clock)
    response = _upload(client, act, token_for(people.albo), name=name, content=simple_pdf(["x"]))
    assert response.status_code == 422
    assert "file" in response.get_json()["error"]["message"]


def test_upload_refuses_files_too_large_with_413(app, client, people, token_for, clock):
    app.config["MAX_DOCUMENT_BYTES"] = 1024
    act = propose(people, clock)
    big = simple_pdf(["x"]) + b"%" * 2048
    response = _upload(client, act, token_for(people.albo), content=big)
    assert response.status_code == 413
    assert "dimensione massima" in response.get_json()["error"]["message"]


def test_upload_beyond_request_limit_is_413_not_500(app, client, people, token_for, clock):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    act = propose(people, clock)
    response = _upload(client, act, token_for(people.albo), content=b"%PDF-" + b"0" * 4096)
    assert response.status_code == 413


def test_only_albo_direzione_segretario_upload(client, people, token_for, clock):
    act = propose(people, clock)
    response = _upload(client, act, token_for(people.dirigente), content=simple_pdf(["x"]))
    assert response.status_code == 403


def test_daily_protocol_register_export(client, people, token_for, clock):
    to_adopted(propose(people, clock), people, clock)
    response = client.get(
        "/api/v1/registers/protocollo/daily?date=2025-07-01", headers=token_for(people.direzione)
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="registro-protocollo-2025-07-01.csv"'
    )
    lines = response.get_data(as_text=True).splitlines()
    assert lines[1].startswith("0000001,2025,2025-07-01T10:00:00+02:00,Decreto del Sindaco")
    excel = client.get(
        "/api/v1/registers/protocollo/daily?date=2025-07-01&formato=excel",
        headers=token_for(people.direzione),
    )
    assert excel.data.startswith("\ufeffnumero;anno;".encode())
    assert excel.get_data(as_text=True).splitlines()[1].startswith("0000001;2025;")


def test_allowed_events_list_each_step_with_its_fields(client, people, token_for, clock):
    """The same contract as for procedures: event, label, fields (name, label, type, required)."""
    act = propose(people, clock)
    headers = token_for(people.dirigente)
    detail = client.get(f"/api/v1/acts/{act.id}", headers=headers).get_json()
    assert [e["event"] for e in detail["allowed_events"]] == ["parere_tecnico", "rivedi"]
    assert detail["allowed_events"][0] == {
        "event": "parere_tecnico",
        "label": "Parere di regolarità tecnica",
        "fields": [
            {"name": "favorevole", "label": "Esito (favorevole)", "type": "bool", "required": True},
            {"name": "testo", "label": "Testo del parere", "type": "text", "required": True},
        ],
    }


def test_upload_and_register_name_the_field_they_miss(client, people, token_for, clock):
    """The multipart form and the query string are read by their schemas: 422 naming the field."""
    act = propose(people, clock)
    no_file = client.post(
        f"/api/v1/acts/{act.id}/documents",
        data={"version": str(act.version)},
        headers=token_for(people.albo),
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422
    assert "«file»: campo obbligatorio" in no_file.get_json()["error"]["message"]
    no_day = client.get("/api/v1/registers/protocollo/daily", headers=token_for(people.direzione))
    assert no_day.status_code == 422
    assert "«date»: campo obbligatorio" in no_day.get_json()["error"]["message"]
