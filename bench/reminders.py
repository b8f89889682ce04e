"""The reminder scan at 10,000 and 100,000 open deadlines, with the same number due each time.

The scan reads only deadlines whose `next_reminder_at` has come (an indexed column), so its time
should follow what is due, not how many deadlines exist. Prints one line per size, then
`ratio=<t100k/t10k>` last (target ≤ 1.5).

    .venv/bin/python bench/reminders.py            # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python bench/reminders.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import downgrade, upgrade  # noqa: E402
from sqlalchemy import delete, insert, update  # noqa: E402

from workflow import create_app  # noqa: E402
from workflow.access import operations as users  # noqa: E402
from workflow.core.clock import FixedClock  # noqa: E402
from workflow.deadlines import reminders
from workflow.deadlines.models import Deadline
from workflow.extensions import db  # noqa: E402
from workflow.mail import settings
from workflow.mail.models import OutboxMessage  # noqa: E402

DUE = 200  # deadlines whose reminder has come, at every size
SIZES = (10_000, 100_000)
RUNS = 5
NOW = datetime(2025, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 in Rome


def fill(total: int) -> None:
    """`total` open deadlines; DUE of them have a reminder due now, the rest months later."""
    db.session.execute(delete(OutboxMessage))
    db.session.execute(delete(Deadline))
    later = NOW + timedelta(days=120)
    rows = [
        {
            "source_key": f"bench:{n}",
            "kind": "manuale",
            "title": f"Scadenza di prova {n}",
            "description": "",
            "object_type": "deadline",
            "object_id": str(n),
            "due_date": date(2025, 7, 3) if n < DUE else date(2025, 12, 1),
            "legal_basis": "",
            "responsible_role": "direzione_generale",
            "state": "open",
            "remind_overdue": True,
            "next_reminder_at": NOW if n < DUE else later,
            "next_reminder_kind": "before-2" if n < DUE else "before-7",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(total)
    ]
    for start in range(0, total, 5_000):
        db.session.execute(insert(Deadline), rows[start : start + 5_000])
    db.session.commit()


def rearm() -> None:
    """Make the same DUE deadlines due again and forget their e-mails, for the next run."""
    db.session.execute(delete(OutboxMessage))
    db.session.execute(
        update(Deadline)
        .where(Deadline.source_key.in_([f"bench:{n}" for n in range(DUE)]))
        .values(next_reminder_at=NOW, next_reminder_kind="before-2", state="open")
    )
    db.session.commit()


def measure(total: int, clock: FixedClock) -> float:
    fill(total)
    times = []
    for _ in range(RUNS):
        rearm()
        started = time.perf_counter()
        report = reminders.scan(clock=clock)
        times.append(time.perf_counter() - started)
        assert report.deadlines == DUE and report.written == DUE, report
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        clock = FixedClock(NOW)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock, "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade()
            user = users.create_user(
                "bench.direzione",
                "Direzione",
                "password-bench",
                ["direzione_generale"],
                actor=None,
                clock=clock,
            )
            settings.update_settings(user.id, actor=user, clock=clock, email="dg@example.org")
            results = {}
            for total in SIZES:
                results[total] = measure(total, clock)
                print(f"open={total} due={DUE} scan_median={results[total] * 1000:.1f}ms")
            if os.environ.get("BENCH_DATABASE_URL"):
                downgrade(revision="base")
            db.session.remove()
            db.engine.dispose()
        print(f"ratio={results[SIZES[1]] / results[SIZES[0]]:.2f}")


if __name__ == "__main__":
    main()
