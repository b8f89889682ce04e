"""The consultation page, its CSV and printable summary, the territory page and the JSON API."""

from __future__ import annotations

import base64
import csv
import io
import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from, login
from tests.factories import TO_CONSULTATION, open_psttm, run
from workflow.consultations import queries, territory
from workflow.consultations.models import Body
from workflow.extensions import db

PDF = b"%PDF-1.4\n% contributo\n%%EOF\n"


@pytest.fixture
def procedure(app, clock, direzione):
    territory.load(clock=clock)
    return run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)


def body_id(name: str) -> int:
    return db.session.scalar(select(Body.id).where(Body.name == name))


def open_via_form(client, procedure_id: int):
    url = f"/procedimenti/{procedure_id}/consultazione"
    page = client.get(url).get_data(as_text=True)
    assert "Apri la consultazione" in page
    return client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "deadline": "2025-02-28",
            "zones": ["nord_milano", "sud_est"],
        },
    )


def post_contribution(client, consultation_id: int, procedure_id: int, name: str, **over):
    page = client.get(f"/procedimenti/{procedure_id}/consultazione").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "body_id": str(body_id(name)),
        "received_at": "2025-02-28T23:59",
        "channel": "pec",
        "summary": "Osservazioni sul Driver 5",
        "themes": ["D5"],
        "file": (io.BytesIO(over.pop("content", PDF)), over.pop("filename", "contributo.pdf")),
    }
    data.update(over)
    return client.post(
        f"/consultazioni/{consultation_id}/contributi",
        data=data,
        content_type="multipart/form-data",
    )


def test_the_consultation_page_shows_completeness_per_zone_missing_and_themes(
    client, procedure, direzione
) -> None:
    login(client, "direzione")
    assert open_via_form(client, procedure.id).status_code == 302
    found = queries.for_procedure(procedure.id)
    assert post_contribution(client, found.id, procedure.id, "Bresso").status_code == 302
    late = post_contribution(
        client, found.id, procedure.id, "Paullo", received_at="2025-03-01T00:00"
    )
    assert late.status_code == 302
    page = client.get(f"/procedimenti/{procedure.id}/consultazione").get_data(as_text=True)
    assert "Pervenuti 2 contributi su 21 enti invitati (10%)" in page
    assert '<svg class="bars"' in page and 'data-group="nord_milano"' in page
    assert "1/6 (17%)" in page and "1/15 (7%)" in page
    assert "in ritardo" in page and "0000002/2025" in page
    assert "Cinisello Balsamo" in page  # missing
    # Strict CSP: scripts only as files from /static, never inline.
    assert "style=" not in page and not re.search(r"<script(?![^>]*\ssrc=\"/static/)", page)


def test_csv_export_and_printable_summary(client, procedure, direzione) -> None:
    login(client, "direzione")
    open_via_form(client, procedure.id)
    found = queries.for_procedure(procedure.id)
    post_contribution(client, found.id, procedure.id, "Bresso")
    response = client.get(f"/consultazioni/{found.id}/contributi.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="contributi-' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["ente"] == "Bresso" and rows[0]["protocollo"] == "0000001/2025"
    assert rows[0]["ricevuto_il"] == "28/02/2025 23:59" and rows[0]["in_ritardo"] == "no"
    assert len(rows) == 21 and rows[-1]["sintesi"] == "non pervenuto"
    summary = client.get(f"/consultazioni/{found.id}/sintesi").get_data(as_text=True)
    assert "Sintesi dei contributi" in summary and "Driver 5" in summary


def test_upload_refusals_are_italian_422_and_413(app, client, procedure, direzione) -> None:
    login(client, "direzione")
    open_via_form(client, procedure.id)
    found = queries.for_procedure(procedure.id)
    not_pdf = post_contribution(client, found.id, procedure.id, "Bresso", content=b"MZ\x90")
    assert not_pdf.status_code == 422 and "non è un PDF" in not_pdf.get_data(as_text=True)
    hidden = post_contribution(client, found.id, procedure.id, "Bresso", filename=".x.pdf")
    assert hidden.status_code == 422
    app.config["CONTRIBUTION_MAX_BYTES"] = 100
    big = post_contribution(client, found.id, procedure.id, "Bresso", content=PDF * 10)
    assert big.status_code == 413 and "File troppo grande" in big.get_data(as_text=True)


def test_closing_from_the_page(client, procedure, direzione) -> None:
    login(client, "direzione")
    open_via_form(client, procedure.id)
    found = queries.for_procedure(procedure.id)
    page = client.get(f"/procedimenti/{procedure.id}/consultazione").get_data(as_text=True)
    response = client.post(
        f"/consultazioni/{found.id}/chiudi",
        data={"csrf_token": csrf_from(page), "version": "1", "outcome": "Esito registrato"},
    )
    assert response.status_code == 302
    page = client.get(f"/procedimenti/{procedure.id}/consultazione").get_data(as_text=True)
    assert "chiusa il" in page and "Registra un contributo" not in page


def test_addresses_are_edited_on_the_territory_page(client, procedure, direzione) -> None:
    login(client, "direzione")
    page = client.get("/territorio").get_data(as_text=True)
    assert "133 Comuni, 3 Unioni di Comuni" in page and "Unione dei Fontanili" in page
    rho = body_id("Rho")
    response = client.post(
        f"/territorio/{rho}/indirizzi",
        data={"csrf_token": csrf_from(page), "addresses": "comune.rho@pec.example.org"},
    )
    assert response.status_code == 302
    assert [a.address for a in territory.get(rho).addresses] == ["comune.rho@pec.example.org"]


def test_api_open_register_read_close(client, procedure, direzione, token_for, make_user) -> None:
    headers = token_for(direzione)
    opened = client.post(
        f"/api/v1/procedures/{procedure.id}/consultation",
        json={"deadline": "2025-02-28", "zones": ["nord_milano"], "forum": False},
        headers=headers,
    )
    assert opened.status_code == 201, opened.get_json()
    consultation = opened.get_json()
    assert consultation["completeness"]["invited"] == 6
    again = client.post(
        f"/api/v1/procedures/{procedure.id}/consultation",
        json={"deadline": "2025-02-28"},
        headers=headers,
    )
    assert again.status_code == 409
    body = {
        "body_id": body_id("Bresso"),
        "received_at": "2025-03-01T00:00",
        "channel": "pec",
        "summary": "Contributo",
        "themes": ["M1"],
        "file_name": "contributo.pdf",
        "content_base64": base64.b64encode(PDF).decode(),
    }
    url = f"/api/v1/consultations/{consultation['id']}/contributions"
    created = client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["late"] is True and created.get_json()["protocol"] == "0000001/2025"
    refused = client.post(url, json={**body, "file_name": "../a.pdf"}, headers=headers)
    assert refused.status_code == 422 and "Nome del file" in refused.get_json()["error"]["message"]
    forbidden = client.post(url, json=body, headers=token_for(make_user("albo")))
    assert forbidden.status_code == 403
    read = client.get(f"/api/v1/procedures/{procedure.id}/consultation", headers=headers)
    assert read.get_json()["completeness"]["answered"] == 1
    close_url = f"/api/v1/consultations/{consultation['id']}/close"
    stale = client.post(close_url, json={"version": 7, "outcome": "x"}, headers=headers)
    assert stale.status_code == 409
    closed = client.post(close_url, json={"version": 1, "outcome": "Chiusa"}, headers=headers)
    assert closed.status_code == 200 and closed.get_json()["summary_sha256"]


def test_api_edits_addresses(client, procedure, direzione, token_for) -> None:
    response = client.put(
        f"/api/v1/territorio/enti/{body_id('Opera')}/indirizzi",
        json={"addresses": ["comune.opera@pec.example.org"]},
        headers=token_for(direzione),
    )
    assert response.status_code == 200
    assert response.get_json()["addresses"] == ["comune.opera@pec.example.org"]
    listing = client.get("/api/v1/territorio/enti?kind=unione", headers=token_for(direzione))
    assert len(listing.get_json()["bodies"]) == 3


def test_a_forum_member_leaves_the_list_from_the_territory_page(client, app, direzione, clock):
    member = territory.add_forum_member("Assolombarda", actor=direzione, clock=clock)
    login(client, "direzione")
    page = client.get("/territorio").get_data(as_text=True)
    assert "Togli dal Forum" in page
    response = client.post(
        f"/territorio/forum/{member.id}/stato", data={"csrf_token": csrf_from(page), "active": "0"}
    )
    assert response.status_code == 302
    assert territory.get(member.id).active is False
    assert "non più componente" in client.get("/territorio").get_data(as_text=True)


def test_csv_neutralises_formulas_and_has_an_excel_variant(client, procedure, direzione) -> None:
    """A summary typed as a formula reaches the spreadsheet as text; the Excel variant is the
    same rows with a BOM and semicolons, linked beside the plain one."""
    login(client, "direzione")
    open_via_form(client, procedure.id)
    found = queries.for_procedure(procedure.id)
    formula = '=HYPERLINK("http://example.org/x";"Apri")'
    assert (
        post_contribution(client, found.id, procedure.id, "Bresso", summary=formula).status_code
        == 302
    )
    page = client.get(f"/procedimenti/{procedure.id}/consultazione").get_data(as_text=True)
    excel_url = f"/consultazioni/{found.id}/contributi.csv?formato=excel"
    assert f'href="{excel_url}"' in page
    plain = client.get(f"/consultazioni/{found.id}/contributi.csv").get_data(as_text=True)
    assert next(csv.DictReader(io.StringIO(plain)))["sintesi"] == "'" + formula
    excel = client.get(excel_url)
    assert excel.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="contributi-' in excel.headers["Content-Disposition"]
    assert "-excel.csv" in excel.headers["Content-Disposition"]
    assert excel.data.startswith("\ufeffprotocollo;ente;".encode())
    text = excel.get_data(as_text=True).removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["ente"] == "Bresso" and rows[0]["sintesi"] == "'" + formula
    assert client.get(f"/consultazioni/{found.id}/contributi.csv?formato=xls").status_code == 400
