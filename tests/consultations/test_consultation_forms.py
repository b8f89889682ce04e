"""Issue 16 §2: a failed submission on the consultation page re-renders the page with everything
typed kept and the message beside the field that caused it (never a bare error page)."""

from __future__ import annotations

import io

import pytest

from tests.conftest import csrf_from, login
from tests.consultations.test_contributions_web import PDF, body_id, open_via_form
from tests.factories import TO_CONSULTATION, open_psttm, run
from tests.forms_html import read_form
from workflow.consultations import queries, territory
from workflow.consultations.themes import THEMES

ALL_THEMES = list(THEMES)


@pytest.fixture
def consultation(app, client, clock, direzione):
    territory.load(clock=clock)
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    assert open_via_form(client, procedure.id).status_code == 302
    return queries.for_procedure(procedure.id)


def _post(client, consultation, **over):
    page = client.get(f"/procedimenti/{consultation.procedure_id}/consultazione")
    data = {
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "body_id": str(body_id("Bresso")),
        "received_at": "27/02/2025 10:30",
        "channel": "pec",
        "summary": "Osservazioni sul Driver 5:\nla linea M1 va prolungata.",
        "themes": ALL_THEMES,
    }
    data.update(over)
    return client.post(
        f"/consultazioni/{consultation.id}/contributi",
        data=data,
        content_type="multipart/form-data",
    )


def test_contribution_form_sits_above_the_tables_with_zones_as_groups(client, consultation):
    page = client.get(f"/procedimenti/{consultation.procedure_id}/consultazione")
    html = page.get_data(as_text=True)
    assert html.index('id="registra-contributo"') < html.index("<h2>Completezza</h2>")
    assert '<optgroup label="Nord Milano">' in html
    form = read_form(html, f"/consultazioni/{consultation.id}/contributi")
    assert form.inputs["received_at"]["placeholder"] == "gg/mm/aaaa hh:mm"
    assert form.inputs["received_at"].get("type", "text") == "text"
    assert form.inputs["file"]["data-max-bytes"] == str(10 * 1024 * 1024)
    assert "maxlength" in form.inputs["summary"] and "data-contatore" in form.inputs["summary"]


def test_contribution_without_file_keeps_summary_themes_and_body(client, consultation):
    refused = _post(client, consultation)
    assert refused.status_code == 400
    form = read_form(refused.get_data(as_text=True), f"/consultazioni/{consultation.id}/contributi")
    assert form.error_of("file") == "Manca il file del contributo (PDF)."
    assert form.value("summary") == "Osservazioni sul Driver 5:\nla linea M1 va prolungata."
    assert form.values["themes"] == ALL_THEMES  # all 16 boxes still ticked
    assert form.value("body_id") == str(body_id("Bresso"))
    assert form.value("received_at") == "27/02/2025 10:30"
    assert form.value("channel") == "pec"


def test_contribution_with_a_bad_date_says_so_beside_the_date(client, consultation):
    refused = _post(client, consultation, received_at="02/30/2025", file=(io.BytesIO(PDF), "c.pdf"))
    assert refused.status_code == 422
    form = read_form(refused.get_data(as_text=True), f"/consultazioni/{consultation.id}/contributi")
    assert "gg/mm/aaaa hh:mm" in form.error_of("received_at")
    assert form.value("received_at") == "02/30/2025"
    assert "Ricarica il file" in form.error_of("file")


def test_a_file_over_the_limit_re_renders_the_form_with_413(app, client, consultation):
    app.config["CONTRIBUTION_MAX_BYTES"] = 1024
    big = PDF + b"0" * 2048
    refused = _post(client, consultation, file=(io.BytesIO(big), "grande.pdf"))
    assert refused.status_code == 413
    form = read_form(refused.get_data(as_text=True), f"/consultazioni/{consultation.id}/contributi")
    assert form.error_of("file").startswith("File troppo grande")
    assert form.values["themes"] == ALL_THEMES
    assert form.value("summary").startswith("Osservazioni sul Driver 5")


def test_an_empty_closing_outcome_is_said_beside_the_outcome(client, consultation):
    page = client.get(f"/procedimenti/{consultation.procedure_id}/consultazione")
    refused = client.post(
        f"/consultazioni/{consultation.id}/chiudi",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "version": "1", "outcome": " "},
    )
    assert refused.status_code == 422
    form = read_form(refused.get_data(as_text=True), f"/consultazioni/{consultation.id}/chiudi")
    assert form.error_of("outcome") == "Manca l'esito della consultazione."


def test_opening_without_a_deadline_keeps_the_chosen_zones(app, client, clock, direzione):
    territory.load(clock=clock)
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    url = f"/procedimenti/{procedure.id}/consultazione"
    page = client.get(url).get_data(as_text=True)
    refused = client.post(
        url, data={"csrf_token": csrf_from(page), "deadline": "", "zones": ["sud_est"]}
    )
    assert refused.status_code == 422
    form = read_form(refused.get_data(as_text=True), url)
    assert form.error_of("deadline") == "Indica il termine per i contributi."
    assert form.values["zones"] == ["sud_est"]
    assert "forum" not in form.values


def test_a_body_over_the_request_limit_shows_the_form_again_with_413(app, client, consultation):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    refused = _post(client, consultation, file=(io.BytesIO(PDF + b"0" * 8192), "enorme.pdf"))
    assert refused.status_code == 413
    html = refused.get_data(as_text=True)
    form = read_form(html, f"/consultazioni/{consultation.id}/contributi")
    assert form.error_of("file").startswith("File troppo grande")
    assert 'id="registra-contributo"' in html  # the consultation page, not a bare error page
