"""In a real browser: log in, open the demo's triennio in progress, record the Commissione's first
exam."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, current_psttm, days_from_today
from workflow.demo import continuation

COMMISSIONE = "Primo esame in Commissione consiliare"
STEP_LINK = "Registra il primo esame in Commissione"


def commissione_actual_date(page: Page):
    """The "Effettiva" cell of the Commissione milestone (the 4th column of the Tappe table)."""
    row = page.get_by_role("row").filter(has_text=COMMISSIONE)
    return row.get_by_role("cell").nth(3)


@pytest.mark.e2e
def test_record_the_commissione_exam_in_chromium(live_url: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{live_url}/login")
    page.get_by_label("Nome utente").fill("direzione")
    page.get_by_label("Password").fill("demo-direzione")
    page.get_by_role("button", name="Entra").click()
    expect(page.get_by_role("heading", name="Scrivania", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Procedimenti"
    ).click()
    expect(page.get_by_role("heading", name="Procedimenti", exact=True)).to_be_visible()

    # The triennio in progress on the day the demo is loaded: its Commissione is overdue.
    current = current_psttm()
    page.get_by_role("link", name=re.compile(f"^{current}")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(current)
    expect(commissione_actual_date(page)).to_have_text("—")
    page.screenshot(path=str(ARTIFACTS / "e2e-before.png"), full_page=True)

    page.get_by_role("link", name=STEP_LINK, exact=True).click()
    # Held on its planned day (recorded late, but held on time: not "in ritardo").
    held = days_from_today(continuation.IN_PROGRESS_PLAN["commissione"])
    page.locator("#f_data").fill(held.isoformat())
    page.get_by_role("button", name="Registra").click()

    expect(page.get_by_role("status")).to_have_text("Passaggio registrato.")
    expect(commissione_actual_date(page)).to_have_text(f"{held:%d/%m/%Y}")
    expect(page.get_by_role("link", name=STEP_LINK, exact=True)).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "e2e-after.png"), full_page=True)
