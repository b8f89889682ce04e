"""A real browser (Debian chromium through Playwright, 1280 and 375 px) as the Ufficio Albo:
publishing a decree, it chooses among the act's documents — the unsigned draft and the annex kept
for the offices cannot be ticked — and the public page then lists only what it chose (issue 17)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from werkzeug.serving import make_server

from tests.act_factories import PASSWORD, make_people, propose, to_adopted
from tests.acts.test_albo_life import signed_by_both, upload
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_desk_browser import WIDTHS, serious_violations
from workflow.demo.signing import TestCA, simple_pdf
from workflow.extensions import db

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


def check(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    found = serious_violations(page)
    assert not found, f"{name}: " + json.dumps(found, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("device", WIDTHS)
def test_the_albo_office_publishes_choosing_among_the_documents(
    app, clock, live_server, device
) -> None:
    people = make_people(clock)
    act = to_adopted(propose(people, clock), people, clock)
    draft, act = upload(act, people, clock, "bozza.pdf", simple_pdf(["Bozza"]), "atto")
    good = signed_by_both(people, TestCA(), "DECRETO DEL SINDACO METROPOLITANO")
    signed, act = upload(act, people, clock, "DecretoFirmato.pdf", good, "atto")
    annex, act = upload(act, people, clock, "AllegatoA.pdf", simple_pdf(["Piano"]), "allegato")
    staff, act = upload(
        act, people, clock, "Istruttoria.pdf", simple_pdf(["Dati"]), "non_pubblicabile"
    )
    act_id = act.id
    db.session.remove()  # SQLite: end our transaction before the server writes
    # Launched only now: pyHanko signs with asyncio.run, which Playwright's loop would refuse.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            _publish_choosing(
                browser, live_server, people, act_id, device, draft, signed, annex, staff
            )
        finally:
            browser.close()


def _publish_choosing(
    browser: Browser, live_server, people, act_id, device, draft, signed, annex, staff
):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": WIDTHS[device], "height": 900}, bypass_csp=True)
    page.goto(f"{live_server}/login")
    page.fill("#username", people.albo.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/atti/{act_id}")

    form = page.locator("form", has=page.get_by_role("button", name="Pubblica all'Albo pretorio"))
    choice = form.get_by_role("group", name="Documento dell'atto da pubblicare")
    expect(choice.get_by_label("DecretoFirmato.pdf", exact=False)).to_be_checked()
    expect(choice.get_by_label("bozza.pdf", exact=False)).to_be_disabled()
    expect(choice).to_contain_text("non ha firme digitali")
    annexes = form.get_by_role("group", name="Allegati da pubblicare")
    expect(annexes.get_by_label("Istruttoria.pdf", exact=False)).to_be_disabled()
    expect(annexes).to_contain_text("allegato non pubblicabile")
    annexes.get_by_label("AllegatoA.pdf", exact=False).check()
    check(page, f"albo-scelta-documenti-{device}")
    form.get_by_role("button", name="Pubblica all'Albo pretorio").click()
    expect(page.locator("#stato")).to_have_text("PUBBLICATO ATTIVO")
    expect(page.locator(f"#documento-{signed.id} .pubblicato")).to_be_visible()
    expect(page.locator(f"#documento-{draft.id} .pubblicato")).to_have_count(0)

    public = browser.new_page(viewport={"width": WIDTHS[device], "height": 900}, bypass_csp=True)
    public.goto(f"{live_server}/albo/2025/1")
    expect(public.locator("#stato")).to_have_text("PUBBLICATO ATTIVO")
    documents = public.locator(".document")
    expect(documents).to_have_count(2)
    expect(documents.nth(0)).to_contain_text("DecretoFirmato.pdf")
    expect(documents.nth(1)).to_contain_text("AllegatoA.pdf")
    for hidden in ("bozza.pdf", "Istruttoria.pdf"):
        expect(public.get_by_text(hidden)).to_have_count(0)
    check(public, f"albo-pubblicazione-scelta-{device}")
    for document_id, status in ((annex.id, 200), (staff.id, 404), (draft.id, 404)):
        response = public.request.get(f"{live_server}/albo/2025/1/documenti/{document_id}")
        assert response.status == status, (document_id, response.status)
