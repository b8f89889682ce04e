"""Throughput of firing events through the full HTTP stack, against a bare endpoint of the same app.

    python bench/advance.py [--db sqlite|postgres|both] [--events N] [--batch B]

"advance" is POST /api/v1/procedures/<id>/events/avvia (token auth, guards, step row, audit event,
one commit, the detail JSON); "bare" is POST /api/v1/bench/bare (token auth, one row, one commit),
which bench/baseline.py mounts on the app (the product has no such endpoint). Both are timed in
interleaved batches, over keep-alive connections to real werkzeug servers: one app on a database
with 100 procedures, one on a database with 10,000 (audit trail ~20,000 events).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import baseline
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, insert, select, text, update
from werkzeug.serving import WSGIRequestHandler, make_server

from workflow import create_app
from workflow.access import operations as users
from workflow.access.models import User
from workflow.access.roles import DIREZIONE_GENERALE
from workflow.audit import chain as audit
from workflow.core.clock import SystemClock
from workflow.deadlines.models import MET, OPEN, Deadline
from workflow.definitions import LATEST
from workflow.engine import stepdata
from workflow.extensions import db
from workflow.procedures.models import Milestone, Procedure, ProcedureStep

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SIZES = (100, 10_000)
DEFINITION = LATEST["psttm"]
# What the bulk-inserted procedures outside the pool have recorded (so: state "avviato"). One step
# each keeps the setup short: audit.record costs a round trip per event.
HISTORY = (("avvia", {"numero": "264/2024", "data": "2024-10-22"}),)
# Outside the pool, procedures have a cronoprogramma: a planned date per milestone, a month apart.
PLANNED_FROM = date(2024, 10, 22)


class KeepAliveHandler(WSGIRequestHandler):
    """Keep-alive HTTP/1.1 (werkzeug enables it only when threaded), no per-request log line."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class Bench:
    app: Flask
    conn: http.client.HTTPConnection
    headers: dict[str, str]
    user_id: int
    size: int
    pool: list[int]  # procedures kept in "in_preparazione": each batch fires avvia on them
    numero: int = 0

    def post(self, path: str, body: dict[str, Any]) -> None:
        self.conn.request("POST", path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"POST {path} → {response.status}: {payload[:300]!r}")

    def batch(self, kind: str) -> float:
        """Seconds spent on one batch of `kind` ("advance" or "bare"), one event per pool entry."""
        return self.advance_batch() if kind == "advance" else self.bare_batch()

    def advance_batch(self) -> float:
        versions = self._versions()
        started = time.perf_counter()
        for pid in self.pool:
            self.numero += 1
            body = {"version": versions[pid], "numero": str(self.numero), "data": "2024-10-22"}
            self.post(f"/api/v1/procedures/{pid}/events/avvia", body)
        elapsed = time.perf_counter() - started
        self._reset_pool()
        return elapsed

    def bare_batch(self) -> float:
        started = time.perf_counter()
        for _ in self.pool:
            self.post("/api/v1/bench/bare", {})
        return time.perf_counter() - started

    def _versions(self) -> dict[int, int]:
        with self.app.app_context():
            rows = db.session.execute(
                select(Procedure.id, Procedure.version).where(Procedure.id.in_(self.pool))
            )
            return {pid: version for pid, version in rows}

    def _reset_pool(self) -> None:
        """Untimed: put the pool back to "in_preparazione" so the table size stays what it was."""
        with self.app.app_context():
            db.session.execute(
                delete(ProcedureStep).where(ProcedureStep.procedure_id.in_(self.pool))
            )
            db.session.execute(
                update(Procedure)
                .where(Procedure.id.in_(self.pool))
                .values(state=DEFINITION.initial, version=Procedure.version + 1)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()


def populate(bench: Bench, target: int, fresh: int) -> None:
    """Bulk-insert `target` procedures: `fresh` of them new (the pool), the others with HISTORY.

    Audit events are appended with audit.append, in the same single transaction.
    """
    now = SystemClock().now()
    with bench.app.app_context():
        first = 10_000  # period_start only has to be unique per kind
        starts = range(first, first + target)
        db.session.execute(
            insert(Procedure),
            [
                dict(
                    kind="psttm",
                    definition_version=DEFINITION.version,
                    title=f"Bench {s}",
                    period_start=s,
                    period_end=s + 2,
                    fascicolo="",
                    state=DEFINITION.initial,
                    version=1,
                    created_at=now,
                    created_by_id=bench.user_id,
                )
                for s in starts
            ],
        )
        ids = list(
            db.session.scalars(
                select(Procedure.id).where(Procedure.period_start >= first).order_by(Procedure.id)
            )
        )
        planned = [PLANNED_FROM + timedelta(days=30 * i) for i in range(len(DEFINITION.milestones))]
        db.session.execute(
            insert(Milestone),
            [
                dict(
                    procedure_id=pid,
                    code=m.code,
                    position=i,
                    planned_date=None if pid in ids[:fresh] else planned[i],
                )
                for pid in ids
                for i, m in enumerate(DEFINITION.milestones)
            ],
        )
        _insert_deadlines(ids[fresh:], planned, now)
        bench.pool.extend(ids[:fresh])
        events: list[tuple[int, str, dict[str, Any]]] = [
            (pid, "procedure.opened", {"kind": "psttm", "definition_version": DEFINITION.version})
            for pid in ids
        ]
        steps = []
        for pid in ids[fresh:]:
            for version, (event, raw) in enumerate(HISTORY, start=2):
                step = DEFINITION.steps_for(event, _source(event))[0]
                values = stepdata.parse(step.fields, raw)
                stored = stepdata.to_json(values)
                steps.append(
                    dict(
                        procedure_id=pid,
                        event=event,
                        milestone_code=step.milestone,
                        from_state=step.source,
                        to_state=step.dest,
                        occurred_on=values["data"],
                        act_kind=step.act.code if step.act else None,
                        act_number=values.get("numero"),
                        act_date=values["data"] if step.act else None,
                        data=stored,
                        recorded_at=now,
                        recorded_by_id=bench.user_id,
                        recorded_role=DIREZIONE_GENERALE,
                    )
                )
                payload = {"from": step.source, "to": step.dest, "data": stored, "version": version}
                events.append((pid, f"procedure.{event}", payload))
        if steps:
            db.session.execute(insert(ProcedureStep), steps)
            db.session.execute(
                update(Procedure)
                .where(Procedure.id.in_(ids[fresh:]))
                .values(state=steps[-1]["to_state"], version=len(HISTORY) + 1)
                .execution_options(synchronize_session=False)
            )
        _append_audit(bench, events)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))  # what autovacuum would do after a bulk load
            db.session.commit()


def _insert_deadlines(ids: list[int], planned: list[date], now: datetime) -> None:
    """The deadlines a cronoprogramma gives each procedure outside the pool (one per milestone,
    as deadlines.sync_procedure keys them: the avvio met, the others open), so that the size of
    the deadlines table, which grows with procedures and acts, is part of the scale check."""
    if not ids:
        return  # an empty list would insert one row of defaults
    db.session.execute(
        insert(Deadline),
        [
            dict(
                source_key=f"procedure:{pid}:tappa:{m.code}",
                kind="tappa",
                title=f"{m.label} — Bench",
                description="",
                object_type="procedure",
                object_id=str(pid),
                procedure_id=pid,
                due_date=planned[i],
                responsible_role=DIREZIONE_GENERALE,
                legal_basis="Cronoprogramma (bench)",
                state=MET if m.code == "avvio" else OPEN,
                met_at=now if m.code == "avvio" else None,
                remind_overdue=True,
                created_at=now,
                updated_at=now,
            )
            for pid in ids
            for i, m in enumerate(DEFINITION.milestones)
        ],
    )


def _source(event: str) -> str:
    return next(s.source for s in DEFINITION.steps if s.event == event)


def _append_audit(bench: Bench, events: list[tuple[int, str, dict[str, Any]]]) -> None:
    """Through the app's own audit.append: one head lock, one bulk INSERT."""
    audit.append(
        actor=db.session.get(User, bench.user_id),
        role=DIREZIONE_GENERALE,
        entries=[
            ("procedure", object_id, action, payload) for object_id, action, payload in events
        ],
        clock=SystemClock(),
    )


def measure(benches: list[Bench], events: int) -> dict[tuple[int, str], float]:
    """Events/s per (size, "advance" | "bare"): batch size over the median batch time.

    Every batch of every kind and size is interleaved: each round runs the four batches in a
    rotated order (reversed every other round), so load from elsewhere on the machine falls on all
    four alike; the median then discards the batches such a burst hit hardest.
    """
    slots = [(b, kind) for b in benches for kind in ("advance", "bare")]
    for bench, kind in slots:  # warm-up, untimed
        bench.batch(kind)
    seconds: dict[tuple[int, str], list[float]] = {(b.size, kind): [] for b, kind in slots}
    for round_ in range(max(1, events // len(benches[0].pool))):
        order = slots[round_ % len(slots) :] + slots[: round_ % len(slots)]
        for bench, kind in order if round_ % 2 == 0 else reversed(order):
            seconds[bench.size, kind].append(bench.batch(kind))
    return {key: len(benches[0].pool) / statistics.median(s) for key, s in seconds.items()}


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="wf_bench_") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    name = f"wf_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def served(kind: str, size: int, batch: int) -> Iterator[Bench]:
    """A fresh, migrated database with `size` procedures, its app served on a free port."""
    with database(kind) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        clock = SystemClock()
        with app.app_context():
            logging.disable(logging.INFO)  # alembic's INFO lines
            upgrade()
            logging.disable(logging.NOTSET)
            baseline.install(app)  # the bare endpoint and its table: the product has neither
            user = users.create_user(
                "bench",
                "Utente Bench",
                "bench-password",
                [DIREZIONE_GENERALE],
                actor=None,
                clock=clock,
            )
            user_id = user.id
            token = users.issue_token("bench", actor=None, clock=clock)
        server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=KeepAliveHandler)
        thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
        thread.start()
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        bench = Bench(app, conn, headers, user_id, size, pool=[])
        try:
            populate(bench, size, fresh=min(batch, size))
            yield bench
        finally:
            conn.close()
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()


def run(kind: str, events: int, batch: int) -> float:
    """Print one line per size and the scale ratio; return advance/bare at the largest size."""
    with ExitStack() as stack:
        benches = [stack.enter_context(served(kind, size, batch)) for size in SIZES]
        rate = measure(benches, events)
    for size in SIZES:
        advance, bare = rate[size, "advance"], rate[size, "bare"]
        print(
            f"{kind} n_procedures={size} advance={advance:.0f}/s bare={bare:.0f}/s "
            f"ratio={advance / bare:.2f}"
        )
    scale = rate[SIZES[-1], "advance"] / rate[SIZES[0], "advance"]
    print(f"{kind} scale_ratio={scale:.2f}", flush=True)
    return rate[SIZES[-1], "advance"] / rate[SIZES[-1], "bare"]


def postgres_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"))
    parser.add_argument("--events", type=int, default=300, help="timed events per kind and size")
    parser.add_argument("--batch", type=int, default=25, help="events per alternating batch")
    args = parser.parse_args()
    choice = args.db or ("both" if postgres_answers() else "sqlite")
    kinds = ("sqlite", "postgres") if choice == "both" else (choice,)
    started = time.perf_counter()
    worst = min(run(kind, args.events, args.batch) for kind in kinds)
    elapsed = time.perf_counter() - started
    print(f"# {', '.join(kinds)} in {elapsed:.0f} s; targets: ratio >= 0.5, scale_ratio ~ 1")
    print(f"ratio={worst:.2f}")


if __name__ == "__main__":
    main()
