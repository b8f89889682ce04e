"""The page frame (templates/base.html): Bootstrap Italia served from the app itself, the body's
header and footer filled from the SITE_* settings, and nothing inline for the CSP to refuse."""

from __future__ import annotations

import re

from tests.conftest import login
from workflow.core.layout import KIT
from workflow.core.security import CONTENT_SECURITY_POLICY


def test_the_kit_loads_from_the_app_itself_with_nothing_inline(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert f'href="/static/{KIT}/css/bootstrap-italia.min.css"' in page
    assert f'src="/static/{KIT}/js/bootstrap-italia.bundle.min.js"' in page
    assert 'rel="icon" href="data:image/svg+xml,' in page
    # The CSP allows no inline script or style: every <script> has a src, no style= attribute.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and " style=" not in page
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    for asset in (
        f"{KIT}/css/bootstrap-italia.min.css",
        f"{KIT}/js/bootstrap-italia.bundle.min.js",
        f"{KIT}/svg/sprites.svg",
        f"{KIT}/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2",
        "fonts.css",
    ):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
        response.close()


def test_the_footer_names_the_body_its_pec_and_the_legal_links(client) -> None:
    page = client.get("/albo").get_data(as_text=True)
    assert "Città metropolitana di Milano" in page
    assert "protocollo@pec.cittametropolitana.mi.it" in page  # the protocol's PEC, by default
    for label in ("Informativa sulla privacy", "Dichiarazione di accessibilità", "Note legali"):
        assert label in page
    assert 'class="crest"' not in page  # no crest unless configured


def test_the_crest_and_the_links_come_from_the_settings(app, client) -> None:
    app.config.update(
        SITE_CREST="img/stemma.svg",
        SITE_PEC="ufficio@pec.example.it",
        SITE_ACCESSIBILITY_URL="https://form.agid.gov.it/view/esempio",
    )
    page = client.get("/albo").get_data(as_text=True)
    assert '<img class="crest" src="/static/img/stemma.svg" alt="">' in page
    assert "ufficio@pec.example.it" in page
    assert 'href="https://form.agid.gov.it/view/esempio"' in page


def test_staff_navigation_marks_the_page_it_is_on(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/procedimenti").get_data(as_text=True)
    assert re.search(r'class="nav-link active" href="/procedimenti" aria-current="page"', page)
    assert 'aria-label="Navigazione principale"' in page
    assert "Esci ovunque" in page
