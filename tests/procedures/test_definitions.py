"""Procedure kinds as files (issue 19): checked at start-up with the file and the line, versioned
by their content, kept for the procedures that started on them, migrated on request; a kind
defined only in the tests' folder walked through the web UI and the API."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from tests.conftest import PASSWORD, IsolatedClient, _app_config, csrf_from, login
from workflow import create_app, definitions
from workflow.access import operations as users
from workflow.audit.models import AuditEvent
from workflow.audit.replay import verify_tables
from workflow.core.clock import FixedClock
from workflow.core.errors import GuardFailed
from workflow.deadlines.models import MET, OPEN, Deadline
from workflow.definitions import LATEST, DefinitionError, loader
from workflow.desk.sections import current_phase
from workflow.extensions import db
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure

KINDS = Path(__file__).parent / "kinds"
PROVA = (KINDS / "prova.yaml").read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of `text` containing `fragment`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


# --- the file is checked, each problem at its line -------------------------------------------

BROKEN = [
    pytest.param(
        (
            "  - {codice: chiuso, etichetta: Chiuso, fase: Chiusura, finale: true}",
            "  - {codice: chiuso, fase: Chiusura, finale: true}",
        ),
        "{codice: chiuso, fase",
        "manca «etichetta»",
        id="etichetta mancante",
    ),
    pytest.param(
        ('condizioni: ["tappa_non_registrata(verifica_a)"]', "condizioni: [verifica_fatta]"),
        "condizioni: [verifica_fatta]",
        "condizione «verifica_fatta» sconosciuta",
        id="condizione sconosciuta",
    ),
    pytest.param(
        (
            "  - {codice: chiuso, etichetta: Chiuso, fase: Chiusura, finale: true}",
            "  - {codice: chiuso, etichetta: Chiuso, fase: Chiusura, finale: true}\n"
            "  - {codice: sospeso, etichetta: Sospeso, fase: Chiusura, finale: true}",
        ),
        "codice: sospeso",
        "lo stato «sospeso» non è raggiungibile",
        id="stato irraggiungibile",
    ),
    pytest.param(
        (
            "    etichetta: Registra la verifica B\n    da: istruttoria\n    a: null\n"
            "    ruoli: [direzione_generale]",
            "    etichetta: Registra la verifica B\n    da: istruttoria\n    a: null\n"
            "    ruoli: []",
        ),
        "ruoli: []",
        "passaggi.2.ruoli deve avere almeno 1 elemento",
        id="passaggio senza ruoli",
    ),
    pytest.param(
        ("data_fissa: {giorno: 30, mese: 9}", "data_fissa: {giorno: 30, mese: 2}"),
        "data_fissa: {giorno: 30, mese: 2}",
        "il giorno 30/2 non esiste",
        id="scadenza con un giorno che non esiste",
    ),
    pytest.param(
        (
            "    data_fissa: {giorno: 30, mese: 9}",
            "    data_fissa: {giorno: 30, mese: 9}\n    dopo: {tappa: avvio, giorni: 5}",
        ),
        "- codice: chiusura",
        "va indicata una sola voce tra data_fissa, dopo, fine_mese, da_campo",
        id="scadenza con due regole",
    ),
    pytest.param(
        ("soddisfatta_da: {tappa: chiusura}", "soddisfatta_da: {tappa: archiviazione}"),
        "tappa: archiviazione",
        "tappa «archiviazione» inesistente",
        id="scadenza su una tappa che non esiste",
    ),
    pytest.param(
        ("titolo_breve: Prova", "titolo_breve: [Prova"),
        "titolo_breve: [Prova",
        "YAML non valido",
        id="YAML non valido",
    ),
]


@pytest.mark.parametrize(("change", "at", "message"), BROKEN)
def test_a_broken_file_is_refused_with_its_line(change, at, message) -> None:
    old, new = change
    assert old in PROVA
    text = PROVA.replace(old, new, 1)
    with pytest.raises(DefinitionError) as refused:
        loader.parse(text, "prova.yaml")
    found = [p for p in refused.value.problems if message in p.text]
    assert found, str(refused.value)
    expected = line_of(text, at)
    assert found[0].line in (expected, expected + 1), str(refused.value)
    assert f"prova.yaml, riga {found[0].line}: " in str(refused.value)


def test_a_key_written_twice_is_refused() -> None:
    text = PROVA.replace("titolo_breve: Prova\n", "titolo_breve: Prova\ntitolo_breve: Altra\n")
    with pytest.raises(DefinitionError, match=r"prova.yaml, riga \d+: «titolo_breve» ripetuto"):
        loader.parse(text, "prova.yaml")


def test_a_broken_file_stops_the_start_not_the_first_request(tmp_path, database_url) -> None:
    (tmp_path / "prova.yaml").write_text(PROVA.replace("ruoli: [direzione_generale]", "ruoli: []"))
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True}
    with pytest.raises(DefinitionError, match=r"prova.yaml, riga \d+: .*ruoli"):
        create_app({**config, "DEFINITION_DIRS": [str(tmp_path)]})
    definitions.install(types.SimpleNamespace(config={}))


def test_the_version_is_the_content_not_the_layout() -> None:
    first, _ = loader.parse(PROVA, "prova.yaml")
    commented, _ = loader.parse("# un commento\n" + PROVA.replace("\n", "\n\n"), "prova.yaml")
    changed, _ = loader.parse(PROVA.replace("Verifica A,", "Prima verifica,"), "prova.yaml")
    assert first.version == commented.version
    assert first.version != changed.version and len(first.version) == 64


def test_the_psttm_and_the_acts_are_files_of_the_package() -> None:
    assert LATEST["psttm"].file_name == "psttm.yaml"
    assert definitions.ACT_LATEST.file_name == "atto.yaml"
    assert {"psttm", "dup"} <= set(LATEST)


# --- an app with the tests' kind ---------------------------------------------------------------


@pytest.fixture
def kinds_app(database_url: str, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    """The app with the tests' folder of kinds (DEFINITION_DIRS), on this test's database."""
    app = create_app({**_app_config(database_url, clock, tmp_path), "DEFINITION_DIRS": [KINDS]})
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    definitions.install(types.SimpleNamespace(config={}))  # the package's kinds only, again


@pytest.fixture
def officer(kinds_app: Flask, clock: FixedClock):
    return users.create_user(
        "direzione", "Utente direzione", PASSWORD, ["direzione_generale"], actor=None, clock=clock
    )


def test_the_tests_kind_walked_through_the_web_ui(kinds_app, officer, clock) -> None:
    client = kinds_app.test_client()
    login(client, "direzione")
    listing = client.get("/procedimenti").get_data(as_text=True)
    assert "Procedimento di prova" in listing
    opened = client.post(
        "/procedimenti",
        data={"csrf_token": csrf_from(listing), "kind": "prova", "period_start": "2025"},
    )
    assert opened.status_code == 302
    procedure = db.session.scalar(select(Procedure).where(Procedure.kind == "prova"))
    assert procedure.title == "Prova 2025" and procedure.period_end == 2025

    def step(event: str, **fields: str) -> None:
        url = f"/procedimenti/{procedure.id}/passaggi/{event}"
        form = client.get(url).get_data(as_text=True)
        db.session.refresh(procedure)
        data = {"csrf_token": csrf_from(form), "version": str(procedure.version), **fields}
        answer = client.post(url, data=data)
        assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]

    step("avvia_prova", numero="7/2025", data="02/06/2025")
    page = client.get(f"/procedimenti/{procedure.id}").get_data(as_text=True)
    assert "Decreto R.G. 7/2025 del 02/06/2025" in page
    assert "In istruttoria: due verifiche in qualsiasi ordine" in page
    assert "Registra la verifica A" in page and "Registra la verifica B" in page
    step("verifica_b", data="10/06/2025")  # in any order
    refused = client.post(
        f"/procedimenti/{procedure.id}/passaggi/chiudi_prova",
        data={
            "csrf_token": csrf_from(page),
            "version": str(db.session.get(Procedure, procedure.id).version),
            "data": "11/06/2025",
        },
    )
    assert refused.status_code == 422
    assert "manca la tappa «Verifica A»" in refused.get_data(as_text=True)
    step("verifica_a", data="12/06/2025")
    step("chiudi_prova", data="13/06/2025")
    db.session.expire_all()
    assert db.session.get(Procedure, procedure.id).state == "chiuso"
    # The desk, the diagram and the comparison are generated for this kind too.
    assert client.get("/").status_code == 200
    assert "Chiusura della prova" in client.get(f"/procedimenti/{procedure.id}").get_data(
        as_text=True
    )
    assert client.get("/procedimenti/confronto?tipo=prova").status_code == 200


def test_the_tests_kind_walked_through_the_api(kinds_app, officer, clock) -> None:
    client = kinds_app.test_client()
    token = users.issue_token("direzione", actor=None, clock=clock)
    headers = {"Authorization": f"Bearer {token}"}
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "chiudi_prova" in json.dumps(spec)  # the OpenAPI description knows the kind
    opened = client.post(
        "/api/v1/procedures", json={"kind": "prova", "period_start": 2025}, headers=headers
    )
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    url = f"/api/v1/procedures/{body['id']}/events"
    for event, data in [
        ("avvia_prova", {"numero": "7/2025", "data": "2025-06-02"}),
        ("verifica_a", {"data": "2025-06-10"}),
        ("verifica_b", {"data": "2025-06-11"}),
        ("chiudi_prova", {"data": "2025-06-12"}),
    ]:
        answer = client.post(
            f"{url}/{event}", json={"version": body["version"], **data}, headers=headers
        )
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
    assert body["state"] == "chiuso" and body["state_label"] == "Chiuso"
    unknown = client.post(
        "/api/v1/procedures", json={"kind": "nessuno", "period_start": 2025}, headers=headers
    )
    assert unknown.status_code == 422
    # Its deadlines: ten working days after the avvio, met by the verifica A.
    verifica = db.session.scalar(
        select(Deadline).where(Deadline.source_key == f"procedure:{body['id']}:verifica")
    )
    assert verifica.due_date == date(2025, 6, 16) and verifica.state == MET


def test_a_running_procedure_keeps_its_version_when_the_file_changes(
    database_url, clock, tmp_path
) -> None:
    changed = tmp_path / "kinds"
    changed.mkdir()
    (changed / "prova.yaml").write_text(
        PROVA.replace("Registra la verifica A", "Registra la prima verifica"), encoding="utf-8"
    )
    first = create_app({**_app_config(database_url, clock, tmp_path), "DEFINITION_DIRS": [KINDS]})
    with first.app_context():
        officer = users.create_user(
            "direzione", "Utente", PASSWORD, ["direzione_generale"], actor=None, clock=clock
        )
        procedure = procedures.open_procedure("prova", 2025, actor=officer, clock=clock)
        started_on = procedure.definition_version
        procedures.advance(
            procedure.id,
            "avvia_prova",
            expected_version=1,
            data={"numero": "7/2025", "data": "2025-06-02"},
            actor=officer,
            clock=clock,
        )
        db.session.remove()
        db.engine.dispose()
    # A deploy changes the file: new procedures take the new version, this one keeps its own.
    second = create_app(
        {**_app_config(database_url, clock, tmp_path), "DEFINITION_DIRS": [changed]}
    )
    second.test_client_class = IsolatedClient
    try:
        with second.app_context():
            assert LATEST["prova"].version != started_on
            definitions.DEFINITIONS.pop(("prova", started_on), None)  # not in this process
            procedure = db.session.get(Procedure, procedure.id)
            assert procedure.definition_version == started_on
            own = procedures.definition_of(procedure)
            assert own.steps_for("verifica_a", "istruttoria")[0].label == "Registra la verifica A"
            procedures.advance(
                procedure.id,
                "verifica_a",
                expected_version=procedure.version,
                data={"data": "2025-06-05"},
                actor=officer,
                clock=clock,
            )
            client = second.test_client()
            admin = users.create_user(
                "amministratore", "Admin", PASSWORD, ["admin"], actor=None, clock=clock
            )
            assert admin
            login(client, "amministratore")
            page = client.get("/admin/procedimenti").get_data(as_text=True)
            assert started_on[:12] in page and LATEST["prova"].version[:12] in page
            assert "conservata nel database" in page
            db.session.remove()
            db.engine.dispose()
    finally:
        definitions.install(types.SimpleNamespace(config={}))


def test_a_procedure_whose_version_is_missing_says_so_never_500(kinds_app, officer, clock) -> None:
    procedure = procedures.open_procedure("prova", 2025, actor=officer, clock=clock)
    db.session.execute(
        update(Procedure).where(Procedure.id == procedure.id).values(definition_version="f" * 64)
    )
    db.session.commit()
    client = kinds_app.test_client()
    headers = {"Authorization": f"Bearer {users.issue_token('direzione', actor=None, clock=clock)}"}
    listing = client.get("/api/v1/procedures", headers=headers)
    assert listing.status_code == 200
    assert "non disponibile" in json.dumps(listing.get_json())
    detail = client.get(f"/api/v1/procedures/{procedure.id}", headers=headers)
    assert detail.status_code == 409
    assert "versione ffffffffffff" in detail.get_json()["error"]["message"]
    login(client, "direzione")
    page = client.get(f"/procedimenti/{procedure.id}")
    assert page.status_code == 409 and "non è disponibile" in page.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert client.get("/procedimenti").status_code == 200


# --- migration ----------------------------------------------------------------------------------


def test_migration_dry_run_then_real_with_one_refused(database_url, clock, tmp_path) -> None:
    # Version 2 has no verifica B: a procedure that recorded one cannot be explained by it.
    v2 = tmp_path / "v2"
    v2.mkdir()
    text = (
        PROVA.split("  - evento: verifica_b")[0]
        + "  - evento: chiudi_prova"
        + PROVA.split("  - evento: chiudi_prova")[1]
    )
    text = text.replace("tappe_registrate(verifica_a, verifica_b)", "tappe_registrate(verifica_a)")
    (v2 / "prova.yaml").write_text(text, encoding="utf-8")
    first = create_app({**_app_config(database_url, clock, tmp_path), "DEFINITION_DIRS": [KINDS]})
    with first.app_context():
        officer = users.create_user(
            "direzione", "Utente", PASSWORD, ["direzione_generale"], actor=None, clock=clock
        )
        for start, events in ((2024, ["verifica_a"]), (2025, ["verifica_b"])):
            p = procedures.open_procedure("prova", start, actor=officer, clock=clock)
            p = procedures.advance(
                p.id,
                "avvia_prova",
                expected_version=1,
                data={"numero": "7/2025", "data": "2025-06-02"},
                actor=officer,
                clock=clock,
            )
            for event in events:
                p = procedures.advance(
                    p.id,
                    event,
                    expected_version=p.version,
                    data={"data": "2025-06-05"},
                    actor=officer,
                    clock=clock,
                )
        db.session.remove()
        db.engine.dispose()
    second = create_app({**_app_config(database_url, clock, tmp_path), "DEFINITION_DIRS": [v2]})
    try:
        with second.app_context():
            new = LATEST["prova"].version
            runner = second.test_cli_runner()
            dry = runner.invoke(
                args=["procedures", "migrate", "--kind", "prova", "--to", new[:8], "--dry-run"]
            )
            assert dry.exit_code == 0, dry.output
            assert "SI SPOSTEREBBE Prova 2024" in dry.output
            assert "RIFIUTATO  Prova 2025" in dry.output and "verifica_b" in dry.output
            assert "1 si sposterebbe, 1 rifiutato (prova: nulla è cambiato)." in dry.output
            assert {p.definition_version for p in db.session.scalars(select(Procedure))} != {new}
            real = runner.invoke(args=["procedures", "migrate", "--kind", "prova", "--to", new[:8]])
            assert real.exit_code == 1, real.output  # one was refused
            assert "1 spostato, 1 rifiutato." in real.output
            assert "1 procedimento non spostato" in real.output
            wrong_map = runner.invoke(
                args=["procedures", "migrate", "--kind", "prova", "--to", new[:8], "--map", "x=y"]
            )
            assert wrong_map.exit_code == 1 and "non ha gli stati y" in wrong_map.output
            db.session.expire_all()
            by_year = {p.period_start: p for p in db.session.scalars(select(Procedure))}
            assert by_year[2024].definition_version == new
            assert by_year[2025].definition_version != new
            event = db.session.scalar(
                select(AuditEvent).where(AuditEvent.action == "procedure.migrata")
            )
            payload = json.loads(event.payload)
            assert payload["definition_version"] == new and payload["to"] == "istruttoria"
            assert verify_tables() == []
            # The migrated procedure goes on on its new version.
            moved = by_year[2024]
            procedures.advance(
                moved.id,
                "chiudi_prova",
                expected_version=moved.version,
                data={"data": "2025-06-06"},
                actor=db.session.get(type(officer), officer.id),
                clock=clock,
            )
            kinds = runner.invoke(args=["procedures", "kinds"])
            assert f"{new[:12]}  attuale" in kinds.output and "Prova 2024" in kinds.output
            db.session.remove()
            db.engine.dispose()
    finally:
        definitions.install(types.SimpleNamespace(config={}))


# --- the DUP and the bilancio di previsione -------------------------------------------------------


def _at(clock: FixedClock, day: date) -> None:
    clock.instant = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


def test_dup_walked_to_approval_across_the_year_end(app, direzione, make_user, clock) -> None:
    """Bilancio 2026-2028: DUP by 31/07/2025, schema by 15/11/2025, approval by 31/12/2025,
    deferred by decree to 28/02/2026 and approved in February 2026."""
    ragioneria = make_user("ragioneria")
    _at(clock, date(2025, 7, 1))
    procedure = procedures.open_procedure("dup", 2026, actor=direzione, clock=clock)
    assert procedure.title == "DUP e bilancio di previsione 2026-2028"

    def due(code: str) -> Deadline:
        return db.session.scalar(
            select(Deadline).where(Deadline.source_key == f"procedure:{procedure.id}:{code}")
        )

    assert due("presentazione_dup").due_date == date(2025, 7, 31)
    assert due("proposta_bilancio").due_date == date(2025, 11, 15)  # a Saturday: not moved
    assert due("approvazione_bilancio").due_date == date(2025, 12, 31)
    assert due("parere_revisori") is None  # counted from the proposal, not yet made
    # The days the law names are the plan from the start (desk, timeline), one deadline each.
    planned = {m.code: m.planned_date for m in procedure.milestones}
    assert planned["presentazione_dup"] == date(2025, 7, 31)
    assert planned["proposta_bilancio"] == date(2025, 11, 15)
    assert planned["approvazione"] is None  # a decree may defer it: its deadline follows
    assert due("tappa:presentazione_dup") is None

    def record(event: str, on: date, actor=direzione, **data) -> None:
        nonlocal procedure
        _at(clock, on)
        procedure = procedures.advance(
            procedure.id,
            event,
            expected_version=procedure.version,
            data={"data": on.isoformat(), **data},
            actor=actor,
            clock=clock,
        )

    record("presenta_dup", date(2025, 7, 28), numero="150/2025")
    assert due("presentazione_dup").state == MET
    record("proponi_schema", date(2025, 11, 12), numero="250/2025")
    assert due("parere_revisori").due_date == date(2025, 11, 27)
    assert procedure.state == "schema_proposto"
    # The optional parere on the DUP never recorded does not hold the procedure in FASE 1.
    definition = procedures.definition_of(procedure)
    recorded = frozenset(s.milestone_code for s in procedure.steps if s.milestone_code)
    assert current_phase(definition, procedure.state, recorded) == "FASE 2 — Proposta di bilancio"
    record(
        "parere_revisori", date(2025, 11, 25), actor=ragioneria, numero="12/2025", favorevole=False
    )
    assert procedure.state == "parere_revisori_contrario"
    with pytest.raises(Exception, match="provvedimenti conseguenti"):
        record("adotta_schemi", date(2025, 12, 10), numero="40/2025")
    record(
        "adotta_schemi",
        date(2025, 12, 10),
        numero="40/2025",
        motivazione="Recepite le osservazioni del Collegio sulla spesa corrente",
    )
    # The Ministro dell'interno defers the approval: the deadline moves to the day it names.
    record(
        "differisci_approvazione",
        date(2025, 12, 24),
        termine_approvazione="2026-02-28",
        note="D.M. 24/12/2025, G.U. n. 2",
    )
    assert due("approvazione_bilancio").due_date == date(2026, 2, 28)
    # A deferral defers: not to a day before the decree, nor before the term in force.
    with pytest.raises(GuardFailed, match="deve seguire la data dell'atto"):
        record("differisci_approvazione", date(2025, 12, 29), termine_approvazione="1950-01-01")
    with pytest.raises(GuardFailed, match="non differisce quello in vigore"):
        record("differisci_approvazione", date(2025, 12, 29), termine_approvazione="2026-01-31")
    assert "Termine di legge: 31/12/2025" in due("approvazione_bilancio").description
    # Across the year end: in January the approval is not late.
    _at(clock, date(2026, 1, 15))
    assert due("approvazione_bilancio").state == OPEN
    record("parere_conferenza", date(2026, 2, 20), numero="3/2026", favorevole=True)
    record("approva", date(2026, 2, 26), numero="5/2026")
    assert procedure.state == "approvato"
    assert due("approvazione_bilancio").state == MET
    assert due("trasparenza").due_date == date(2026, 3, 30)  # 28/03 is a Saturday: moved
    record("trasmetti_bdap", date(2026, 3, 10), actor=ragioneria)
    record("pubblica_trasparenza", date(2026, 3, 12))
    record("concludi", date(2026, 3, 13))
    assert procedure.state == "concluso"
    assert due("bdap").state == MET and due("trasparenza").state == MET
    assert verify_tables() == []


@pytest.mark.parametrize(
    ("rule", "recorded", "due"),
    [
        # A fixed day of the year before the period, never moved (31/07/2027 is a Saturday).
        (dict(fixed=(31, 7, -1)), {}, date(2027, 7, 31)),
        # Ten working days after a Friday avvio: weekends, Sant'Ambrogio and Immacolata skipped.
        (
            dict(after=("avvio", 10, "working_days")),
            {"avvio": date(2028, 11, 24)},
            date(2028, 12, 12),
        ),
        # Fifteen calendar days ending on a Sunday: moved to Monday (c.p.c. art. 155).
        (dict(after=("avvio", 15, "days")), {"avvio": date(2028, 3, 11)}, date(2028, 3, 27)),
        # One year after 29 February: 28 February, a working day in 2029.
        (dict(after=("avvio", 1, "years")), {"avvio": date(2028, 2, 29)}, date(2029, 2, 28)),
        # The end of the month after the milestone's: 31/12/2028 is a Sunday, moved to 2 January.
        (dict(month_end=("avvio", 1)), {"avvio": date(2028, 11, 5)}, date(2029, 1, 2)),
        # Counted from a milestone not yet recorded: no deadline yet.
        (dict(after=("avvio", 5, "days")), {}, None),
    ],
)
def test_each_kind_of_deadline_rule(rule, recorded, due) -> None:
    from workflow.deadlines.rules import rule_due
    from workflow.engine.definition import DeadlineRule

    made = DeadlineRule(code="prova", label="Prova", basis="Regola di prova", **rule)
    assert rule_due(made, 2028, recorded) == due
