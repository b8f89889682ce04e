"""One hash rule: an event's bytes have one definition (canonical_record, the canonical JSON of the
whole record), Python alone hashes them, and what is stored, read back from SQLite or PostgreSQL
and exported verifies with the same bytes, whatever the text and the numbers."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from workflow.access.roles import DIREZIONE_GENERALE, SYSTEM
from workflow.audit import chain as audit
from workflow.audit import history
from workflow.audit import verify as integrity
from workflow.audit.models import AuditEvent, AuditHead
from workflow.extensions import db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verify_audit_export.py"

# Text that a hand-made serialiser gets wrong. Column values must be NUL-free (PostgreSQL text
# holds no NUL); inside the payload a NUL is JSON-escaped, so it appears there too.
AWKWARD_TEXT = {
    "quotes": 'virgolette " doppie " e \' semplici',
    "backslashes": "barre \\ doppie \\\\ e un \\u0041 letterale",
    "line_separators": "separatori \u2028 di riga e \u2029 di paragrafo",
    "emoji": "emoji 🏛️ 👩🏽‍⚖️ e 🇮🇹",
    "accents": "Città «metropolitana» — perché è Ñ ß Ø",
    "controls": "".join(chr(c) for c in range(1, 32)) + "\x7f\x80\x9f",
    "long": "testo molto lungo, " * 6000,
    "empty": "",
}
# Outside a database a NUL is just one more control character, in every field.
WITH_NUL = {**AWKWARD_TEXT, "nul": "a capo\n\ttab\u0000nul"}
# Numbers as canonical_json writes them (Python's repr for floats, any size for integers).
NUMBERS: dict[str, Any] = {
    "zero": 0,
    "negative": -17,
    "beyond_64_bits": 2**64 + 1,
    "huge": 10**30,
    "half": 1.5,
    "tenth": 0.1,
    "tiny": 1e-7,
    "large": 1e22,
    "negative_zero": -0.0,
    "largest": 1.7976931348623157e308,
    "subnormal": 5e-324,
    "true": True,
    "false": False,
    "null": None,
}
NESTED: dict[str, Any] = {
    "z": {"y": [{"b": 1, "a": [[], {}, [None]]}]},
    "é": {"É": "e", "E": "é"},
    "😀": ["Z", "a"],
    "": "",
    "A": {"a": {"a": {"a": {"a": "profondo"}}}},
}


def _payload(text: str) -> dict[str, Any]:
    return {"testo": text, "nul": text + "\u0000", "numeri": NUMBERS, "annidato": NESTED, text: 1}


def _offline_verifier() -> ModuleType:
    """scripts/verify_audit_export.py as a module: its own standard-library canonicaliser."""
    spec = importlib.util.spec_from_file_location("verify_audit_export", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _whole_record(event: AuditEvent) -> dict[str, Any]:
    """The record as a dict, payload parsed: what canonical_json of the whole record sees."""
    return {
        "seq": event.seq,
        "occurred_at": audit.iso_utc(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "role": event.role,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "action": event.action,
        "payload": json.loads(event.payload),
    }


@pytest.mark.parametrize("case", WITH_NUL)
@pytest.mark.parametrize("actor_id", [None, 3])
def test_canonical_record_is_canonical_json_of_the_whole_record(case, actor_id) -> None:
    """The hand-written bytes equal canonical_json of the record dict and the offline verifier's
    own canonicaliser (standard library only), for every awkward text and number."""
    text = WITH_NUL[case]
    payload = _payload(text)
    record = {
        "seq": 7,
        "occurred_at": "2025-02-19T09:42:00.123456Z",
        "actor_id": actor_id,
        "actor_name": text,
        "role": "segretario_generale",
        "object_type": "act",
        "object_id": text,
        "action": "act.parere",
        "payload": payload,
    }
    built = audit.canonical_record(
        7,
        record["occurred_at"],
        actor_id,
        text,
        record["role"],
        "act",
        text,
        "act.parere",
        audit.canonical_json(payload),
    )
    assert built == audit.canonical_json(record).encode("utf-8")
    assert built == _offline_verifier().canonical(record)


def test_canonical_json_writes_numbers_and_text_as_the_json_module_does() -> None:
    """What the canonicaliser emits, spelled out: a change of the rule shows here first."""
    text = audit.canonical_json({"b": NUMBERS, "a": '\u2028 " \\ \x01 é 🏛'})
    assert text.startswith('{"a":"\u2028 \\" \\\\ \\u0001 é 🏛","b":{')
    assert '"beyond_64_bits":18446744073709551617' in text
    assert '"huge":1000000000000000000000000000000' in text
    assert '"tiny":1e-07,"true":true,"zero":0}' in text
    assert '"large":1e+22,"largest":1.7976931348623157e+308' in text
    assert '"negative_zero":-0.0,"null":null,"subnormal":5e-324' in text


@pytest.fixture
def precise_clock(clock):
    """Microseconds in the event time: they too must come back from the database unchanged."""
    clock.instant = datetime(2025, 7, 1, 8, 0, 0, 123456, tzinfo=UTC)
    return clock


def _record_awkward(make_user, clock, case: str) -> AuditEvent:
    text = AWKWARD_TEXT[case]
    actor = make_user(DIREZIONE_GENERALE)
    # Users refuse such names now (the column guard), but a row written before the guard may hold
    # one: set it as if loaded from the database. The chain must take any text verbatim.
    set_committed_value(actor, "full_name", text[:200])
    return audit.record(
        actor=actor,
        role=DIREZIONE_GENERALE,
        object_type="procedure",
        object_id=text[:40],
        action="procedure.nota",
        payload=_payload(text),
        clock=clock,
    )


def _read_back(seq: int) -> AuditEvent:
    db.session.commit()
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.seq == seq).execution_options(populate_existing=True)
    ).one()


@pytest.mark.parametrize("case", AWKWARD_TEXT)
def test_the_hash_stored_is_the_hash_of_the_row_read_back(app, make_user, precise_clock, case):
    """On this database (SQLite, or PostgreSQL with TEST_DATABASE_URL) the row comes back with the
    very bytes Python hashed: the stored hash, the hash recomputed from the row read back, the
    canonical JSON of the whole record and the offline verifier's bytes all agree."""
    event = _record_awkward(make_user, precise_clock, case)
    stored = _read_back(event.seq)
    assert stored.payload == audit.canonical_json(_payload(AWKWARD_TEXT[case]))
    assert audit.iso_utc(stored.occurred_at) == "2025-07-01T08:00:00.123456Z"
    record_bytes = audit.record_bytes_of(stored)
    assert record_bytes == audit.canonical_json(_whole_record(stored)).encode("utf-8")
    assert record_bytes == _offline_verifier().canonical(_whole_record(stored))
    assert stored.hash == event.hash == audit.chain_hash(stored.prev_hash, record_bytes)
    head = db.session.get(AuditHead, 1, populate_existing=True)
    assert (head.seq, head.hash) == (stored.seq, stored.hash)
    assert integrity.verify_chain().ok


def test_awkward_events_appended_together_export_and_verify_offline(
    app, make_user, precise_clock, tmp_path
) -> None:
    """One event per awkward text, then all of them under one lock (audit.append), exported as
    JSON Lines: scripts/verify_audit_export.py (a separate process, standard library only)
    accepts the export and the head noted from the database."""
    singles = [_record_awkward(make_user, precise_clock, case) for case in AWKWARD_TEXT]
    entries = [("procedure", n, "procedure.nota", _payload(t)) for n, t in enumerate(AWKWARD_TEXT)]
    together = audit.append(actor=None, role=SYSTEM, entries=entries, clock=precise_clock)
    db.session.commit()
    last = together[-1]
    assert integrity.verify_chain().ok
    export = tmp_path / "audit.jsonl"
    export.write_text("".join(history.jsonl_lines(None, None)), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(export), "--anchor", f"{last.seq}:{last.hash}"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"OK integra: testa {last.seq} {last.hash}"
    assert len(singles) == len(together) == len(AWKWARD_TEXT)
