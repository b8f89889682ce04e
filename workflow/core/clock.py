"""Time: the injected clock services use, and the Europe/Rome conventions of the UI.

Services never call datetime.now(): they receive a Clock, so tests can freeze time and the CLI,
the API and the scheduler all share the same code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


def as_utc(instant: datetime) -> datetime:
    """Stored timestamps are UTC; SQLite hands them back naive, so say so explicitly."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def rome_today(clock: Clock) -> date:
    """Today's date as the office sees it (Europe/Rome), not as the server's zone sees it."""
    return clock.now().astimezone(ROME).date()


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_instant(value: datetime | None) -> str:
    return as_utc(value).astimezone(ROME).strftime("%d/%m/%Y %H:%M") if value else ""
