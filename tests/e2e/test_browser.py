"""In a real browser: log in, open the demo PSTTM 2025-2027, record the Commissione's first exam."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from workflow import create_app
from workflow.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
COMMISSIONE = "Primo esame in Commissione consiliare"
STEP_LINK = "Registra il primo esame in Commissione"


@pytest.fixture
def live_url(database_url: str) -> Iterator[str]:
    """The real app (system clock, CSRF on) with the demo data, served on a free local port."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "e2e-secret"})
    with app.app_context():  # `flask demo` gets one from FlaskGroup; the test runner does not
        loaded = app.test_cli_runner().invoke(args=["demo"])
    assert loaded.exit_code == 0, loaded.output
    # Threaded: chromium may hold an idle (preconnected) socket open next to the real request.
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


def commissione_actual_date(page: Page):
    """The "Effettiva" cell of the Commissione milestone (the 4th column of the Tappe table)."""
    row = page.get_by_role("row").filter(has_text=COMMISSIONE)
    return row.get_by_role("cell").nth(3)


@pytest.mark.e2e
def test_record_the_commissione_exam_in_chromium(live_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian chromium (apt-get install chromium); "
            "the e2e test never downloads a browser."
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(f"{live_url}/login")
            page.get_by_label("Nome utente").fill("direzione")
            page.get_by_label("Password").fill("demo-direzione")
            page.get_by_role("button", name="Entra").click()
            expect(page.get_by_role("heading", name="Procedimenti", exact=True)).to_be_visible()

            page.get_by_role("link", name=re.compile(r"^PSTTM 2025-2027")).click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("PSTTM 2025-2027")
            expect(commissione_actual_date(page)).to_have_text("—")
            page.screenshot(path=str(ARTIFACTS / "e2e-before.png"), full_page=True)

            page.get_by_role("link", name=STEP_LINK).click()
            page.locator("#f_data").fill("2025-03-12")
            page.get_by_role("button", name="Registra").click()

            expect(page.get_by_role("status")).to_have_text("Passaggio registrato.")
            expect(commissione_actual_date(page)).to_have_text("12/03/2025")
            expect(page.get_by_role("link", name=STEP_LINK)).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "e2e-after.png"), full_page=True)
        finally:
            browser.close()
