"""The calendar service: working days, holidays (7 December included), end of month, c.p.c. 155."""

from __future__ import annotations

from datetime import UTC, date, time

import pytest

from workflow.core import calendar


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 1),  # Capodanno
        date(2025, 1, 6),  # Epifania
        date(2025, 4, 21),  # Lunedì dell'Angelo
        date(2025, 4, 25),  # Liberazione
        date(2025, 6, 2),  # Festa della Repubblica
        date(2025, 8, 15),  # Ferragosto
        date(2025, 12, 8),  # Immacolata
        date(2025, 12, 25),
        date(2025, 12, 26),
    ],
)
def test_italian_public_holidays_are_not_working_days(day: date) -> None:
    assert day.weekday() < 5  # a weekday: only the holiday can make it a non-working day
    assert not calendar.is_working_day(day)


def test_san_francesco_4_october_is_a_holiday_again_from_2026() -> None:
    """Restored as a national holiday from 2026; holidays knows it from 0.86 (our floor)."""
    assert calendar.is_holiday(date(2026, 10, 4))
    assert date(2027, 10, 4).weekday() == 0  # a Monday
    assert not calendar.is_working_day(date(2027, 10, 4))
    assert calendar.is_working_day(date(2025, 10, 3)) and not calendar.is_holiday(date(2025, 10, 4))


def test_sant_ambrogio_7_december_is_not_a_working_day_in_milan() -> None:
    assert date(2026, 12, 7).weekday() == 0  # a Monday
    assert calendar.is_holiday(date(2026, 12, 7))
    assert not calendar.is_working_day(date(2026, 12, 7))


def test_weekends_are_not_working_days_and_plain_weekdays_are() -> None:
    assert not calendar.is_working_day(date(2025, 3, 1))  # Saturday
    assert not calendar.is_working_day(date(2025, 3, 2))  # Sunday
    assert calendar.is_working_day(date(2025, 3, 3))


def test_working_day_term_excludes_start_and_includes_end() -> None:
    # Requested Friday 28/02/2025: 5 working days → Friday 07/03/2025.
    assert calendar.add_working_days(date(2025, 2, 28), 5) == date(2025, 3, 7)
    assert calendar.add_working_days(date(2025, 2, 28), 1) == date(2025, 3, 3)


def test_working_day_term_jumps_easter_monday_and_liberation_day() -> None:
    # Thursday 17/04/2025 + 3 working days: 18 (Fri), skip 21 (Pasquetta), 22, 23.
    assert calendar.add_working_days(date(2025, 4, 17), 3) == date(2025, 4, 23)
    # Thursday 24/04/2025 + 1: 25 April is a holiday, then the weekend → Monday 28.
    assert calendar.add_working_days(date(2025, 4, 24), 1) == date(2025, 4, 28)


def test_working_days_backwards_skip_7_and_8_december() -> None:
    # Two working days before Wednesday 09/12/2026: 8 (Immacolata) and 7 (Sant'Ambrogio) are
    # holidays, 5-6 the weekend → Thursday 03 and Friday 04: the answer is Thursday 03/12/2026.
    assert calendar.add_working_days(date(2026, 12, 9), -2) == date(2026, 12, 3)


def test_working_days_between_counts_end_not_start() -> None:
    assert calendar.working_days_between(date(2025, 2, 28), date(2025, 3, 7)) == 5
    assert calendar.working_days_between(date(2025, 3, 7), date(2025, 3, 7)) == 0


def test_end_of_month_handles_february_and_leap_years() -> None:
    assert calendar.end_of_month(date(2025, 2, 19)) == date(2025, 2, 28)
    assert calendar.end_of_month(date(2028, 2, 1)) == date(2028, 2, 29)
    assert calendar.end_of_month(date(2025, 12, 31)) == date(2025, 12, 31)


def test_deadline_on_a_holiday_moves_to_the_next_working_day() -> None:
    """c.p.c. art. 155: Saturday 01/03/2025 → Monday 03/03/2025; 07/12/2026 → 09/12/2026."""
    assert calendar.roll_forward(date(2025, 3, 1)) == date(2025, 3, 3)
    assert calendar.roll_forward(date(2026, 12, 7)) == date(2026, 12, 9)
    assert calendar.roll_forward(date(2025, 3, 3)) == date(2025, 3, 3)
    assert calendar.term_in_days(date(2025, 2, 19), 10) == date(2025, 3, 3)


def test_publication_window_is_fifteen_consecutive_days_first_included_never_moved() -> None:
    """The seed: published 19/02/2025 → 05/03/2025 (TUEL art. 124)."""
    assert calendar.publication_end(date(2025, 2, 19)) == date(2025, 3, 5)
    # A window ending on a Sunday stays on Sunday: publication days are calendar days.
    assert calendar.publication_end(date(2025, 3, 3)) == date(2025, 3, 17)
    assert calendar.publication_end(date(2025, 3, 2)) == date(2025, 3, 16)


def test_local_instant_follows_daylight_saving_time() -> None:
    winter = calendar.local_instant(date(2025, 3, 28), time(8, 0)).astimezone(UTC)
    summer = calendar.local_instant(date(2025, 3, 31), time(8, 0)).astimezone(UTC)
    assert (winter.hour, summer.hour) == (7, 6)
