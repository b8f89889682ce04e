"""Serving it for real: the health check, the request log with its request id, and the refusal
of the development SECRET_KEY outside debug and testing."""

from __future__ import annotations

import logging

import click
import pytest

from tests.conftest import login
from workflow import create_app
from workflow.access import rights
from workflow.config import DEVELOPMENT_SECRET_KEY, ConfigurationError, serving
from workflow.core.request_log import HEADER


def request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "workflow.requests"]


def test_health_answers_ok_without_login_when_the_database_answers(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "unreachable",
    [
        "sqlite:////nessuna-cartella/di/certo/workflow.sqlite3",
        "postgresql+psycopg://nessuno@127.0.0.1:1/workflow?connect_timeout=2",
    ],
)
def test_health_answers_503_when_the_database_is_unreachable(unreachable: str, caplog) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": unreachable, "SECRET_KEY": "una-chiave-vera"})
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
    assert any("il database non risponde" in r.getMessage() for r in caplog.records)


def test_a_sane_request_id_is_echoed_and_logged_once(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="workflow.requests")
    response = client.get("/health", headers={HEADER: "lb-7f3a.42"})
    assert response.headers[HEADER] == "lb-7f3a.42"
    (line,) = request_lines(caplog)
    method, path, status, duration, rid, user = line.split(" ")
    assert (method, path, status) == ("GET", "/health", "200")
    assert duration.endswith("ms") and float(duration[:-2]) >= 0
    assert (rid, user) == ("request_id=lb-7f3a.42", "user=-")


@pytest.mark.parametrize("given", ["", "due parole", "x" * 65, "<script>", "è-accentato"])
def test_an_insane_request_id_is_replaced_by_a_new_one(client, caplog, given: str) -> None:
    caplog.set_level(logging.INFO, logger="workflow.requests")
    response = client.get("/health", headers={HEADER: given})
    made = response.headers[HEADER]
    assert made != given and len(made) == 32 and int(made, 16) >= 0
    assert request_lines(caplog)[-1].endswith(f"request_id={made} user=-")


def test_each_request_gets_its_own_id(client) -> None:
    first, second = (client.get("/health").headers[HEADER] for _ in range(2))
    assert first != second


def test_the_log_line_names_the_user_and_the_status(client, direzione, caplog) -> None:
    caplog.set_level(logging.INFO, logger="workflow.requests")
    login(client, "direzione")
    caplog.clear()
    client.get("/procedimenti")
    client.get("/non-esiste")
    lines = request_lines(caplog)
    assert lines[0].startswith("GET /procedimenti 200 ") and lines[0].endswith("user=direzione")
    assert lines[1].startswith("GET /non-esiste 404 ")


def test_the_log_masks_secret_url_tokens_and_cannot_be_split(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="workflow.requests")
    client.get("/calendario/segreto-del-calendario.ics")
    client.get("/albo/riga%0Afalsa")
    masked, encoded = request_lines(caplog)
    assert "segreto-del-calendario" not in masked
    assert masked.startswith("GET /calendario/***.ics 404 ")
    assert "\n" not in encoded and encoded.startswith("GET /albo/riga%0Afalsa 400 ")


def test_an_unexpected_error_is_logged_with_the_request_id(app, client, caplog) -> None:
    def broken() -> str:
        raise RuntimeError("guasto di prova")

    app.add_url_rule("/guasto", "guasto", broken)
    rights.extend(app, {"guasto": rights.Route(rights.PUBLIC, "una pagina rotta")})
    caplog.set_level(logging.INFO, logger="workflow")
    response = client.get("/guasto", headers={HEADER: "caso-42"})
    assert response.status_code == 500 and response.headers[HEADER] == "caso-42"
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["Errore non gestito su /guasto (request_id=caso-42)"]
    assert request_lines(caplog)[-1].startswith("GET /guasto 500 ")


@pytest.mark.parametrize("key", [None, "", DEVELOPMENT_SECRET_KEY])
def test_the_app_refuses_the_development_secret_key_outside_debug_and_testing(
    monkeypatch, database_url: str, key: str | None
) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"SQLALCHEMY_DATABASE_URI": database_url}
    if key is not None:
        config["SECRET_KEY"] = key
    with pytest.raises(ConfigurationError, match="SECRET_KEY mancante .* SECRET_KEY is missing"):
        create_app(config)


def test_the_development_secret_key_is_accepted_in_debug_and_testing(
    monkeypatch, database_url: str
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")  # what `flask run --debug` sets
    assert create_app({"SQLALCHEMY_DATABASE_URI": database_url}).debug
    monkeypatch.delenv("FLASK_DEBUG")
    assert create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True}).testing
    monkeypatch.setenv("SECRET_KEY", "una-chiave-lunga-e-casuale")
    assert create_app({"SQLALCHEMY_DATABASE_URI": database_url}).secret_key


def test_only_serving_and_the_scheduler_need_the_secret_key(app) -> None:
    """gunicorn builds the app outside any click context: checked there (test above). A flask
    command (db, users, demo…) signs nothing and runs without the key; the scheduler signs the
    unsubscribe links and ends with "Errore: SECRET_KEY…" without it."""
    assert serving()
    with click.Context(click.Command("users")):
        assert not serving()
    app.config.update(TESTING=False, DEBUG=False, SECRET_KEY=DEVELOPMENT_SECRET_KEY)
    listed = app.test_cli_runner().invoke(args=["users", "list"])
    assert listed.exit_code == 0, listed.output
    refused = app.test_cli_runner().invoke(args=["scheduler"])
    assert refused.exit_code == 1 and "Errore: SECRET_KEY mancante" in refused.output
