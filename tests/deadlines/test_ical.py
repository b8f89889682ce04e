"""The iCalendar feeds: Europe/Rome written as two yearly rules, so that a deadline at 10:00 in
July is 08:00 UTC in every client and in every year, read back by two independent parsers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import vobject
from icalendar import Calendar

from workflow.deadlines import operations as deadlines
from workflow.mail import settings as mail_settings

# (due day at 10:00 in Rome, the UTC instant every client must show)
DUE_AT_TEN = [
    (date(2025, 7, 10), datetime(2025, 7, 10, 8, 0, tzinfo=UTC)),  # summer time
    (date(2026, 1, 15), datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),  # winter time
    (date(2026, 3, 29), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),  # the day summer time starts
    (date(2026, 10, 25), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),  # the day it ends
    (date(2040, 7, 10), datetime(2040, 7, 10, 8, 0, tzinfo=UTC)),  # past 2038
]


@pytest.fixture
def feed(client, direzione, clock) -> bytes:
    for day, _ in DUE_AT_TEN:
        deadlines.create_deadline(
            title=f"Seduta del {day:%d/%m/%Y}",
            due_date=day,
            due_time=time(10, 0),
            actor=direzione,
            clock=clock,
        )
    token = mail_settings.own_settings(direzione.id).calendar_token
    response = client.get(f"/calendario/{token}.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response.data


def expected_by_title() -> dict[str, datetime]:
    return {f"Scadenza: Seduta del {day:%d/%m/%Y}": utc for day, utc in DUE_AT_TEN}


def test_europe_rome_is_two_yearly_rules_not_a_list_of_dates(feed) -> None:
    text = feed.decode()
    assert text.count("BEGIN:VTIMEZONE") == 1 and "TZID:Europe/Rome" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text
    assert "RDATE" not in text
    assert "DTSTART;TZID=Europe/Rome:20250710T100000" in text


def test_icalendar_reads_each_deadline_at_its_utc_instant_from_the_vtimezone(feed) -> None:
    cal = Calendar.from_ical(feed)
    [vtimezone] = cal.walk("VTIMEZONE")
    rome = vtimezone.to_tz(lookup_tzid=False)  # the feed's own rules, not the system's tz data
    found = {
        str(e["summary"]): e.decoded("dtstart").replace(tzinfo=rome).astimezone(UTC)
        for e in cal.walk("VEVENT")
    }
    assert found == expected_by_title()


def test_vobject_reads_each_deadline_at_its_utc_instant(feed) -> None:
    """A second parser, written independently of icalendar: it resolves TZID=Europe/Rome with
    the VTIMEZONE it finds in the feed."""
    cal = vobject.readOne(feed.decode("utf-8"))
    rome = cal.vtimezone.gettzinfo()
    found = {}
    for event in cal.vevent_list:
        start = event.dtstart.value
        assert start.replace(tzinfo=rome).astimezone(UTC) == start.astimezone(UTC)
        found[event.summary.value] = start.astimezone(UTC)
    assert found == expected_by_title()
