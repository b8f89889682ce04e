"""Hostile input, table-driven, over every JSON operation that writes and every HTML form a user
with all roles can reach: NUL, control characters, line breaks in single-line fields, over-long
text, numbers past their column, dates out of range, wrong JSON types, deep nesting. Each answer is
400/404/409/413/422 with an Italian message, never a 500, and a refused request writes nothing
(every table's row count and the audit head unchanged). What is accepted (a tab, a no-break
space) is stored clean: after the run no text column holds NUL, a control character a single-line
column forbids, or more characters than the column allows."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from sqlalchemy import String, Text, func, select

from tests.conftest import csrf_from, login
from tests.factories import TO_CONSULTATION, open_psttm, run
from workflow.access.models import LoginAttempt
from workflow.access.roles import ROLE_CODES
from workflow.audit.models import AuditHead
from workflow.consultations import territory
from workflow.core import inputs
from workflow.extensions import db

REFUSED = {400, 404, 409, 413, 422}
# Past every column, the longest being an act's testo (200,000).
OVER_LONG = "x" * 200_001
# Every text field, whatever its kind.
TEXT = {
    "nul": "prima\x00dopo",
    "form_feed": "APPROVAZIONE\x0cDELLO SCHEMA",
    "escape": "\x1b[31mrosso",
    "delete": "a\x7fb",
    "c1_next_line": "a\x85b",
    "bidi_override": "\u202efdp.exe.pdf",
    "lone_surrogate": "a\ud800b",
    "over_long": OVER_LONG,
    "list": ["x"],
    "object": {"x": 1},
    "number": 5,
}
# Single-line fields only (a multi-line field keeps its line breaks).
SINGLE_LINE = {**TEXT, "line_break": "APPROVAZIONE DELLO SCHEMA\nDI CONVENZIONE"}
INTEGER = {
    "int32_past": 2**31,
    "int64_past": 2**63,
    "huge": 2**80,
    "string": "12",
    "float": 1.5,
    "boolean": True,
    "list": [None],
}
DATE = {
    "year_9999": "9999-12-31",
    "year_1": "0001-01-01",
    "not_a_day": "2025-02-30",
    "nul": "2025-01-10\x00",
    "number": 20250110,
    "list": ["2025-01-10"],
}
BOOLEAN = {"text": "forse", "nul": "s\x00", "number": 2, "list": [True], "object": {"x": True}}
VALUES = {"text": TEXT, "line": SINGLE_LINE, "int": INTEGER, "date": DATE, "bool": BOOLEAN}
# An event field's kind, as the machine definitions type them.
FIELD_KIND = {
    "date": "date",
    "act_number": "line",
    "text": "text",
    "bool": "bool",
    "document": "int",
    "documents": "int",
}
VALID = {
    "date": "2025-01-10",
    "act_number": "5/2025",
    "text": "nota",
    "bool": True,
    "document": 1,
    "documents": [1],
}


def fingerprint() -> tuple[Any, ...]:
    """Every table's row count and the audit head: a refused request leaves it as it was."""
    db.session.rollback()
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    )
    head = db.session.get(AuditHead, 1, populate_existing=True)
    return counts, (head.seq, head.hash) if head else None


def assert_clean_database() -> None:
    """No stored text breaks the rules the column guard enforces on the way in."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String) or table.name == "audit_events":
                continue
            multiline = isinstance(column.type, Text) or column.info.get("multiline")
            bad = inputs.MULTI_LINE_BAD if multiline else inputs.SINGLE_LINE_BAD
            for value in db.session.scalars(select(column).where(column.is_not(None))):
                assert not bad.search(value), (table.name, column.name, value[:80])
                if column.type.length:
                    assert len(value) <= column.type.length, (table.name, column.name)


def assert_refused(response, what: str) -> None:
    assert response.status_code in REFUSED, (what, response.status_code, response.data[:300])
    if response.is_json:
        message = response.get_json()["error"]["message"]
        english = re.search(r"\b(the|must|not|field|invalid|valid)\b", message, re.IGNORECASE)
        assert message and not english, message


# --- The JSON API ---------------------------------------------------------------------------


@pytest.fixture
def api(app: Flask, make_user, clock, token_for):
    """A caller holding every role, a procedure in consultation with its consultation open, a
    procedure not yet started, an act and a deadline: something for every operation to act on."""
    user = make_user(*sorted(ROLE_CODES), username="tutti")
    headers = token_for(user)
    client = app.test_client()
    territory.load(clock=clock)
    running = run(open_psttm(user, clock, 2025), TO_CONSULTATION, user, clock)
    fresh = open_psttm(user, clock, 2028)

    def call(method: str, path: str, **kwargs: Any):
        return client.open(path, method=method, headers=headers, **kwargs)

    opened = call("POST", f"/api/v1/procedures/{running.id}/consultation", json=VALID_CONSULTATION)
    assert opened.status_code == 201, opened.data
    act = call("POST", "/api/v1/acts", json=VALID_ACT)
    assert act.status_code == 201, act.data
    deadline = call("POST", "/api/v1/deadlines", json=VALID_DEADLINE)
    assert deadline.status_code == 201, deadline.data
    upload = {"version": "1", "kind": "allegato", "file": (io.BytesIO(PDF_BYTES), "a.pdf")}
    document = call("POST", f"/api/v1/acts/{act.get_json()['id']}/documents", data=upload)
    assert document.status_code == 201, document.data
    db.session.commit()
    return {
        "call": call,
        "running": running.id,
        "fresh": fresh.id,
        "consultation": opened.get_json()["id"],
        "act": act.get_json()["id"],
        "deadline": deadline.get_json()["id"],
        "avvio": next(s.id for s in running.steps if s.event == "avvia"),
        "document": document.get_json()["document"]["id"],
        "body": 1,
    }


VALID_CONSULTATION = {"deadline": "2025-06-30"}
VALID_ACT = {
    "act_type": "decreto_sindaco",
    "oggetto": "APPROVAZIONE DELLO SCHEMA DI PIANO",
    "fascicolo": "2.16/2024/1",
    "proponente": "CONSIGLIERE DELEGATO",
    "materia": "PIANIFICAZIONE STRATEGICA",
    "struttura": "DIREZIONE GENERALE",
    "testo": "Il Sindaco\ndecreta",
}
VALID_DEADLINE = {"title": "Relazione", "due_date": "2025-09-30", "legal_basis": "art. 1"}
PDF_BYTES = b"%PDF-1.4\n%%EOF\n"
PDF = base64.b64encode(PDF_BYTES).decode("ascii")

# (operation, method, path, valid body, {field: kind}); paths name the fixture's objects.
OPERATIONS = [
    (
        "open procedure",
        "POST",
        "/api/v1/procedures",
        {"period_start": 2031, "title": "PSTTM 2031", "fascicolo": "1.2/2031"},
        {"period_start": "int", "title": "line", "fascicolo": "line", "kind": "line"},
    ),
    (
        "plan milestones",
        "POST",
        "/api/v1/procedures/{fresh}/milestones",
        {"version": 1, "planned": {"avvio": "2028-01-15"}},
        {"version": "int", "planned": "line"},
    ),
    (
        "correct step",
        "POST",
        "/api/v1/procedures/{running}/steps/{avvio}/rettifiche",
        {"version": 4, "motivo": "Numero\nerrato", "numero": "265/2024", "note": "verbale"},
        {
            "version": "int",
            "motivo": "text",
            "numero": "line",
            "data": "date",
            "note": "text",
            "conferma_anno": "bool",
        },
    ),
    (
        "propose act",
        "POST",
        "/api/v1/acts",
        VALID_ACT,
        {
            "oggetto": "line",
            "fascicolo": "line",
            "proponente": "line",
            "materia": "line",
            "struttura": "line",
            "testo": "text",
            "procedure_id": "int",
            "act_type": "line",
        },
    ),
    (
        "create deadline",
        "POST",
        "/api/v1/deadlines",
        VALID_DEADLINE,
        {
            "title": "line",
            "due_date": "date",
            "legal_basis": "line",
            "description": "text",
            "procedure_id": "int",
            "assignees": "int",
            "kind": "line",
        },
    ),
    (
        "settle deadline",
        "POST",
        "/api/v1/deadlines/{deadline}/settle",
        {"state": "met", "note": "fatto"},
        {"state": "line", "note": "text"},
    ),
    (
        "set addresses",
        "PUT",
        "/api/v1/territorio/enti/{body}/indirizzi",
        {"addresses": ["protocollo@comune.example.it"]},
        {"addresses": "line"},
    ),
    (
        "open consultation",
        "POST",
        "/api/v1/procedures/{fresh}/consultation",
        VALID_CONSULTATION,
        {"deadline": "date", "zones": "line"},
    ),
    (
        "register contribution",
        "POST",
        "/api/v1/consultations/{consultation}/contributions",
        {
            "body_id": 1,
            "received_at": "2025-03-01T10:00",
            "channel": "pec",
            "summary": "Osservazioni\nsul piano",
            "themes": ["M1"],
            "file_name": "contributo.pdf",
            "content_base64": PDF,
        },
        {
            "body_id": "int",
            "received_at": "date",
            "channel": "line",
            "summary": "text",
            "themes": "line",
            "file_name": "line",
            "content_base64": "line",
        },
    ),
    (
        "register protocol",
        "POST",
        "/api/v1/protocollo",
        {
            "direction": "entrata",
            "oggetto": "Richiesta di incontro",
            "document_date": "2025-06-30",
            "sender_protocol": "12/2025",
            "fascicolo": "2.16/2024/1",
            "correspondents": [{"name": "Comune di Bresso", "address": "info@bresso.example.it"}],
            "documents": [{"file_name": "richiesta.pdf", "content_base64": PDF}],
        },
        {
            "direction": "line",
            "oggetto": "line",
            "document_date": "date",
            "sender_protocol": "line",
            "fascicolo": "line",
        },
    ),
    (
        "change document role",
        "POST",
        "/api/v1/acts/{act}/documents/{document}/role",
        {"version": 2, "kind": "non_pubblicabile"},
        {"version": "int", "kind": "line", "original_id": "int"},
    ),
    (
        "withdraw document",
        "POST",
        "/api/v1/acts/{act}/documents/{document}/withdraw",
        {"version": 2, "motivazione": "Caricato per errore\nsu un altro atto"},
        {"version": "int", "motivazione": "text"},
    ),
    (
        "close consultation",
        "POST",
        "/api/v1/consultations/{consultation}/close",
        {"version": 1, "outcome": "Esito\ndella consultazione"},
        {"version": "int", "outcome": "text"},
    ),
]
# A list-valued field takes the hostile value as its element.
LISTS = {"assignees", "addresses", "zones", "themes"}


def _hostile(field: str, kind: str) -> Iterator[tuple[str, Any]]:
    for name, value in VALUES[kind].items():
        if field in LISTS:
            yield f"[{name}]", [value]
        elif field == "planned":
            yield f"{{{name}}}", {"avvio": value}
        else:
            yield name, value


@pytest.mark.parametrize("operation", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_every_write_operation_refuses_hostile_values_and_writes_nothing(api, operation) -> None:
    _, method, template, valid, fields = operation
    path = template.format(**api)
    before = fingerprint()
    for field, kind in fields.items():
        for name, value in _hostile(field, kind):
            response = api["call"](method, path, json={**valid, field: value})
            assert_refused(response, f"{field}={name}")
            assert fingerprint() == before, f"{field}={name} wrote something"
    # The same body with no hostile value is accepted: the refusals above were the field's.
    accepted = api["call"](method, path, json=valid)
    assert accepted.status_code in (200, 201), accepted.data[:300]
    assert_clean_database()


@pytest.mark.parametrize("kind", ["procedures", "acts"])
def test_every_step_field_refuses_hostile_values(api, kind) -> None:
    """Each event the caller may fire on a procedure or an act, each of its fields, each hostile
    value of the field's type: refused, nothing written."""
    object_id = api["fresh"] if kind == "procedures" else api["act"]
    detail = api["call"]("GET", f"/api/v1/{kind}/{object_id}").get_json()
    events = [e for e in detail["allowed_events"] if e["fields"]]
    assert events, detail["allowed_events"]
    before = fingerprint()
    for event in events:
        valid = {f["name"]: VALID[f["type"]] for f in event["fields"]}
        valid["version"] = detail["version"]
        path = f"/api/v1/{kind}/{object_id}/events/{event['event']}"
        for f in event["fields"]:
            for name, value in VALUES[FIELD_KIND[f["type"]]].items():
                response = api["call"]("POST", path, json={**valid, f["name"]: value})
                assert_refused(response, f"{event['event']}.{f['name']}={name}")
                assert fingerprint() == before


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        b"[" * (inputs.JSON_MAX_DEPTH + 1) + b"]" * (inputs.JSON_MAX_DEPTH + 1),
        b'{"title": "a\\u0000b", "period_start": 2031}',
        b"{not json",
    ],
    ids=["deep_list", "deep_object", "one_past_the_limit", "escaped_nul", "not_json"],
)
def test_malformed_json_is_a_400(api, body) -> None:
    before = fingerprint()
    for method, template, _ in [(o[1], o[2], o) for o in OPERATIONS]:
        response = api["call"](
            method, template.format(**api), data=body, content_type="application/json"
        )
        assert response.status_code == 400, (template, response.status_code)
        assert response.get_json()["error"]["message"]
    assert fingerprint() == before


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/acts?q=a%00b",
        "/api/v1/acts?q=a%0Cb",
        "/api/v1/acts?q=" + "x" * 5000,
        "/api/v1/registers/decreti/daily?date=0001-01-01",
        "/api/v1/registers/decreti/daily?date=9999-12-31",
        "/api/v1/registers/decreti/daily?date=%00",
        "/api/v1/territorio/enti?kind=%00",
        "/api/v1/deadlines?mine=%00",
        "/api/v1/procedures/2147483648",
        "/api/v1/procedures/9223372036854775808",
        "/api/v1/acts/99999999999999999999999",
        "/api/v1/registers/a%00b/daily?date=2025-01-10",
        "/api/v1/albo/pubblicazioni?q=a%00b",
        "/api/v1/albo/pubblicazioni?q=" + "x" * 5000,
        "/api/v1/albo/pubblicazioni?numero=" + "9" * 30,
        "/api/v1/albo/pubblicazioni?pagina=99999999999999999999",
        "/api/v1/albo/pubblicazioni/2147483648/1",
        "/api/v1/albo/feed?tipo=%00",
        "/albo?q=a%00b",
        "/albo/archivio?numero=" + "9" * 30,
        "/albo/feed?tipo=ordinanza",
    ],
)
def test_hostile_query_strings_and_paths_are_refused(api, query) -> None:
    response = api["call"]("GET", query)
    assert_refused(response, query)


# --- The HTML forms -------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The POST forms of a page (action, fields with type, value and maxlength) and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": [], "multipart": False}
            self._form["multipart"] = "multipart" in a.get("enctype", "")
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append({"name": a["name"], "type": kind, "value": a.get("value")})
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._form is not None and self._select:
            field = self._form["fields"][-1]
            if field["value"] is None or "selected" in a:
                field["value"] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _typable(values: dict[str, Any]) -> dict[str, str]:
    """What a browser can send in a form field: text that has a UTF-8 encoding."""
    return {k: v for k, v in values.items() if isinstance(v, str) and "\ud800" not in v}


FORM_VALUES = {
    "text": _typable(SINGLE_LINE),
    "textarea": _typable(TEXT),
    "number": {"int32_past": str(2**31), "huge": str(2**80), "nul": "1\x00"},
    "date": {"year_9999": "9999-12-31", "year_1": "0001-01-01", "nul": "2025\x00"},
}
FORM_VALUES["select"] = FORM_VALUES["text"]
FORM_VALUES["email"] = FORM_VALUES["password"] = FORM_VALUES["text"]
FORM_VALUES["datetime-local"] = {"year_9999": "9999-12-31T10:00", "nul": "x\x00"}
FORM_VALUES["hidden"] = {"int32_past": str(2**31), "nul": "1\x00", "over_long": OVER_LONG}
SKIPPED_ACTIONS = ("/logout", "/esci")


def _crawl(client, start: str, limit: int) -> Iterator[tuple[str, dict[str, Any]]]:
    seen, queue, forms = {start}, [start], set()
    while queue and len(seen) <= limit:
        page = queue.pop(0)
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = urljoin(page, form["action"] or page)
            # One form of a kind: the last segment of its action names it (ruoli, passaggi/…).
            last = urlsplit(action).path.rstrip("/").rsplit("/", 1)[-1]
            key = (re.sub(r"\d+", "N", last), tuple(f["name"] for f in form["fields"]))
            if key in forms or any(s in action for s in SKIPPED_ACTIONS):
                continue
            forms.add(key)
            yield page, {**form, "action": action}
        for link in parser.links:
            url = urljoin(page, link)
            parts = urlsplit(url)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/api/"):
                continue
            if parts.path.endswith((".pdf", ".csv", ".ics", ".xml", ".json")) or "logout" in url:
                continue
            generic = re.sub(r"\d+", "N", parts.path)
            if url not in seen and sum(re.sub(r"\d+", "N", s) == generic for s in seen) < 2:
                seen.add(url)
                queue.append(url)


def test_every_form_refuses_hostile_values_and_writes_nothing(demo_app, make_user) -> None:
    """Crawl the staff pages as a user with every role; submit every POST form once per field
    and hostile value (the other fields as the page filled them)."""
    make_user(*sorted(ROLE_CODES), username="tutti")
    db.session.commit()
    client = demo_app.test_client()
    assert login(client, "tutti").status_code == 302
    tried, statuses = 0, {}
    token = csrf_from(client.get("/").get_data(as_text=True))
    for _page, form in _crawl(client, "/", limit=150):
        for field in form["fields"]:
            if field["name"] == "csrf_token":
                continue
            for name, value in FORM_VALUES.get(field["type"], {}).items():
                data = {f["name"]: f["value"] or "" for f in form["fields"]}
                data |= {field["name"]: value, "csrf_token": token}
                before = fingerprint()
                response = client.post(form["action"], data=data)
                what = f"{form['action']} {field['name']}={name}"
                assert response.status_code != 500, what
                assert b"CSRF" not in response.data, what  # the rule ran, not the token check
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 400:
                    assert response.status_code in REFUSED, (what, response.status_code)
                    assert fingerprint() == before, f"{what} wrote something"
                tried += 1
    assert tried > 250, tried
    print(statuses)
    assert_clean_database()


@pytest.mark.parametrize("username", [OVER_LONG, "a\x0cb", "riga\nnuova", "tab\tnbsp\u00a0"])
def test_a_login_with_any_username_is_a_recorded_failed_attempt(app, username) -> None:
    client = app.test_client()
    response = login(client, username, "qualsiasi")
    assert response.status_code == 401
    assert "non corretti" in response.get_data(as_text=True)
    attempt = db.session.scalars(select(LoginAttempt)).one()
    assert len(attempt.username) <= 80 and not inputs.SINGLE_LINE_BAD.search(attempt.username)


def test_the_feed_links_to_the_public_address_whatever_the_host_header(demo_app) -> None:
    feed = demo_app.test_client().get("/albo/feed", headers={"Host": "evil.example"})
    assert feed.status_code == 200
    assert b"evil.example" not in feed.data
    assert demo_app.config["PUBLIC_BASE_URL"].encode() + b"/albo/" in feed.data


@pytest.mark.parametrize("bounds", ["da=99999999999999999999", "a=99999999999999999999"])
def test_an_audit_export_range_past_the_integer_column_is_clamped(demo_app, bounds) -> None:
    client = demo_app.test_client()
    assert login(client, "segretario", "demo-segretario").status_code == 302
    for fmt in ("jsonl", "csv"):
        response = client.get(f"/audit/esporta.{fmt}?{bounds}")
        body = response.get_data(as_text=True)  # streamed: an error would surface here
        assert response.status_code == 200, body[:200]
        lines = body.strip().splitlines()
        assert (len(lines) > 1) == bounds.startswith("a="), (fmt, len(lines))


def test_a_secret_calendar_token_is_masked_where_no_route_matches(client, caplog) -> None:
    caplog.set_level("INFO", logger="workflow.requests")
    client.get("/calendario/segretissimo/procedimenti/abc.ics")
    client.get("/calendario/segretissimo.ical")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "segretissimo" not in logged and "/calendario/***" in logged


@pytest.mark.parametrize("typed", ["abc", "1.5", "-0", "١٢"])
def test_an_act_proposed_for_a_procedure_that_is_no_number_is_refused(demo_app, typed) -> None:
    client = demo_app.test_client()
    assert login(client, "direzione", "demo-direzione").status_code == 302
    token = csrf_from(client.get("/atti").get_data(as_text=True))
    before = fingerprint()
    form = {**VALID_ACT, "procedure_id": typed, "csrf_token": token}
    response = client.post("/atti", data=form)
    assert response.status_code == 422
    assert "Procedimento" in response.get_data(as_text=True)
    assert fingerprint() == before
