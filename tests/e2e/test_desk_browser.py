"""In a real browser, on the demo data: the desk, the timeline and the state diagram, at desktop and
phone width, with axe-core's accessibility rules run in the page (no serious or critical finding).

axe-core is vendored (tests/e2e/vendor/axe.min.js, MPL-2.0, see the README there): no network.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, current_psttm, days_from_today
from workflow.demo import continuation

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WIDTHS = {"desktop": 1280, "telefono": 375}
# WCAG 2.x A and AA, plus axe's best practices (landmarks, headings, scrollable regions …).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Nome utente").fill("direzione")
    page.get_by_label("Password").fill("demo-direzione")
    page.get_by_role("button", name="Entra").click()
    expect(page.get_by_role("heading", name="Scrivania", exact=True)).to_be_visible()


def serious_violations(page: Page) -> list[dict]:
    """Run axe-core in the page; return the violations of impact serious or critical."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    found = serious_violations(page)
    assert not found, f"{name}: " + json.dumps(found, indent=1, ensure_ascii=False)


@pytest.mark.e2e
@pytest.mark.parametrize("device", WIDTHS)
def test_desk_timeline_and_diagram_in_chromium(live_url: str, browser: Browser, device) -> None:
    # bypass_csp lets the test inject axe-core; the app's own pages never run inline script.
    page = browser.new_page(viewport={"width": WIDTHS[device], "height": 900}, bypass_csp=True)
    log_in(page, live_url)

    # The desk: the triennio in progress with its phase, who acts, and the personal to-do.
    current = current_psttm()
    open_table = page.get_by_role("table", name=re.compile("Procedimenti aperti"))
    row = open_table.get_by_role("row").filter(has_text=current)
    expect(row).to_contain_text("FASE 2 — Costruzione proposta piano")
    expect(row).to_contain_text("Direzione Generale")
    todo = page.get_by_role("region", name="Da fare per te")
    expect(todo.get_by_role("link", name="Registra la presentazione al Forum")).to_be_visible()
    check(page, f"desk-{device}")

    # The procedure: timeline (a link per milestone) and the state diagram of its machine.
    row.get_by_role("link", name=re.compile(f"^{current}")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(current)
    timeline = page.locator("svg.timeline")
    expect(timeline.locator("a")).to_have_count(9)
    expect(timeline.locator("a.overdue")).not_to_have_count(0)  # the Commissione, 6 days ago
    diagram = page.get_by_role("img", name=re.compile("Diagramma degli stati"))
    expect(diagram).to_be_visible()
    expect(diagram.locator("g.node.current")).to_have_attribute("data-state", "consultazione")
    expect(diagram.locator("g.edge.taken")).to_have_count(3)  # avvia, linee guida, schema
    check(page, f"procedimento-{device}")
    page.emulate_media(media="print")  # printable: no navigation, pictures in full
    expect(page.get_by_role("banner")).to_be_hidden()
    expect(diagram).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"procedimento-stampa-{device}.png"), full_page=True)
    page.emulate_media(media="screen")

    # Keyboard: a bar of the timeline is reachable and leads to its milestone row; the avvio's
    # bar leads to its decree, an act of the tracker's Repertorio.
    linee_guida = timeline.locator('a[href="#tappa-linee_guida"]')
    linee_guida.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#tappa-linee_guida$"))
    held = days_from_today(continuation.IN_PROGRESS_PLAN["linee_guida"])
    expect(page.locator("#tappa-linee_guida")).to_contain_text(f"{held:%d/%m/%Y}")
    avviato = days_from_today(-continuation.STARTED_DAYS_AGO)
    expect(page.locator("#tappa-avvio")).to_contain_text(
        re.compile(rf"Decreto R\.G\. \d+/{avviato.year} del {avviato:%d/%m/%Y}")
    )
    expect(timeline.locator('a[href^="/atti/"]')).not_to_have_count(0)

    # The comparison across trienni on the demo: 2022-2024 and 2025-2027 complete, the triennio
    # in progress in FASE 2.
    page.goto(f"{live_url}/procedimenti/confronto")
    table = page.get_by_role("table", name=re.compile("Durata delle fasi"))
    expect(table.get_by_role("row").filter(has_text="2022-2024")).to_contain_text("201 giorni")
    expect(table.get_by_role("row").filter(has_text="2025-2027")).to_contain_text("95 giorni")
    period = current.removeprefix("PSTTM ")
    expect(table.get_by_role("row").filter(has_text=period)).to_contain_text("in corso")
    check(page, f"confronto-{device}")

    page.goto(f"{live_url}/procedimenti?stato=aperti")
    check(page, f"elenco-{device}")


@pytest.mark.e2e
def test_skip_link_is_the_first_stop_of_the_keyboard(live_url: str, browser: Browser) -> None:
    page = browser.new_page()
    log_in(page, live_url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Vai al contenuto")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#contenuto$"))
