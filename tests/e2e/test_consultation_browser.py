"""In a real browser, on the demo data: the consultation page of PSTTM 2025-2027 — completeness
per Zona drawn as bars, the term extended by the proroga — then, on the open consultation of the
triennio in progress, who is missing and a contribution registered through the form."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, current_psttm, days_from_today
from workflow import create_app
from workflow.extensions import db


@pytest.fixture
def live_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The real app (system clock, CSRF on) with the demo data, files under a temporary folder."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "e2e-secret",
            "CONTRIBUTIONS_DIR": str(tmp_path / "contributi"),
        }
    )
    with app.app_context():
        loaded = app.test_cli_runner().invoke(args=["demo"])
    assert loaded.exit_code == 0, loaded.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.mark.e2e
def test_consultation_page_on_the_demo_data_in_chromium(live_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian chromium (apt-get install chromium).")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            # Chromium asks for /favicon.ico on its own; the app has none, and that 404 is not ours.
            page.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    if m.type == "error" and "favicon" not in m.location.get("url", "")
                    else None
                ),
            )
            page.goto(f"{live_url}/login")
            page.get_by_label("Nome utente").fill("direzione")
            page.get_by_label("Password").fill("demo-direzione")
            page.get_by_role("button", name="Entra").click()
            expect(page.get_by_role("heading", name="Scrivania", exact=True)).to_be_visible()
            # PSTTM 2025-2027, approved: its closed consultation, the term extended by the proroga.
            page.goto(f"{live_url}/procedimenti")
            page.get_by_role("link", name=re.compile(r"^PSTTM 2025-2027")).first.click()
            page.get_by_role("link", name="Contributi di Comuni e Forum (consultazione)").click()

            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Contributi di Comuni e Forum"
            )
            expect(page.locator("#termine")).to_contain_text("28/02/2025")
            expect(page.locator("#termine")).to_contain_text("prorogato al 31/03/2025")
            bars = page.locator("svg.bars")
            expect(bars).to_be_visible()
            expect(bars.locator("g.bar")).to_have_count(10)  # total, 7 zones, Milano, Forum
            expect(bars.locator('g[data-group="nord_milano"]')).to_contain_text("6/6 (100%)")
            expect(bars.locator('g[data-group="nord_milano"].complete')).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "e2e-consultazione.png"), full_page=True)
            bars.screenshot(path=str(ARTIFACTS / "e2e-consultazione-zone.png"))

            # The triennio in progress: its consultation is open, a contribution arrives.
            page.goto(f"{live_url}/procedimenti")
            page.get_by_role("link", name=re.compile(f"^{current_psttm()}")).first.click()
            page.get_by_role("link", name="Contributi di Comuni e Forum (consultazione)").click()
            expect(page.locator("#stato-consultazione")).to_have_text("aperta")
            missing = page.locator("#mancanti li")
            assert missing.count() > 0
            first_missing = missing.first.inner_text().split(" (")[0]
            before = page.locator("#completezza").inner_text()

            page.get_by_text("Registra un contributo").click()
            page.get_by_label("Ente").select_option(label=first_missing)
            received = days_from_today(-1)
            page.get_by_label("Ricevuto il (ora di Roma)").fill(f"{received.isoformat()}T23:59")
            page.get_by_label("Sintesi").fill("Osservazioni sulla mobilità (prova e2e)")
            # The counter of static/forms.js: as many characters as the server takes (issue 16).
            expect(page.locator("#summary-contatore")).to_have_text("39 / 10000 caratteri")
            # The kit draws the box on the label: a person clicks the label, so does the test.
            page.locator("label", has_text="Driver 5 · Il diritto alla mobilità").click()
            expect(page.get_by_label("Driver 5 · Il diritto alla mobilità")).to_be_checked()
            page.get_by_label("File (PDF)").set_input_files(
                {
                    "name": "contributo.pdf",
                    "mimeType": "application/pdf",
                    "buffer": b"%PDF-1.4\n%%EOF\n",
                }
            )
            page.get_by_role("button", name="Registra contributo").click()

            expect(page.get_by_role("status")).to_contain_text("Contributo registrato: protocollo")
            expect(page.locator("#completezza")).not_to_have_text(before)
            expect(page.locator("#contributi")).to_contain_text(first_missing)
            page.screenshot(path=str(ARTIFACTS / "e2e-consultazione-dopo.png"), full_page=True)
            assert errors == []  # no CSP violation or script error on the page
        finally:
            browser.close()
