"""Property-based run of the JSON API from its own OpenAPI description (schemathesis): every
operation of /api/v1, whatever the generated input, never answers with a server error, never
with a status it does not document, and always in the shape its declared schema describes. And
the description covers every route, its page works offline under the app's CSP, a 405 says
which methods the URL takes."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, status_code_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.act_factories import attach_signed, make_people, propose
from tests.factories import TO_CONSULTATION, open_psttm, run
from workflow.consultations import operations as consultations
from workflow.consultations import territory
from workflow.deadlines import operations as deadlines

# Per operation and per pass: valid inputs, invalid inputs, valid inputs on objects that exist.
EXAMPLES_PER_OPERATION = 50
# Routes of the /api/v1 blueprints that describe the API rather than being operations of it.
ABOUT_THE_API = {"api.openapi", "api.docs"}


def api_operations(app) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every /api/v1 URL rule, as the document should list them."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in ABOUT_THE_API:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        found |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_the_document_lists_every_api_route(app, client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (m.upper(), p) for p, item in spec["paths"].items() for m in item if m != "parameters"
    }
    assert documented == api_operations(app)
    # 23; the public Albo's 3 (acts/albo_api); the protocol register's 5; the rettifica of a
    # step; the Albo office's document role, withdrawal, referto (2) and register
    assert len(documented) == 37
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def existing_objects(direzione, clock) -> dict[str, int]:
    """One object of each kind the paths name, so that generated bodies reach the services (and
    the database) instead of stopping at a 404."""
    territory.load(clock=clock)
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    consultation = consultations.open_consultation(
        procedure.id, deadline=date(2025, 2, 28), actor=direzione, clock=clock
    )
    people = make_people(clock)
    act = attach_signed(propose(people, clock), people, clock)
    deadline = deadlines.create_deadline(
        title="Scadenza", due_date=date(2025, 9, 30), actor=direzione, clock=clock
    )
    return {
        "procedure_id": procedure.id,
        "step_id": procedure.steps[0].id,
        "consultation_id": consultation.id,
        "body_id": consultation.invitations[0].body_id,
        "act_id": act.id,
        "document_id": act.documents[0].id,
        "deadline_id": deadline.id,
    }


# Three passes of 50 cases over every operation: minutes on a shared 2-core machine, past the
# suite's 300 s limit for one hung test (pyproject.toml), which is not what this is.
@pytest.mark.timeout(1800)
def test_api_never_answers_with_a_server_error(app, direzione, clock, token_for) -> None:
    known = existing_objects(direzione, clock)
    headers = token_for(direzione)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(api_operations(app))
    seen: set[int] = set()

    def fuzz(strategy) -> None:
        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(headers=headers)
            seen.add(response.status_code)
            case.validate_response(
                response,
                checks=(not_a_server_error, status_code_conformance, response_schema_conformance),
            )

        check()

    for operation in operations:
        fuzz(operation.as_strategy())
        fuzz(operation.as_strategy(GenerationMode.NEGATIVE))
        ids = {n: known[n] for n in re.findall(r"{(\w+)}", operation.path) if n in known}
        if ids:
            fuzz(operation.as_strategy(path_parameters=ids))
    assert {200, 201} <= seen and {400, 404, 422} <= seen, seen  # valid and refused inputs ran


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            if found.get("src"):
                self.urls.append(found["src"] or "")
            else:
                self.inline_scripts += 1
        if tag == "link" and found.get("rel") == "stylesheet":
            self.urls.append(found.get("href") or "")


def test_the_api_page_loads_its_assets_from_the_app(client) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assets = _Assets()
    assets.feed(page.get_data(as_text=True))
    assert assets.inline_scripts == 0  # the CSP would block it
    assert any(u.endswith("swagger-ui-bundle.js") for u in assets.urls)
    for url in assets.urls:
        assert url.startswith("/static/"), url  # no CDN
        assert client.get(url).status_code == 200, url
    assert 'data-spec-url="/api/v1/openapi.json"' in page.get_data(as_text=True)


def test_a_405_names_the_allowed_methods(client) -> None:
    response = client.delete("/api/v1/procedures")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.get_json()["error"]["status"] == 405


def test_a_field_of_the_wrong_type_is_refused_with_its_name(client, direzione, token_for) -> None:
    """Found by the schemathesis run: a list was stored as its repr, `[null]` answered 500."""
    headers = token_for(direzione)
    cases = {
        "title": (["x"], "«title»: deve essere un testo"),
        "fascicolo": ([None], "«fascicolo»: deve essere un testo"),
        "period_start": ("2026", "«period_start»: deve essere un numero intero"),
    }
    for field, (value, message) in cases.items():
        body = {"period_start": 2026, field: value}
        response = client.post("/api/v1/procedures", json=body, headers=headers)
        assert response.status_code == 422, field
        assert message in response.get_json()["error"]["message"]
    too_long = client.post(
        "/api/v1/procedures", json={"period_start": 2026, "title": "x" * 301}, headers=headers
    )
    assert too_long.status_code == 422
    assert (
        "«title»: troppo lungo: al massimo 300 caratteri" in too_long.get_json()["error"]["message"]
    )
    missing = client.post("/api/v1/procedures", json={}, headers=headers)
    assert "«period_start»: campo obbligatorio" in missing.get_json()["error"]["message"]
    not_an_object = client.post("/api/v1/procedures", json=[1], headers=headers)
    assert not_an_object.status_code == 400


def test_an_id_beyond_the_integer_column_is_404_whatever_the_method(client, direzione, token_for):
    """Found by the schemathesis run: a POST to a path whose GET twin exists came back 405."""
    headers = token_for(direzione)
    for url in ("/api/v1/procedures/2147483648/consultation", "/api/v1/procedures/2147483648"):
        assert client.post(url, json={}, headers=headers).status_code == 404
    largest = client.post("/api/v1/procedures/2147483647/consultation", headers=headers)
    assert largest.status_code == 400  # the route matched; the body (none) is refused
    assert client.get("/api/v1/procedures/0002147483647", headers=headers).status_code == 404
