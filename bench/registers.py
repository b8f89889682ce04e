"""Gapless register numbers vs a plain PostgreSQL sequence, 8 concurrent writers, one run.

Usage: .venv/bin/python bench/registers.py [--writers 8] [--per-writer 200] [--rounds 3]
       (DATABASE_URL or BENCH_DATABASE_URL: a PostgreSQL server; default postgresql://postgres@127.0.0.1)

Both modes run the same transaction through the same app code: number an entry, insert it,
commit. The baseline takes the number from `nextval` (may leave gaps, never blocks); the gapless
mode uses acts/registers.allocate (a locked counter row, so writers queue on it). The two modes
alternate over several rounds and the medians are compared, so a busy machine skews both alike.
Prints the rates, the gaps and duplicates found in the gapless numbers, and `ratio=` last.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from workflow.config import normalise_database_url  # noqa: E402

NOW = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)


def _worker(url: str, mode: str, count: int, barrier, queue) -> None:
    from workflow import create_app
    from workflow.acts import registers
    from workflow.acts.register_models import RegisterEntry
    from workflow.core.clock import FixedClock
    from workflow.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    clock = FixedClock(NOW)
    numbers = []
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        barrier.wait()
        started = time.perf_counter()
        for _ in range(count):
            if mode == "gapless":
                numbers.append(registers.allocate("protocollo", clock=clock, subject="bench")[1])
            else:
                # The plain sequence at its best: one INSERT … VALUES (nextval(…)) RETURNING,
                # the same single statement the gapless path sends on PostgreSQL.
                number = db.session.execute(
                    insert(RegisterEntry)
                    .values(
                        register="albo",
                        year=2025,
                        number=func.nextval("bench_register_seq"),
                        registered_at=NOW,
                        object_type="",
                        object_id="",
                        subject="bench",
                        fingerprint="",
                    )
                    .returning(RegisterEntry.number)
                ).scalar_one()
                numbers.append(number)
            db.session.commit()
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    queue.put((numbers, elapsed))


def run(url: str, mode: str, writers: int, per_writer: int) -> tuple[float, list[int]]:
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(writers), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, mode, per_writer, barrier, queue))
        for _ in range(writers)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    numbers = [n for got, _ in results for n in got]
    return len(numbers) / max(e for _, e in results), numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    admin_url = normalise_database_url(base)
    if not admin_url.startswith("postgresql"):
        sys.exit("bench/registers.py misura PostgreSQL: impostare DATABASE_URL=postgresql://…")
    name = f"bench_registers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        from flask_migrate import upgrade

        from workflow import create_app
        from workflow.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade()
            db.session.execute(text("CREATE SEQUENCE bench_register_seq"))
            db.session.commit()
            db.engine.dispose()

        rates: dict[str, list[float]] = {"sequence": [], "gapless": []}
        numbers: list[int] = []
        for round_ in range(args.rounds):
            order = ("sequence", "gapless") if round_ % 2 == 0 else ("gapless", "sequence")
            for mode in order:
                rate, got = run(url, mode, args.writers, args.per_writer)
                rates[mode].append(rate)
                if mode == "gapless":
                    numbers.extend(got)
        baseline = statistics.median(rates["sequence"])
        gapless = statistics.median(rates["gapless"])

        engine = create_engine(url)
        with engine.connect() as conn:
            from workflow.acts.register_models import RegisterEntry

            stored = list(
                conn.execute(
                    select(RegisterEntry.number).where(RegisterEntry.register == "protocollo")
                ).scalars()
            )
            highest = conn.execute(
                select(func.max(RegisterEntry.number)).where(RegisterEntry.register == "protocollo")
            ).scalar()
        engine.dispose()
        duplicates = (len(numbers) - len(set(numbers))) + (len(stored) - len(set(stored)))
        gaps = (highest or 0) - len(set(stored))
        print(f"writers={args.writers} rounds={args.rounds} gapless_allocations={len(numbers)}")
        print(f"sequence_nextval_per_s={baseline:.1f}")
        print(f"gapless_per_s={gapless:.1f}")
        print(f"gaps={gaps}")
        print(f"duplicates={duplicates}")
        print(f"ratio={gapless / baseline:.2f}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
