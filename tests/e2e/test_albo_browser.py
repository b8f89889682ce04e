"""A real browser (Debian chromium through Playwright) on the demo decree R.G. 43/2025:
the staff page shows every field of the seed's record; the public page shows it as ended."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.acts.test_demo_acts import SEED_FIELDS, seed_decree
from workflow.demo import load as demo
from workflow.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_demo_decree_staff_page_then_public_page_after_the_window(app, clock, live_server):
    from playwright.sync_api import sync_playwright

    if shutil.which(CHROMIUM) is None:  # `make test` installs it: missing means a broken setup
        pytest.fail("Debian chromium non trovato in /usr/bin/chromium (make browser).")
    demo.load(clock=clock)  # the clock stands at 01/07/2025: the seed's window ended on 05/03
    decree = seed_decree()
    act_id, document_id = decree.id, decree.documents[0].id
    # SQLite transactions hold the write lock from BEGIN IMMEDIATE: end ours before the server's.
    db.session.remove()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_server}/login")
            page.fill("#username", "direzione")
            page.fill("#password", "demo-direzione")
            page.click("button[type=submit]")
            page.goto(f"{live_server}/atti/{act_id}")
            html = page.content()
            for text in SEED_FIELDS:
                assert text in html, text
            assert page.inner_text("#protocollo") == "32556/2025"
            assert page.inner_text("#pubblicazione") == "1084/2025"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "atto-43-2025-staff.png"), full_page=True)
            fingerprint = page.inner_text("code.impronta")
            assert len(fingerprint) == 64

            public = browser.new_page()  # a fresh context would also do: no login needed
            public.goto(f"{live_server}/albo/2025/1084")
            public.screenshot(path=str(ARTIFACTS / "albo-1084-2025-terminata.png"))
            assert public.inner_text("#stato") == "PUBBLICAZIONE TERMINATA"
            assert "terminata il 05/03/2025" in public.inner_text("#terminata")
            assert (
                public.locator("meta[name=robots]").get_attribute("content").startswith("noindex")
            )
            assert fingerprint not in public.content()
            assert public.locator("a[href*='/documenti/']").count() == 0
            gone = public.request.get(f"{live_server}/albo/2025/1084/documenti/{document_id}")
            assert gone.status == 410
        finally:
            browser.close()
