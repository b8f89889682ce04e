"""Verify replays the audit events against the live tables (issue 18 §3): the demo and a fresh
walk agree with their history; a field edited in the database (triggers lifted), a row inserted
or deleted there, a file replaced on disk are each named as (table, row, field, expected, found),
and `flask audit verify` exits 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, insert, select, text, update

from tests.act_factories import fire, make_people, propose, to_published
from tests.conftest import is_postgres, login
from tests.factories import TO_ADOPTED, open_psttm, run
from workflow.acts.register_models import PROTOCOLLO
from workflow.audit import replay
from workflow.audit.models import AuditEvent
from workflow.consultations import operations as contributions
from workflow.consultations import territory
from workflow.consultations.models import Body
from workflow.core.clock import ROME
from workflow.extensions import db
from workflow.procedures import operations as procedures

PDF = b"%PDF-1.4\n% contributo di prova\n%%EOF\n"


def table(name: str):
    return db.metadata.tables[name]


def tamper(name: str, change: Callable[[Connection], None]) -> None:
    """What an insider with database rights can do: lift the table's triggers (if any), change
    it behind the application's back, put them back."""
    db.session.commit()
    with db.engine.begin() as conn:
        saved = []
        if is_postgres():
            conn.execute(text(f"ALTER TABLE {name} DISABLE TRIGGER USER"))
        else:
            saved = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name=:t"),
                {"t": name},
            ).all()
            for trigger, _sql in saved:
                conn.execute(text(f"DROP TRIGGER {trigger}"))
        change(conn)
        if is_postgres():
            conn.execute(text(f"ALTER TABLE {name} ENABLE TRIGGER USER"))
        for _trigger, sql in saved:
            conn.exec_driver_sql(sql)
    db.session.expire_all()


def first_id(name: str, *where) -> int:
    sql = table(name)
    return db.session.scalar(select(sql.c.id).where(*where).order_by(sql.c.id).limit(1))


def named(differences: list[replay.Difference]) -> set[tuple[str, str, str]]:
    return {(d.table, d.row, d.field) for d in differences}


def test_the_demo_agrees_with_its_history(demo_app, client) -> None:
    differences = replay.verify_tables()
    assert differences == [], [d.message for d in differences]
    result = demo_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "tabelle concordi con gli eventi" in result.output
    login(client, "segretario", "demo-segretario")
    page = client.get("/audit/verifica").get_data(as_text=True)
    assert "Tabelle concordi con gli eventi registrati" in page


def test_a_fresh_walk_agrees_with_its_history(app, clock, direzione) -> None:
    """Every covered operation once, in a fresh database: steps with acts, planned dates, an act
    revised then numbered and published with its signed PDF, a contribution and the closing."""
    territory.load(clock=clock)
    procedure = open_psttm(direzione, clock)
    procedures.plan_milestones(
        procedure.id,
        expected_version=procedure.version,
        planned={"avvio": date(2024, 10, 31)},
        actor=direzione,
        clock=clock,
    )
    procedure = run(procedures.get(procedure.id), TO_ADOPTED[:3], direzione, clock)
    consultation = contributions.open_consultation(
        procedure.id,
        deadline=date(2025, 2, 28),
        zones=["nord_milano"],
        actor=direzione,
        clock=clock,
    )
    bresso = db.session.scalar(select(Body).where(Body.name == "Bresso"))
    contributions.register_contribution(
        consultation.id,
        body_id=bresso.id,
        received_at=clock.now().astimezone(ROME) - timedelta(days=1),
        channel="pec",
        summary="Osservazioni di Bresso",
        themes=["D5"],
        file_name="contributo.pdf",
        content=PDF,
        actor=direzione,
        clock=clock,
    )
    contributions.close_consultation(
        consultation.id, expected_version=1, outcome="Un contributo.", actor=direzione, clock=clock
    )
    people = make_people(clock)
    act = fire(
        propose(people, clock, procedure_id=procedure.id),
        "rivedi",
        people.direzione,
        clock,
        testo="Testo riveduto.",
        oggetto="Oggetto riveduto",
        motivazione="Refuso.",
    )
    to_published(act, people, clock)
    differences = replay.verify_tables()
    assert differences == [], [d.message for d in differences]
    expected = replay.Replay()
    for row in db.session.execute(select(*AuditEvent.__table__.c).order_by(AuditEvent.seq)):
        expected.feed(tuple(row))
    assert expected.expected["acts"][(act.id,)].values["proposal_revision"] == 2
    assert expected.expected["acts"][(act.id,)].values["oggetto"] == "Oggetto riveduto"


def _json_edit(conn: Connection, name: str, row_id: int, **changes: object) -> None:
    sql = table(name)
    data = conn.execute(select(sql.c.data).where(sql.c.id == row_id)).scalar_one()
    data = json.loads(data) if isinstance(data, str) else data
    conn.execute(update(sql).where(sql.c.id == row_id).values(data={**data, **changes}))


def _set(name: str, row_id: int, **values: object) -> Callable[[Connection], None]:
    sql = table(name)
    return lambda conn: conn.execute(update(sql).where(sql.c.id == row_id).values(**values))


def test_direct_edits_of_the_covered_fields_are_each_named(demo_app) -> None:
    acts, steps, entries = table("acts"), table("procedure_steps"), table("register_entries")
    act_id = first_id("acts", acts.c.published_to.is_not(None))
    act = db.session.execute(select(acts).where(acts.c.id == act_id)).one()
    opinion = first_id("act_events", table("act_events").c.event == "parere_tecnico")
    step = first_id("procedure_steps", steps.c.act_number.is_not(None))
    entry = db.session.execute(select(entries).order_by(entries.c.id).limit(1)).one()
    entry_key = f"{entry.register}/{entry.year}/{entry.number}"

    tamper("acts", _set("acts", act_id, oggetto="Un altro oggetto", testo="Altro testo"))
    tamper("acts", _set("acts", act_id, published_to=act.published_to + timedelta(days=30)))
    tamper("act_events", lambda conn: _json_edit(conn, "act_events", opinion, favorevole=False))
    tamper("register_entries", _set("register_entries", entry.id, subject="Oggetto cambiato"))
    tamper("procedure_steps", _set("procedure_steps", step, occurred_on=date(2020, 1, 1)))
    tamper("procedure_steps", _set("procedure_steps", step, act_number="999/2020"))

    differences = replay.verify_tables()
    by_place = {(d.table, d.row, d.field): d for d in differences}
    assert named(differences) == {
        ("acts", str(act_id), "oggetto"),
        ("acts", str(act_id), "testo_sha256"),  # the text, by its recorded fingerprint
        ("acts", str(act_id), "published_to"),
        ("act_events", str(opinion), "data"),
        ("register_entries", entry_key, "subject"),
        ("procedure_steps", str(step), "occurred_on"),
        ("procedure_steps", str(step), "act_number"),
    }
    oggetto = by_place[("acts", str(act_id), "oggetto")]
    assert oggetto.expected == f"«{act.oggetto}»" and oggetto.found == "«Un altro oggetto»"
    window = by_place[("acts", str(act_id), "published_to")]
    assert window.expected == f"«{act.published_to.isoformat()}»"
    assert '"favorevole":false' in by_place[("act_events", str(opinion), "data")].found
    assert by_place[("procedure_steps", str(step), "act_number")].found == "«999/2020»"
    assert by_place[("register_entries", entry_key, "subject")].message.startswith(
        "registrazioni (Protocollo, Repertorio Generale, Albo) [register_entries "
    )

    result = demo_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"[acts {act_id}], oggetto [oggetto]: atteso «{act.oggetto[:40]}" in result.output
    assert "trovato «Un altro oggetto»" in result.output
    assert "7 differenze tra le tabelle e gli eventi." in result.output


def test_files_on_disk_and_recorded_fingerprints_are_checked(demo_app, client) -> None:
    contribution = db.session.execute(
        select(table("contributions")).order_by(table("contributions").c.id).limit(1)
    ).one()
    contributions.store().path_for(contribution.file_sha256).write_bytes(PDF + b"altro")
    document = first_id("act_documents")
    tamper("act_documents", _set("act_documents", document, sha256=bytes(32)))
    differences = replay.verify_tables()
    assert named(differences) == {
        ("contributions", str(contribution.id), "file"),
        ("act_documents", str(document), "sha256"),
        ("act_documents", str(document), "file"),  # no file stored under the new fingerprint
        # the contribution's file is its protocol registration's document too
        ("protocol_documents", f"{contribution.protocol_entry_id}/1", "file"),
    }
    found = {(d.table, d.field): d.found for d in differences}
    assert found[("contributions", "file")] == "impronta SHA-256 diversa"
    assert found[("protocol_documents", "file")] == "impronta SHA-256 diversa"
    assert found[("act_documents", "file")] == "file mancante nell'archivio"
    assert found[("act_documents", "sha256")] == f"«{'0' * 64}»"
    login(client, "segretario", "demo-segretario")
    page = client.get("/audit/verifica").get_data(as_text=True)
    assert "4 differenze" in page and "contributi della consultazione" in page
    assert "impronta SHA-256 diversa" in page


def test_a_row_without_event_and_an_event_without_row_are_named(demo_app) -> None:
    entries = table("register_entries")
    latest = db.session.execute(select(entries).order_by(entries.c.id.desc()).limit(1)).one()
    step = first_id("procedure_steps")
    act_event = db.session.scalar(select(table("act_events").c.id).order_by(text("id DESC")))

    def forge(conn: Connection) -> None:
        conn.execute(
            insert(entries).values(
                register=PROTOCOLLO,
                year=latest.year,
                number=9999,
                registered_at=latest.registered_at,
                object_type="act",
                object_id="1",
                subject="Registrazione inventata",
                fingerprint="",
            )
        )

    tamper("register_entries", forge)
    tamper(
        "procedure_steps",
        lambda c: c.execute(text(f"DELETE FROM procedure_steps WHERE id = {step}")),
    )
    tamper(
        "act_events", lambda c: c.execute(text(f"DELETE FROM act_events WHERE id = {act_event}"))
    )
    differences = replay.verify_tables()
    rows = {(d.table, d.row): (d.expected, d.found) for d in differences if d.field == "riga"}
    assert rows[("register_entries", f"{PROTOCOLLO}/{latest.year}/9999")] == (
        replay.NO_EVENT,
        "presente",
    )
    assert rows[("procedure_steps", str(step))][1] == replay.ABSENT
    assert rows[("act_events", str(act_event))][1] == replay.ABSENT
    assert rows[("procedure_steps", str(step))][0].startswith("registrata dall'evento ")
    assert len(differences) == 3, [d.message for d in differences]


def test_the_covered_fields_are_listed_from_the_registry(app) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--campi"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("| Tabella | Campo |")
    assert "| `acts` | `oggetto` | oggetto | act.proposed: payload `oggetto`; act.rivedi:" in (
        result.output
    )
    assert any(line.startswith("| `contributions` | `file` |") for line in lines)
    # The README's link points at this output: it stays the registry's, not an old copy.
    documented = (Path(__file__).parents[2] / "docs" / "audit-coverage.md").read_text("utf-8")
    assert result.output.strip() in documented, "rigenera docs/audit-coverage.md con --campi"


def test_older_events_without_the_new_fields_still_verify(demo_app) -> None:
    """Events written before the payloads named the rows (no event_id, step_id, register
    entries): the replay falls back on each object's order of events and on the numbers the
    payload cites, so an older chain is not reported as differences."""
    rows = []
    for row in db.session.execute(select(*AuditEvent.__table__.c).order_by(AuditEvent.seq)):
        row = list(row)
        payload = json.loads(row[8])
        for key in ("event_id", "step_id", "register_entries", "milestone", "act_kind", "act_date"):
            payload.pop(key, None)
        row[8] = json.dumps(payload)
        rows.append(tuple(row))
    differences = replay.verify_tables(rows)
    assert differences == [], [d.message for d in differences]


def test_document_roles_and_withdrawals_are_replayed(app, clock) -> None:
    """The Ufficio Albo's role changes and withdrawals (issue 17 §1) move the act's version and a
    document's role: the replay follows them, and a role edited in the table is named."""
    from workflow.acts import documents
    from workflow.acts import operations as acts

    people = make_people(clock)
    act = propose(people, clock)
    draft = documents.attach(
        act.id,
        expected_version=act.version,
        filename="bozza.pdf",
        content=PDF,
        kind="allegato",
        actor=people.albo,
        clock=clock,
    )
    act = acts.get(act.id)
    documents.change_role(
        act.id,
        draft.id,
        expected_version=act.version,
        kind="non_pubblicabile",
        actor=people.albo,
        clock=clock,
    )
    act = acts.get(act.id)
    wrong = documents.attach(
        act.id,
        expected_version=act.version,
        filename="altro-atto.pdf",
        content=PDF + b"% altro\n",
        kind="allegato",
        actor=people.albo,
        clock=clock,
    )
    act = acts.get(act.id)
    documents.withdraw(
        act.id,
        wrong.id,
        expected_version=act.version,
        reason="Caricato sull'atto sbagliato.",
        actor=people.albo,
        clock=clock,
    )
    assert replay.verify_tables() == []

    tamper("act_documents", _set("act_documents", draft.id, kind="allegato"))
    assert ("act_documents", str(draft.id), "kind") in named(replay.verify_tables())
