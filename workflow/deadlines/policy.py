"""When a deadline's reminders fall: a pure function of the due date and the policy, no database.

Kinds, in order: "before-7", "before-2" (working days before the due date), "due" (the morning of
the due date, or the last working day before it when it falls on a holiday), then "overdue-1",
"overdue-2", … every N working days after it while the deadline is not met. A deadline whose
window simply closes (e.g. contributions of the Comuni) has no overdue reminders but a silent
"close" at the end of its day, when the scan marks it met.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from workflow.core.calendar import add_working_days, is_working_day, local_instant

DUE = "due"
CLOSE = "close"
OVERDUE_PREFIX = "overdue-"
BEFORE_PREFIX = "before-"

KIND_LABELS = {DUE: "il giorno della scadenza", CLOSE: "chiusura"}


def kind_label(kind: str) -> str:
    """Italian description of a reminder kind, for pages and e-mails."""
    if kind.startswith(BEFORE_PREFIX):
        return f"{kind.removeprefix(BEFORE_PREFIX)} giorni lavorativi prima"
    if kind.startswith(OVERDUE_PREFIX):
        return f"sollecito n. {kind.removeprefix(OVERDUE_PREFIX)} (scaduta)"
    return KIND_LABELS[kind]


def clock_time(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


@dataclass(frozen=True)
class Policy:
    days_before: tuple[int, ...] = (7, 2)
    send_at: time = time(8, 0)
    overdue_every: int = 2
    escalate_after: int = 1

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        days = tuple(
            sorted(
                {int(d) for d in str(config["REMINDER_DAYS_BEFORE"]).split(",") if d.strip()},
                reverse=True,
            )
        )
        return cls(
            days_before=days,
            send_at=clock_time(config["REMINDER_SEND_AT"]),
            overdue_every=max(1, int(config["REMINDER_OVERDUE_EVERY"])),
            escalate_after=max(1, int(config["REMINDER_ESCALATE_AFTER"])),
        )


def overdue_number(kind: str) -> int:
    return int(kind.removeprefix(OVERDUE_PREFIX)) if kind.startswith(OVERDUE_PREFIX) else 0


def due_instant(due_date: date, due_time: time | None) -> datetime:
    """The instant the deadline passes: its time if it has one, else the end of its day (Rome)."""
    if due_time is not None:
        return local_instant(due_date, due_time)
    return local_instant(due_date + timedelta(days=1), time(0, 0))


def schedule(
    due_date: date, *, remind_overdue: bool, policy: Policy
) -> Iterator[tuple[str, datetime]]:
    """Every reminder of a deadline as (kind, instant), in time order; endless while overdue."""
    on_the_day = due_date if is_working_day(due_date) else add_working_days(due_date, -1)
    planned = [(f"{BEFORE_PREFIX}{n}", add_working_days(due_date, -n)) for n in policy.days_before]
    planned.append((DUE, on_the_day))
    # Two kinds on the same morning (a short week, a holiday): only the one nearer the due date.
    by_day: dict[date, str] = {}
    for kind, day in planned:
        by_day[day] = kind
    for day in sorted(by_day):
        yield by_day[day], local_instant(day, policy.send_at)
    if not remind_overdue:
        yield CLOSE, due_instant(due_date, None)
        return
    number, day = 1, add_working_days(due_date, 1)
    while True:
        yield f"{OVERDUE_PREFIX}{number}", local_instant(day, policy.send_at)
        number += 1
        day = add_working_days(day, policy.overdue_every)


def next_after(
    due_date: date, after: datetime, *, remind_overdue: bool, policy: Policy
) -> tuple[str, datetime] | None:
    """The first reminder strictly after `after`, or None when there is none left."""
    for kind, instant in schedule(due_date, remind_overdue=remind_overdue, policy=policy):
        if instant > after:
            return kind, instant
    return None


def latest_until(
    due_date: date,
    since: datetime,
    now: datetime,
    *,
    remind_overdue: bool,
    policy: Policy,
) -> tuple[str, datetime] | None:
    """The newest reminder in [since, now]: after downtime, one catch-up instead of a burst."""
    found = None
    for kind, instant in schedule(due_date, remind_overdue=remind_overdue, policy=policy):
        if instant > now:
            break
        if instant >= since:
            found = (kind, instant)
    return found


def upcoming(
    due_date: date, after: datetime, *, remind_overdue: bool, policy: Policy, limit: int = 5
) -> list[tuple[str, datetime]]:
    """The next `limit` reminders after `after`, for the deadline's page."""
    rows = []
    for kind, instant in schedule(due_date, remind_overdue=remind_overdue, policy=policy):
        if instant > after:
            rows.append((kind, instant))
            if len(rows) == limit:
                break
    return rows
