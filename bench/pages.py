"""Latency of the desk's pages on ten years of history, against a minimal page of the same app.

    python bench/pages.py [--db sqlite|postgres|both] [--procedures N] [--audit-events M]
                          [--rounds R]

One database per run, bulk-loaded with a generated ten-year history (default: 4,000 procedures of
which one in ten still open, every milestone planned, ~33,000 recorded steps, and 1,000,000 audit
events hash-chained with the app's own canonical bytes); the app is served by a werkzeug server on
a free local port (single-threaded, keep-alive) and a logged-in Direzione Generale asks, in
interleaved rounds, for each page of TARGETS and for the minimal page (GET /bench/pagina: session,
user row, base.html, no domain read; mounted by bench/baseline.py). See bench/README.md.

Prints p50/p95 per page, and last `ratio=<worst p95 page / p95 minimal>` (target: <= 5).
"""

from __future__ import annotations

import argparse
import http.client
import logging
import random
import re
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import baseline
from advance import KeepAliveHandler, database, postgres_answers
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import insert, select, text, update
from werkzeug.serving import make_server

from workflow import create_app
from workflow.access import operations as users
from workflow.access.roles import DIREZIONE_GENERALE
from workflow.audit import chain as audit
from workflow.audit.models import AuditEvent, AuditHead
from workflow.core.clock import SystemClock
from workflow.definitions import LATEST
from workflow.extensions import db
from workflow.procedures.models import Milestone, Procedure, ProcedureStep

DEFINITION = LATEST["psttm"]
PASSWORD = "bench-password"
MINIMAL = "/bench/pagina"
# The pages measured. {open_id} is an open procedure of the dataset. When the Albo exists
# (issue 4), measuring its public list is one more line: "albo": "/albo",
TARGETS: dict[str, str] = {
    "scrivania": "/",
    "elenco": "/procedimenti",
    "elenco_aperti_p3": "/procedimenti?stato=aperti&pagina=3",
    "procedimento": "/procedimenti/{open_id}",
}
# One full run of the PSTTM machine: (event, from, to, data). The parere is favourable.
RUN = [
    ("avvia", "in_preparazione", "avviato"),
    ("elabora_linee_guida", "avviato", "linee_guida"),
    ("approva_schema", "linee_guida", "consultazione"),
    ("esame_commissione", "consultazione", "consultazione"),
    ("presenta_conferenza", "consultazione", "consultazione"),
    ("presenta_forum", "consultazione", "consultazione"),
    ("adotta", "consultazione", "adottato"),
    ("parere_conferenza", "adottato", "parere_favorevole"),
    ("approva", "parere_favorevole", "approvato"),
]
STEP_BY_EVENT = {s.event: s for s in DEFINITION.steps if s.dest != "parere_contrario"}
# Typical days between milestones (illustrative), for the planned dates of the generated history.
GAPS = [0, 90, 40, 20, 8, 7, 35, 60, 60]


@dataclass
class Client:
    conn: http.client.HTTPConnection
    cookie: str = ""

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers={"Cookie": self.cookie} if self.cookie else {})
        response = self.conn.getresponse()
        body = response.read()
        self._keep(response)
        return response.status, body

    def _keep(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookie = header.split(";", 1)[0]

    def login(self, username: str) -> None:
        _, page = self.get("/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token, "no CSRF token on /login"
        body = f"username={username}&password={PASSWORD}&csrf_token={token.group(1).decode()}"
        self.conn.request(
            "POST",
            "/login",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie},
        )
        response = self.conn.getresponse()
        response.read()
        self._keep(response)
        if response.status != 302:
            raise SystemExit(f"login failed: {response.status}")


def generate(app: Flask, procedures: int, audit_events: int, today: date, seed: int = 7) -> int:
    """Bulk-load the ten-year history; return the id of an open procedure."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    with app.app_context():
        user_id = users.find_user("bench").id
        first_start = 10_000  # period_start only has to be unique per kind
        # Ten years back from today; the open tenth of them starts within the last year.
        plans: list[tuple[int, date, int]] = []  # (period_start, avvio, steps recorded)
        for i in range(procedures):
            is_open = i % 10 == 0
            if is_open:
                avvio = today - timedelta(days=rnd.randrange(20, 330))
                recorded = rnd.randrange(0, len(RUN))
            else:
                avvio = today - timedelta(days=rnd.randrange(400, 3650))
                recorded = len(RUN)
            plans.append((first_start + i, avvio, recorded))
        db.session.execute(
            insert(Procedure),
            [
                dict(
                    kind="psttm",
                    definition_version=DEFINITION.version,
                    title=f"PSTTM bench {start} (avvio {avvio.year})",
                    period_start=start,
                    period_end=start + 2,
                    fascicolo=f"2.16/{avvio.year}/{start}",
                    state=RUN[recorded - 1][2] if recorded else DEFINITION.initial,
                    version=1 + recorded,
                    created_at=now,
                    created_by_id=user_id,
                )
                for start, avvio, recorded in plans
            ],
        )
        ids = dict(
            db.session.execute(
                select(Procedure.period_start, Procedure.id).where(
                    Procedure.period_start >= first_start
                )
            ).all()
        )
        milestones, steps, events = [], [], []
        for start, avvio, recorded in plans:
            pid = ids[start]
            planned, actual, day, late = [], [], avvio, avvio
            for gap in GAPS:
                day += timedelta(days=gap)
                late = max(late, day) + timedelta(days=rnd.randrange(0, 25))
                planned.append(day)
                actual.append(late)
            actual[0] = avvio
            for i, spec in enumerate(DEFINITION.milestones):
                milestones.append(
                    dict(procedure_id=pid, code=spec.code, position=i, planned_date=planned[i])
                )
            events.append(
                (
                    pid,
                    "procedure.opened",
                    {"kind": "psttm", "definition_version": DEFINITION.version},
                )
            )
            for n, (event, source, dest) in enumerate(RUN[:recorded]):
                step = STEP_BY_EVENT[event]
                data = {"data": actual[n].isoformat()}
                if step.act:
                    data["numero"] = f"{n + 1}/{actual[n].year}"
                if event == "parere_conferenza":
                    data["favorevole"] = True
                steps.append(
                    dict(
                        procedure_id=pid,
                        event=event,
                        milestone_code=step.milestone,
                        from_state=source,
                        to_state=dest,
                        occurred_on=actual[n],
                        act_kind=step.act.code if step.act else None,
                        act_number=data.get("numero"),
                        act_date=actual[n] if step.act else None,
                        data=data,
                        recorded_at=now,
                        recorded_by_id=user_id,
                        recorded_role=DIREZIONE_GENERALE,
                    )
                )
                events.append(
                    (pid, f"procedure.{event}", {"from": source, "to": dest, "data": data})
                )
        for chunk in _chunks(milestones, 20_000):
            db.session.execute(insert(Milestone), chunk)
        for chunk in _chunks(steps, 20_000):
            db.session.execute(insert(ProcedureStep), chunk)
        db.session.commit()
        _append_chain(events, audit_events, now, rnd, list(ids.values()), user_id)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))  # what autovacuum would do after a bulk load
            db.session.commit()
        return ids[next(start for start, _, recorded in plans if recorded == 3)]


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _append_chain(
    events: list[tuple[int, str, dict[str, Any]]],
    total: int,
    now: datetime,
    rnd: random.Random,
    pids: list[int],
    actor_id: int,
) -> None:
    """Append `total` events to the audit chain with the app's own canonical bytes and hash.

    The procedures' own events first, then filler events ("bench.history", standing for the
    other activity of ten years) up to `total`. Bulk INSERTs in chunks; the head row is moved
    to the last event, so `flask audit verify` accepts the result.
    """
    head = db.session.get(AuditHead, 1)
    seq, prev = head.seq, head.hash
    start = now - timedelta(days=3650)
    step = timedelta(days=3650) / max(total, 1)
    rows: list[dict[str, Any]] = []

    def filler(i: int) -> tuple[int, str, dict[str, Any]]:
        return (rnd.choice(pids), "bench.history", {"n": i})

    for i in range(total):
        object_id, action, payload = events[i] if i < len(events) else filler(i)
        seq += 1
        occurred = start + step * i
        payload_json = audit.canonical_json(payload)
        record = audit.canonical_record(
            seq,
            audit.iso_utc(occurred),
            actor_id,
            "Utente Bench",
            DIREZIONE_GENERALE,
            "procedure",
            str(object_id),
            action,
            payload_json,
        )
        digest = audit.chain_hash(prev, record)
        rows.append(
            dict(
                seq=seq,
                occurred_at=occurred,
                actor_id=actor_id,
                actor_name="Utente Bench",
                role=DIREZIONE_GENERALE,
                object_type="procedure",
                object_id=str(object_id),
                action=action,
                payload=payload_json,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
        if len(rows) == 20_000:
            db.session.execute(insert(AuditEvent), rows)
            rows = []
    if rows:
        db.session.execute(insert(AuditEvent), rows)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    db.session.commit()


@contextmanager
def served(kind: str, procedures: int, audit_events: int) -> Iterator[tuple[Client, int, str]]:
    with database(kind) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        clock = SystemClock()
        with app.app_context():
            logging.disable(logging.INFO)  # alembic's INFO lines
            upgrade()
            logging.disable(logging.NOTSET)
            baseline.install(app)  # the minimal page: the product does not have it
            users.create_user(
                "bench", "Utente Bench", PASSWORD, [DIREZIONE_GENERALE], actor=None, clock=clock
            )
        started = time.perf_counter()
        today = datetime.now(UTC).date()
        open_id = generate(app, procedures, audit_events, today)
        loaded = f"loaded in {time.perf_counter() - started:.0f} s"
        server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=KeepAliveHandler)
        thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
        thread.start()
        client = Client(http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60))
        try:
            client.login("bench")
            yield client, open_id, loaded
        finally:
            client.conn.close()
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()


def measure(client: Client, paths: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per request, per name; every round asks each path once, in a rotated order,
    so load from elsewhere on the machine falls on all of them alike."""
    names = list(paths)
    for name in names:  # warm-up, untimed (templates compiled, caches filled)
        for _ in range(3):
            _timed(client, paths[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            times[name].append(_timed(client, paths[name]))
    return times


def _timed(client: Client, path: str) -> float:
    started = time.perf_counter()
    status, body = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"GET {path} → {status}: {body[:300]!r}")
    return elapsed


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def run(kind: str, procedures: int, audit_events: int, rounds: int) -> float:
    with served(kind, procedures, audit_events) as (client, open_id, loaded):
        paths = {"minima": MINIMAL} | {
            name: path.format(open_id=open_id) for name, path in TARGETS.items()
        }
        times = measure(client, paths, rounds)
    print(
        f"{kind} n_procedures={procedures} audit_events={audit_events} rounds={rounds} ({loaded})"
    )
    p95_min = percentile(times["minima"], 95)
    worst = 0.0
    for name, values in times.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        ratio = p95 / p95_min
        if name != "minima":
            worst = max(worst, ratio)
        print(
            f"{kind} {name:<17} {paths[name]:<40} p50={p50:6.2f} ms p95={p95:6.2f} ms "
            f"p95/minima={ratio:.2f}",
            flush=True,
        )
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--procedures", type=int, default=4_000)
    parser.add_argument("--audit-events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=300, help="requests per page")
    args = parser.parse_args()
    if args.db != "sqlite" and not postgres_answers():
        raise SystemExit("PostgreSQL does not answer on 127.0.0.1:5432")
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    started = time.perf_counter()
    worst = max(run(k, args.procedures, args.audit_events, args.rounds) for k in kinds)
    print(f"# {', '.join(kinds)} in {time.perf_counter() - started:.0f} s; target: ratio <= 5")
    print(f"ratio={worst:.2f}")


if __name__ == "__main__":
    main()
