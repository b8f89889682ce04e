"""Every role's main journey in a real browser, at desktop (1280 px) and phone (375 px) width, on
the Bootstrap Italia frame: no page scrolls sideways on a phone, axe-core finds nothing serious or
critical on any page visited, no page shows a code name (an event, state, milestone or role
code), and the kit's script and fonts run under the strict CSP.

axe-core is vendored (tests/e2e/vendor/axe.min.js, MPL-2.0): no network. Screenshots go to
test-artifacts/screens/<role>-<page>-<width>.png.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_desk_browser import serious_violations
from tests.procedures.test_page_words import CODE

SCREENS = ARTIFACTS / "screens"
WIDTHS = (1280, 375)

# (username, password, [(page name, path or "first:<href regex>@<path>")]): each role's main
# journey. "first:^/atti/\d+$@/atti" opens /atti and follows its first link to an act; "@."
# looks on the page already open.
JOURNEYS = {
    "cittadino": (
        None,
        None,
        [
            ("albo", "/albo"),
            ("albo-atto", r"first:^/albo/\d+/\d+$@/albo"),
            ("albo-archivio", "/albo/archivio"),
            ("albo-atto-concluso", r"first:^/albo/\d+/\d+$@/albo/archivio"),
            ("checkpoint", "/registro/checkpoint"),
            ("accesso", "/login"),
        ],
    ),
    "direzione": (
        "direzione",
        "demo-direzione",
        [
            ("scrivania", "/"),
            ("procedimenti", "/procedimenti"),
            # A PSTTM: the kind with a consultation of Comuni and Forum (the next page).
            ("procedimento", r"first:^/procedimenti/\d+$@/procedimenti?q=PSTTM"),
            ("consultazione", r"first:/consultazione$@."),
            ("procedimento-dup", r"first:^/procedimenti/\d+$@/procedimenti?q=DUP"),
            ("confronto", "/procedimenti/confronto"),
            ("atti", "/atti"),
            ("atto", r"first:^/atti/\d+$@/atti"),
            ("scadenze", "/scadenze"),
            ("territorio", "/territorio"),
            ("protocollo", "/protocollo"),
        ],
    ),
    "albo": (
        "albo",
        "demo-albo-pretorio",
        [
            ("scrivania", "/"),
            ("registro-albo", "/atti/albo/registro"),
            ("registro-giornaliero", "/protocollo/registro-giornaliero"),
            ("albo", "/albo"),
        ],
    ),
    "segretario": (
        "segretario",
        "demo-segretario",
        [("scrivania", "/"), ("atti", "/atti"), ("atto", r"first:^/atti/\d+$@/atti")],
    ),
    "admin": (
        "admin",
        "demo-amministratore",
        [
            ("utenti", "/admin/utenti"),
            ("deleghe", "/admin/deleghe"),
            ("diritti", "/admin/diritti"),
            ("tipi", "/admin/procedimenti"),
            ("audit", "/audit"),
            ("posta", "/posta"),
        ],
    ),
}


def log_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Entra").click()
    expect(page.get_by_role("heading", name="Scrivania", exact=True)).to_be_visible()


def open_page(page: Page, url: str, target: str) -> None:
    """Go to `target`: a path, or "first:<regex>@<path>" (the first link there matching it)."""
    if not target.startswith("first:"):
        page.goto(url + target)
        return
    pattern, path = target.removeprefix("first:").split("@")
    if path != ".":
        page.goto(url + path)
    hrefs = page.locator("main a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    href = next((h for h in hrefs if re.search(pattern, h)), None)
    assert href, f"no link matching {pattern} on {page.url}"
    page.goto(url + href)


def sideways_overflow(page: Page) -> dict | None:
    """None when the page fits its viewport; otherwise its width and the widest elements."""
    return page.evaluate(
        """() => {
          const root = document.documentElement, width = window.innerWidth;
          if (root.scrollWidth <= width) return null;
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 1)
            .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + (typeof e.className === 'string' && e.className.trim()
                 ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
              + ' ' + Math.round(e.getBoundingClientRect().right));
          return {scrollWidth: root.scrollWidth, innerWidth: width, wide};
        }"""
    )


@pytest.mark.e2e
@pytest.mark.parametrize("width", WIDTHS)
def test_every_role_journey_fits_and_passes_axe(live_url: str, browser: Browser, width: int):
    SCREENS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    # One browser context per width, as one person's browser: its cache keeps the kit's files.
    # bypass_csp lets the test inject axe-core; the CSP itself is proved below.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    for role, (username, password, pages) in JOURNEYS.items():
        if username:
            log_in(page, live_url, username, password)
        for name, target in pages:
            open_page(page, live_url, target)
            expect(page.get_by_role("banner")).to_be_visible()
            page.screenshot(path=str(SCREENS / f"{role}-{name}-{width}.png"), full_page=True)
            if width < 576 and (wide := sideways_overflow(page)):
                problems.append(f"{role}/{name} ({page.url}) scrolls sideways: {wide}")
            if found := serious_violations(page):
                problems.append(f"{role}/{name} ({page.url}) axe: " + json.dumps(found, indent=1))
            # What people read says things in Italian: no code name of a definition or a role.
            text = page.evaluate("document.body.innerText")
            if codes := sorted(set(CODE.findall(text))):
                problems.append(f"{role}/{name} ({page.url}) shows code names: {codes}")
        if username:
            page.get_by_role("button", name="Esci", exact=True).click()
            expect(page.get_by_role("heading", name="Accesso")).to_be_visible()
    context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.e2e
def test_the_kit_runs_under_the_strict_csp(live_url: str, browser: Browser):
    """The kit's script and fonts load from 'self', nothing asks for an inline style or script,
    and the navigation collapses behind the kit's menu button on a phone and opens from it."""
    page = browser.new_page(viewport={"width": 375, "height": 800})
    refused: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            refused.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: refused.append(str(error)))
    failed: list[str] = []
    # A favicon still loading when the next page starts is aborted: not a failure of the kit.
    page.on(
        "requestfailed",
        lambda request: request.failure != "net::ERR_ABORTED" and failed.append(request.url),
    )
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    log_in(page, live_url, "direzione", "demo-direzione")
    menu = page.get_by_role("navigation", name="Navigazione principale")
    toggler = menu.get_by_role("button", name="Mostra o nascondi il menu")
    expect(toggler).to_be_visible()
    expect(menu.get_by_role("link", name="Procedimenti")).to_be_hidden()
    toggler.click()
    expect(menu.get_by_role("link", name="Procedimenti")).to_be_visible()
    menu.get_by_role("link", name="Procedimenti").click()
    expect(page.get_by_role("heading", name="Procedimenti", exact=True)).to_be_visible()
    page.goto(f"{live_url}/albo")
    assert page.evaluate("document.fonts.check('16px \"Titillium Web\"')")
    assert page.evaluate("typeof window.bootstrap === 'object'")  # the kit's bundle ran
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert re.match(r'^"?Titillium Web', family), family
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="Dichiarazione di accessibilità")).to_be_visible()
    expect(footer).to_contain_text("PEC")
    assert not refused, "\n".join(m[:100] + " … " + m[-300:] for m in refused)
    assert not failed, failed
