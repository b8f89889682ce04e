"""The rights table's extension point: a tool that mounts its own blueprints on an app it builds
(the benchmarks) grants them there, and only there; the product's table stays what it is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask

from tests.conftest import IsolatedClient, login
from workflow import create_app
from workflow.access import rights
from workflow.access.roles import ADMIN, DIREZIONE_GENERALE
from workflow.extensions import db

tool_pages = Blueprint("tool_pages", __name__, url_prefix="/strumento")
tool_api = Blueprint("tool_api", __name__, url_prefix="/api/v1/strumento")
TOOL_RIGHTS = {
    "tool_pages.page": rights.Route((DIREZIONE_GENERALE,), "la pagina dello strumento"),
    "tool_api.ping": rights.Route((DIREZIONE_GENERALE,), "l'endpoint dello strumento"),
}


@tool_pages.get("/pagina")
def page() -> str:
    return "pagina dello strumento"


@tool_api.get("/ping")
def ping() -> dict[str, int]:
    return {"ok": 1}


@pytest.fixture
def tool_app(app: Flask, database_url: str, clock) -> Iterator[Flask]:
    """A second app on the test database, with the tool's blueprints mounted but not granted."""
    tool = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "CLOCK": clock,
            "SECRET_KEY": "test-secret",
        }
    )
    tool.test_client_class = IsolatedClient
    tool.register_blueprint(tool_pages)
    tool.register_blueprint(tool_api)
    yield tool
    with tool.app_context():
        db.engine.dispose()  # its pooled connections, before the next test's database is dropped


def test_an_endpoint_mounted_without_a_grant_is_refused(tool_app, make_user) -> None:
    make_user(DIREZIONE_GENERALE, username="direzione")
    client = tool_app.test_client()
    login(client, "direzione")
    assert client.get("/strumento/pagina").status_code == 403


def test_an_extension_grants_its_endpoints_on_its_app_only(
    app, tool_app, make_user, token_for
) -> None:
    rights.extend(tool_app, TOOL_RIGHTS, api_blueprints=["tool_api"])
    direzione = make_user(DIREZIONE_GENERALE, username="direzione")
    make_user(ADMIN, username="admin")
    anonymous, admin, tool = (tool_app.test_client() for _ in range(3))
    assert "/login" in anonymous.get("/strumento/pagina").headers["Location"]
    login(admin, "admin")
    assert admin.get("/strumento/pagina").status_code == 403
    assert "la pagina dello strumento" in admin.get("/admin/diritti").get_data(as_text=True)
    login(tool, "direzione")
    assert tool.get("/strumento/pagina").get_data(as_text=True) == "pagina dello strumento"
    # An API blueprint of the extension takes the bearer token, not the session cookie.
    assert tool.get("/api/v1/strumento/ping").status_code == 401
    assert tool.get("/api/v1/strumento/ping", headers=token_for(direzione)).json == {"ok": 1}
    assert rights.route("tool_pages.page", app) is None
    assert not rights.is_api("tool_api", app)
    assert rights.routes(app) == rights.ROUTES
    assert "tool_pages.page" not in rights.ROUTES


def test_an_extension_cannot_redefine_a_route_of_the_product(tool_app) -> None:
    desk = rights.ROUTES["desk.index"]
    with pytest.raises(ValueError, match="desk.index"):
        rights.extend(tool_app, {"desk.index": rights.Route(rights.PUBLIC, "la scrivania")})
    assert rights.route("desk.index", tool_app) == desk
    rights.extend(tool_app, TOOL_RIGHTS)
    with pytest.raises(ValueError, match="tool_pages.page"):
        rights.extend(tool_app, {"tool_pages.page": rights.Route(rights.PUBLIC, "la pagina")})
    assert rights.route("tool_pages.page", tool_app) == TOOL_RIGHTS["tool_pages.page"]
