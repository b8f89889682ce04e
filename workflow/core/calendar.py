"""The office calendar: consecutive days, working days, end of month, and holidays.

Every deadline rule counts time through this module, so the law's counting rules live in one place:
- working days exclude Saturdays, Sundays, the Italian public holidays (the `holidays` package) and
  Milan's patron day, Sant'Ambrogio, 7 December;
- a term in working days excludes the start day and includes the end day; a term in consecutive days
  whose end falls on a non-working day moves to the next working day (c.p.c. art. 155);
- a publication period is counted in consecutive days with the first day included and is never moved
  (TUEL art. 124: fifteen consecutive days), so it does not use `roll_forward`.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from workflow.core.clock import ROME

SANT_AMBROGIO = (12, 7)  # Milan's patron day: offices of the Città metropolitana are closed


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    national = holidays.country_holidays("IT", years=year)
    return frozenset(national) | {date(year, *SANT_AMBROGIO)}


def is_holiday(day: date) -> bool:
    """A national public holiday or Sant'Ambrogio (7 December)."""
    return day in _holidays_of(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a holiday."""
    return day.weekday() < 5 and not is_holiday(day)


def roll_forward(day: date) -> date:
    """The day itself if it is a working day, else the next working day (c.p.c. art. 155)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_days(start: date, days: int) -> date:
    """Consecutive (calendar) days, holidays included; nothing is moved."""
    return start + timedelta(days=days)


def add_working_days(start: date, days: int) -> date:
    """`days` working days after `start` (start excluded); negative counts backwards.

    The result is always a working day: "entro 5 giorni lavorativi" from a Friday request is the
    following Friday, and 2 working days before a Monday deadline is the previous Thursday.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    if remaining == 0:
        return roll_forward(day)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def end_of_month(day: date) -> date:
    """The last day of `day`'s month ("entro la fine di febbraio")."""
    return day.replace(day=_stdlib_calendar.monthrange(day.year, day.month)[1])


def term_in_days(start: date, days: int) -> date:
    """A term of `days` consecutive days from `start`, moved off a non-working end (c.p.c. 155)."""
    return roll_forward(add_days(start, days))


def publication_end(start: date, days: int = 15) -> date:
    """Last day of a publication of `days` consecutive days, the first included (TUEL art. 124).

    The seed: 19/02/2025 + 14 days = 05/03/2025.
    """
    return add_days(start, days - 1)


def local_instant(day: date, at: time) -> datetime:
    """The instant `at` o'clock on `day` in Europe/Rome, whatever the DST offset that day."""
    return datetime.combine(day, at, tzinfo=ROME)
