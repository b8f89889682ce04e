"""The hash-chained audit trail: tampering of every kind is named, triggers refuse edits,
concurrent writers keep one chain, exports verify offline."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from tests.conftest import is_postgres, login
from tests.factories import open_psttm
from workflow.access.roles import SYSTEM
from workflow.audit import chain as audit
from workflow.audit import history
from workflow.audit import verify as integrity
from workflow.audit.models import AuditEvent, AuditHead
from workflow.extensions import db
from workflow.procedures import operations as procedures

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("audit_events", "audit_checkpoints")


@pytest.fixture
def chain(demo_app):
    """The demo's audit trail, intact; its number of events."""
    assert integrity.verify_chain().ok
    return integrity.count_events()


def tamper(*statements: str) -> None:
    """What an insider with database rights can do: lift the triggers, edit, put them back."""
    db.session.commit()
    with db.engine.begin() as conn:
        if is_postgres():
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for table in TABLES:
                for verb in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        for statement in statements:
            conn.exec_driver_sql(statement)
        if is_postgres():
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    db.session.expire_all()


def first_problem(*extra: integrity.Anchor) -> integrity.Problem:
    report = integrity.verify_chain(extra)
    assert not report.ok
    return report.first


def test_intact_chain_verifies_and_cli_exits_0(app, chain) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"OK: {chain} eventi" in result.output


def test_several_events_appended_under_one_lock_chain_and_move_the_head(chain, clock) -> None:
    """audit.append with many entries (one INSERT for them all) and with one: each links to the
    one before, the head to the last."""
    entries = [("procedure", n, "bench.history", {"n": n}) for n in range(3)]
    system = {"actor": None, "role": SYSTEM, "clock": clock}
    events = audit.append(entries=entries, **system)
    events += audit.append(entries=entries[:1], **system)
    db.session.commit()
    assert [e.seq for e in events] == list(range(chain + 1, chain + 5))
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    head = db.session.get(AuditHead, 1)
    db.session.refresh(head)
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    assert integrity.verify_chain().ok
    assert audit.append(entries=[], **system) == []


def test_edited_payload_is_named(chain) -> None:
    tamper("UPDATE audit_events SET payload = '{\"forged\":true}' WHERE seq = 5")
    problem = first_problem()
    assert (problem.seq, problem.kind) == (5, "hash")


def test_edited_hash_is_named(chain) -> None:
    tamper("UPDATE audit_events SET hash = '" + "a" * 64 + "' WHERE seq = 6")
    problem = first_problem()
    assert (problem.seq, problem.kind) == (6, "hash")


def test_deleted_middle_row_is_named(chain) -> None:
    tamper("DELETE FROM audit_events WHERE seq = 4")
    problem = first_problem()
    assert (problem.seq, problem.kind) == (4, "gap")


def test_forged_row_appended_is_named(chain) -> None:
    head = db.session.get(AuditHead, 1)
    tamper(
        "INSERT INTO audit_events (seq, occurred_at, actor_id, actor_name, role, object_type, "
        "object_id, action, payload, prev_hash, hash) VALUES "
        f"({chain + 1}, '2025-07-01 08:00:00', NULL, 'x', 'admin', 'procedure', '1', "
        f"'procedure.approva', '{{}}', '{head.hash}', '{'b' * 64}')"
    )
    problem = first_problem()
    assert (problem.seq, problem.kind) == (chain + 1, "hash")


def test_forged_row_with_a_correct_hash_is_caught_by_the_head(chain) -> None:
    head = db.session.get(AuditHead, 1)
    occurred = "2025-07-01T08:00:00.000000Z"
    forged = audit.chain_hash(
        head.hash,
        audit.canonical_record(
            chain + 1, occurred, None, "x", "admin", "procedure", "1", "procedure.approva", "{}"
        ),
    )
    tamper(
        "INSERT INTO audit_events (seq, occurred_at, actor_id, actor_name, role, object_type, "
        "object_id, action, payload, prev_hash, hash) VALUES "
        f"({chain + 1}, '2025-07-01 08:00:00+00:00', NULL, 'x', 'admin', 'procedure', '1', "
        f"'procedure.approva', '{{}}', '{head.hash}', '{forged}')"
    )
    problem = first_problem()
    assert problem.kind == "head"


def test_swapped_rows_are_named(chain) -> None:
    tamper(
        "UPDATE audit_events SET seq = -1 WHERE seq = 5",
        "UPDATE audit_events SET seq = 5 WHERE seq = 6",
        "UPDATE audit_events SET seq = 6 WHERE seq = -1",
    )
    problem = first_problem()
    assert (problem.seq, problem.kind) == (5, "link")


def _checkpoint_then_more(clock, direzione_id: int) -> int:
    checkpoint = audit.checkpoint_now(actor=None, clock=clock)
    actor = db.session.get(procedures.User, direzione_id)
    procedure = procedures.list_all()[0]
    procedures.plan_milestones(
        procedure.id,
        expected_version=procedure.version,
        planned={"avvio": date(2025, 1, 1)},
        actor=actor,
        clock=clock,
    )
    return checkpoint.seq


def test_truncated_tail_after_a_checkpoint_is_named(chain, clock) -> None:
    seq = _checkpoint_then_more(clock, 1)
    keep = seq - 2  # the insider removes the tail, checkpointed head included, and fixes the head
    row = db.session.execute(select(AuditEvent.hash).where(AuditEvent.seq == keep)).scalar_one()
    tamper(
        f"DELETE FROM audit_events WHERE seq > {keep}",
        f"UPDATE audit_head SET seq = {keep}, hash = '{row}'",
    )
    problem = first_problem()
    assert (problem.seq, problem.kind) == (seq, "checkpoint")
    assert "troncata" in problem.message


def test_truncation_with_checkpoints_erased_is_caught_by_a_noted_head(app, chain, clock) -> None:
    seq = _checkpoint_then_more(clock, 1)
    noted = db.session.execute(select(AuditEvent.hash).where(AuditEvent.seq == seq)).scalar_one()
    keep = seq - 1
    row = db.session.execute(select(AuditEvent.hash).where(AuditEvent.seq == keep)).scalar_one()
    tamper(
        f"DELETE FROM audit_events WHERE seq > {keep}",
        "DELETE FROM audit_checkpoints",
        f"UPDATE audit_head SET seq = {keep}, hash = '{row}'",
    )
    assert integrity.verify_chain().ok  # what a chain alone cannot see (README says so)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--expect", f"{seq}:{noted}"])
    assert result.exit_code == 1
    assert f"Evento {seq}: manca" in result.output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET role = 'admin' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
    ],
)
def test_triggers_refuse_update_and_delete(chain, clock, statement) -> None:
    audit.checkpoint_now(actor=None, clock=clock)
    db.session.commit()
    with pytest.raises(DatabaseError, match="sola aggiunta"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert integrity.verify_chain().ok


@pytest.mark.skipif(not is_postgres(), reason="TRUNCATE exists only on PostgreSQL")
def test_trigger_refuses_truncate_on_postgres(chain) -> None:
    db.session.commit()  # TRUNCATE waits for every lock on the table, ours included
    with pytest.raises(DatabaseError, match="sola aggiunta"), db.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_events"))


def test_eight_concurrent_writers_make_one_valid_chain(app, direzione, clock) -> None:
    ids = [open_psttm(direzione, clock, 2030 + i).id for i in range(8)]
    before, actor_id = integrity.count_events(), direzione.id
    db.session.remove()
    barrier = threading.Barrier(8, timeout=30)
    errors: list[BaseException] = []

    def writer(procedure_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                for day in range(1, 11):
                    actor = db.session.get(procedures.User, actor_id)
                    procedure = procedures.get(procedure_id)
                    procedures.plan_milestones(
                        procedure_id,
                        expected_version=procedure.version,
                        planned={"avvio": date(2031, 1, day)},
                        actor=actor,
                        clock=clock,
                    )
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    report = integrity.verify_chain()
    assert report.ok, report.first
    assert report.checked == before + 80
    assert (
        db.session.scalar(select(func.count(func.distinct(AuditEvent.prev_hash)))) == report.checked
    )


def test_jsonl_export_verifies_offline_and_tampering_is_found(app, chain, tmp_path) -> None:
    export = tmp_path / "audit.jsonl"
    export.write_text("".join(history.jsonl_lines(None, None)), encoding="utf-8")
    script = [sys.executable, str(ROOT / "scripts" / "verify_audit_export.py")]
    ok = subprocess.run([*script, str(export)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stdout + ok.stderr

    part = tmp_path / "part.jsonl"
    part.write_text("".join(history.jsonl_lines(5, 9)), encoding="utf-8")
    assert subprocess.run([*script, str(part)], capture_output=True).returncode == 0

    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    event = json.loads(lines[2])
    event["actor_name"] = "Qualcun altro"
    lines[2] = json.dumps(event, ensure_ascii=False) + "\n"
    export.write_text("".join(lines), encoding="utf-8")
    bad = subprocess.run([*script, str(export)], capture_output=True, text=True)
    assert bad.returncode == 1 and "evento 3" in bad.stdout


def test_cli_export_csv_and_checkpoint(app, chain) -> None:
    runner = app.test_cli_runner()
    checkpoint = runner.invoke(args=["audit", "checkpoint"])
    assert checkpoint.exit_code == 0 and f"evento {chain}" in checkpoint.output
    csv_out = runner.invoke(args=["audit", "export", "--format", "csv", "--from", "1", "--to", "3"])
    rows = csv_out.output.strip().splitlines()
    assert rows[0].startswith("seq,occurred_at_utc") and len(rows) == 4


def test_history_reads_as_italian_sentences(client, chain) -> None:
    login(client, "direzione", "demo-direzione")
    procedure = next(p for p in procedures.list_all() if p.period_start == 2025)
    page = client.get(f"/procedimenti/{procedure.id}/storia").get_data(as_text=True)
    assert (
        "Direzione Generale (L. Bianchi) ha registrato il decreto di approvazione dello "
        "schema (Decreto R.G. 43/2025 del 19/02/2025)" in page
    )


def test_verify_page_is_refused_to_the_direzione(client, chain) -> None:
    login(client, "direzione", "demo-direzione")
    assert client.get("/audit/verifica").status_code == 403
    assert client.get("/audit/esporta.csv").status_code == 403


def test_verify_page_and_exports_for_the_segretario(client, chain) -> None:
    login(client, "segretario", "demo-segretario")
    assert "Catena integra" in client.get("/audit/verifica").get_data(as_text=True)
    assert client.get("/audit/esporta.jsonl?da=1&a=2").get_data(as_text=True).count("\n") == 2
    assert client.get("/audit/esporta.xml").status_code == 400
    assert client.get("/audit/esporta.csv?da=x").status_code == 400
    page = client.get("/audit").get_data(as_text=True)
    assert 'name="formato" value="excel"' in page  # "CSV per Excel" beside "CSV"
    excel = client.get("/audit/esporta.csv?da=1&a=2&formato=excel")
    assert excel.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="audit-1-2-excel.csv"' in excel.headers["Content-Disposition"]
    assert excel.data.startswith("\ufeffseq;occurred_at_utc;".encode())
    assert excel.get_data(as_text=True).count("\r\n") == 3


def test_public_checkpoint_needs_no_login(client, chain, clock) -> None:
    assert client.get("/registro/checkpoint").get_json() == {"checkpoint": None}
    audit.checkpoint_now(actor=None, clock=clock)
    body = client.get("/registro/checkpoint").get_json()["checkpoint"]
    assert body["seq"] == chain and len(body["hash"]) == 64
    assert client.get("/registro/checkpoint.json").get_json() == {"checkpoint": body}


def test_public_checkpoint_is_a_page_for_a_browser_in_rome_time(client, chain, clock) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = client.get("/registro/checkpoint", headers=browser)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Nessun checkpoint ancora pubblicato" in page.get_data(as_text=True)
    audit.checkpoint_now(actor=None, clock=clock)  # NOW: 01/07/2025 08:00 UTC = 10:00 in Rome
    clock.instant += timedelta(days=1)
    audit.checkpoint_now(actor=None, clock=clock)  # a checkpoint is itself an event
    text = client.get("/registro/checkpoint", headers=browser).get_data(as_text=True)
    newest, oldest = text.index("02/07/2025 10:00"), text.index("01/07/2025 10:00")
    assert newest < oldest  # newest first
    assert f"<td>{chain}</td>" in text and "/registro/checkpoint.json" in text
    assert '"seq"' not in text  # a page, not JSON
    assert client.get("/registro/checkpoint.json", headers=browser).is_json


def test_daily_checkpoint_is_published_once_a_day(app, chain, clock) -> None:
    first = audit.publish_daily_checkpoint(clock=clock)
    assert first is not None and first.seq == chain
    assert audit.publish_daily_checkpoint(clock=clock) is None  # restart, catch-up, 2nd scheduler
    clock.instant += timedelta(days=1)
    assert audit.publish_daily_checkpoint(clock=clock).seq == chain + 1
    assert integrity.verify_chain().ok
