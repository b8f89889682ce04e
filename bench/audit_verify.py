"""Verify a chain of 1,000,000 audit events against a baseline that only reads and hashes.

    python bench/audit_verify.py [--events N] [--db sqlite|postgres]

The chain is written straight into a freshly migrated database (hashes computed with the app's own
canonical_record / chain_hash, so it verifies), then timed twice, interleaved:
- verify:   integrity.verify_chain(), the code behind `flask --app wsgi audit verify`;
- baseline: the same keyset-paged query over the same rows, hashing with hashlib the same number
            of bytes per row (prev_hash and the stored fields joined as they come), nothing else.
Prints the times and `ratio=<verify/baseline>` last (target ≤ 1.5).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, insert, text, update

from workflow import create_app
from workflow.audit import verify as integrity
from workflow.audit.chain import canonical_json, canonical_record, chain_hash, iso_utc
from workflow.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from workflow.extensions import db

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHUNK = 20_000


def fill(n: int) -> None:
    """Append n plausible events (procedure steps), chained exactly as record() chains them."""
    start = datetime(2016, 1, 1, tzinfo=UTC)
    prev = GENESIS_HASH
    rows = []
    for seq in range(1, n + 1):
        when = start + timedelta(seconds=seq * 300)
        payload = canonical_json(
            {
                "from": "consultazione",
                "to": "consultazione",
                "version": seq % 50 + 1,
                "data": {"data": when.date().isoformat(), "note": f"Seduta n. {seq}"},
            }
        )
        fields = (
            seq,
            iso_utc(when),
            1,
            "Laura Bianchi",
            "direzione_generale",
            "procedure",
            str(seq % 5000 + 1),
            "procedure.esame_commissione",
            payload,
        )
        own = chain_hash(prev, canonical_record(*fields))
        rows.append(
            {
                "seq": seq,
                "occurred_at": when,
                "actor_id": 1,
                "actor_name": fields[3],
                "role": fields[4],
                "object_type": fields[5],
                "object_id": fields[6],
                "action": fields[7],
                "payload": payload,
                "prev_hash": prev,
                "hash": own,
            }
        )
        prev = own
        if len(rows) == CHUNK or seq == n:
            db.session.execute(insert(AuditEvent), rows)
            db.session.commit()
            rows = []
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=n, hash=prev))
    db.session.commit()


def baseline() -> int:
    """Read the same rows the same way and hash the same amount of bytes; no canonical form."""
    count = 0
    for row in integrity.event_rows():
        seq, occurred_at, actor_id, actor_name, role, otype, oid, action, payload, prev, own = row
        joined = f"{seq}{occurred_at}{actor_id}{actor_name}{role}{otype}{oid}{action}{payload}"
        hashlib.sha256(prev.encode("ascii") + joined.encode("utf-8")).hexdigest()
        count += 1
    return count


def timed(fn) -> float:
    db.session.remove()
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.db == "postgres":
            name = f"wf_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        else:
            url = f"sqlite:///{Path(tmp) / 'audit.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        try:
            with app.app_context():
                upgrade()
                began = time.perf_counter()
                fill(args.events)
                print(
                    f"# {args.db}: {args.events} events written in "
                    f"{time.perf_counter() - began:.1f} s"
                )
                verify_times, base_times = [], []
                for _ in range(args.rounds):
                    base_times.append(timed(baseline))
                    report = None

                    def run() -> None:
                        nonlocal report
                        report = integrity.verify_chain()

                    verify_times.append(timed(run))
                    assert report is not None and report.ok and report.checked == args.events
                db.session.remove()
                db.engine.dispose()
        finally:
            if args.db == "postgres":
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    verify_s, base_s = min(verify_times), min(base_times)
    print(
        f"{args.db} events={args.events} verify={verify_s:.2f}s baseline={base_s:.2f}s "
        f"verify_rate={args.events / verify_s:,.0f}/s"
    )
    print(f"ratio={verify_s / base_s:.2f}")


if __name__ == "__main__":
    main()
