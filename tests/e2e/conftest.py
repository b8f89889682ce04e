"""Browser-test fixtures: the real app with the demo data on a local port, and Debian's chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from workflow import create_app
from workflow.core.clock import ROME
from workflow.demo import continuation
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


def today() -> date:
    """Today in Europe/Rome: the browser tests' app runs on the system clock."""
    return datetime.now(ROME).date()


def current_psttm() -> str:
    """ "PSTTM 2027-2029" or so: the triennio the demo loaded today has in progress."""
    start = continuation.in_progress_start(today())
    return f"PSTTM {start}-{start + 2}"


def days_from_today(offset: int) -> date:
    """A day relative to today, as the demo's plan of the triennio in progress sets them
    (continuation.IN_PROGRESS_PLAN)."""
    return today() + timedelta(days=offset)


@pytest.fixture
def live_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The real app (system clock, CSRF on) with the demo data, served on a free local port."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "e2e-secret",
            "DOCUMENTS_DIR": tmp_path / "documents",
            "CONTRIBUTIONS_DIR": str(tmp_path / "contributi"),
            # The browser keeps the kit's 1.7 MB of static files instead of asking for each on
            # every page: fewer transfers for chromium to cut short when a test moves on (the
            # development server then left a file open, a ResourceWarning failing the test).
            "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        }
    )
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


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless; the tests never download a browser."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian chromium (apt-get install chromium); "
            "the e2e test never downloads a browser."
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
