"""When reminders fall: working days before, on the day, every N working days overdue (Rome)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import islice

from workflow.core.clock import ROME
from workflow.deadlines.policy import Policy, latest_until, next_after, schedule

POLICY = Policy(days_before=(7, 2), send_at=time(8, 0), overdue_every=2, escalate_after=1)


def rome(instants):
    return [(kind, i.astimezone(ROME).strftime("%a %d/%m/%Y %H:%M")) for kind, i in instants]


def first(due: date, n: int, remind_overdue: bool = True):
    return rome(islice(schedule(due, remind_overdue=remind_overdue, policy=POLICY), n))


def test_reminders_fall_on_working_days_before_on_the_day_then_every_two_overdue() -> None:
    # Contributions "entro la fine di febbraio" 2025: Friday 28/02.
    assert first(date(2025, 2, 28), 6) == [
        ("before-7", "Wed 19/02/2025 08:00"),
        ("before-2", "Wed 26/02/2025 08:00"),
        ("due", "Fri 28/02/2025 08:00"),
        ("overdue-1", "Mon 03/03/2025 08:00"),
        ("overdue-2", "Wed 05/03/2025 08:00"),
        ("overdue-3", "Fri 07/03/2025 08:00"),
    ]


def test_reminders_skip_sant_ambrogio_and_the_immacolata() -> None:
    # Due Wednesday 09/12/2026: 7 and 8 December are holidays, so "2 working days before" is
    # Thursday 03/12 and the first overdue reminder is Thursday 10/12.
    assert first(date(2026, 12, 9), 4) == [
        ("before-7", "Thu 26/11/2026 08:00"),
        ("before-2", "Thu 03/12/2026 08:00"),
        ("due", "Wed 09/12/2026 08:00"),
        ("overdue-1", "Thu 10/12/2026 08:00"),
    ]


def test_due_on_a_sunday_is_reminded_the_friday_before() -> None:
    # The Albo window of an act published Monday 03/03/2025 ends on Sunday 16/03/2025: a
    # deadline on a Sunday is reminded on the last working day before it.
    kinds = dict(first(date(2025, 3, 16), 3))
    assert kinds["due"] == "Fri 14/03/2025 08:00"


def test_two_reminders_on_the_same_morning_become_one() -> None:
    policy = Policy(days_before=(1, 0), send_at=time(8, 0))
    rows = list(islice(schedule(date(2025, 3, 5), remind_overdue=False, policy=policy), 5))
    assert [k for k, _ in rows] == ["before-1", "due", "close"]


def test_reminders_keep_8_o_clock_rome_across_the_dst_change() -> None:
    # Clocks go forward on Sunday 30/03/2025: 08:00 is 07:00 UTC before, 06:00 UTC after.
    rows = list(islice(schedule(date(2025, 3, 31), remind_overdue=True, policy=POLICY), 4))
    utc = {k: i.astimezone(UTC).strftime("%d/%m %H:%M") for k, i in rows}
    assert utc["before-2"] == "27/03 07:00"
    assert utc["due"] == "31/03 06:00"
    # And back on Sunday 26/10/2025.
    rows = list(islice(schedule(date(2025, 10, 27), remind_overdue=True, policy=POLICY), 4))
    utc = {k: i.astimezone(UTC).strftime("%d/%m %H:%M") for k, i in rows}
    assert utc["before-2"] == "23/10 06:00"
    assert utc["due"] == "27/10 07:00"


def test_a_closing_window_has_no_overdue_reminders_only_its_close() -> None:
    rows = first(date(2025, 2, 28), 10, remind_overdue=False)
    assert [k for k, _ in rows] == ["before-7", "before-2", "due", "close"]
    assert rows[-1][1] == "Sat 01/03/2025 00:00"


def test_next_after_is_strictly_after_the_instant() -> None:
    at_eight = datetime(2025, 2, 26, 7, 0, tzinfo=UTC)  # 08:00 Rome, the before-2 reminder
    kind, _ = next_after(date(2025, 2, 28), at_eight, remind_overdue=True, policy=POLICY)
    assert kind == "due"


def test_catch_up_after_downtime_picks_only_the_latest_missed_reminder() -> None:
    since = datetime(2025, 2, 19, 7, 0, tzinfo=UTC)  # before-7 was pending
    now = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)  # down for two weeks
    found = latest_until(date(2025, 2, 28), since, now, remind_overdue=True, policy=POLICY)
    assert found[0] == "overdue-1"
