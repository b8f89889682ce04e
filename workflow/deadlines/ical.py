"""iCalendar feeds (RFC 5545) of deadlines and milestones, for Outlook and Thunderbird to subscribe.

A feed is reached by a secret URL (the user's calendar token), because calendar clients cannot log
in; replacing the token revokes every copy. Events have stable UIDs, so a client that refreshes
updates them in place instead of adding duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from sqlalchemy import or_, select

from workflow.access.models import User
from workflow.core.clock import ROME, Clock, as_utc
from workflow.core.errors import NotFound
from workflow.deadlines import operations as deadlines
from workflow.deadlines.models import CANCELLED, Deadline, DeadlineAssignee
from workflow.extensions import db
from workflow.mail.models import MailSettings
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure


def user_for_token(token: str) -> User:
    """The user whose calendar secret this is; raises NotFound (no hint whether it ever existed)."""
    settings = db.session.scalar(select(MailSettings).where(MailSettings.calendar_token == token))
    user = db.session.get(User, settings.user_id) if settings else None
    if user is None or not user.active:
        raise NotFound("Calendario non trovato.")
    return user


def _observance(
    part: type[TimezoneDaylight | TimezoneStandard],
    name: str,
    offsets: tuple[int, int],
    first: datetime,
) -> TimezoneDaylight | TimezoneStandard:
    observance = part()
    observance.add("tzname", name)
    observance.add("tzoffsetfrom", timedelta(hours=offsets[0]))
    observance.add("tzoffsetto", timedelta(hours=offsets[1]))
    observance.add("dtstart", first)
    observance.add("rrule", {"freq": "yearly", "bymonth": first.month, "byday": "-1su"})
    return observance


def rome_timezone() -> Timezone:
    """Europe/Rome as two yearly rules, the form every client understands and that never runs
    out: summer time (CEST, +02:00) from the last Sunday of March at 02:00 to the last Sunday of
    October at 03:00 local time (Directive 2000/84/EC; the same dates since 1996, the first rule's
    DTSTART). The `icalendar` default lists each year's switch up to 2038 only.

    Raises nothing; the TZID is the one events carry (`DTSTART;TZID=Europe/Rome:…`).
    """
    zone = Timezone()
    zone.add("tzid", ROME.key)
    zone.add_component(_observance(TimezoneDaylight, "CEST", (1, 2), datetime(1996, 3, 31, 2)))
    zone.add_component(_observance(TimezoneStandard, "CET", (2, 1), datetime(1996, 10, 27, 3)))
    return zone


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Città metropolitana di Milano//Procedimenti//IT")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", ROME.key)
    cal.add_component(rome_timezone())
    return cal


def _host() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def _all_day(event: Event, day: date) -> None:
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))


def deadline_event(deadline: Deadline, stamp: datetime) -> Event:
    base = current_app.config["PUBLIC_BASE_URL"]
    event = Event()
    event.add("uid", f"scadenza-{deadline.id}@{_host()}")
    event.add("dtstamp", stamp)
    event.add("summary", f"Scadenza: {deadline.title}")
    if deadline.due_time:
        start = datetime.combine(deadline.due_date, deadline.due_time, tzinfo=ROME)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=30))
    else:
        _all_day(event, deadline.due_date)
    lines = [f"Stato: {deadline.state_label}"]
    if deadline.legal_basis:
        lines.append(f"Riferimento: {deadline.legal_basis}")
    if deadline.description:
        lines.append(deadline.description)
    url = f"{base}/scadenze/{deadline.id}"
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("status", "CANCELLED" if deadline.state == CANCELLED else "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    event.add("last-modified", as_utc(deadline.updated_at))
    return event


def milestone_events(procedure: Procedure, stamp: datetime) -> Iterable[Event]:
    """Milestones already recorded, on the day they happened, with the act that justifies them.

    Planned milestones not yet recorded appear as deadlines, so they are not repeated here.
    """
    base = current_app.config["PUBLIC_BASE_URL"]
    for row in procedures.milestone_rows(procedure):
        if row.actual_date is None:
            continue
        event = Event()
        event.add("uid", f"tappa-{procedure.id}-{row.code}@{_host()}")
        event.add("dtstamp", stamp)
        event.add("summary", f"{row.label} — {procedure.title}")
        _all_day(event, row.actual_date)
        text = row.act or "Tappa registrata"
        event.add("description", f"{text}\n{base}/procedimenti/{procedure.id}")
        event.add("url", f"{base}/procedimenti/{procedure.id}")
        event.add("transp", "TRANSPARENT")
        yield event


def user_feed(user: User, *, clock: Clock) -> bytes:
    """The deadlines the user answers for (by role or by name), in every state."""
    stamp = as_utc(clock.now())
    named = select(DeadlineAssignee.deadline_id).where(DeadlineAssignee.user_id == user.id)
    rows = db.session.scalars(
        select(Deadline)
        .where(or_(Deadline.responsible_role.in_(user.role_codes), Deadline.id.in_(named)))
        .order_by(Deadline.due_date, Deadline.id)
    )
    cal = _calendar(f"Scadenze — {user.full_name}")
    for deadline in rows:
        cal.add_component(deadline_event(deadline, stamp))
    return cal.to_ical()


def procedure_feed(procedure: Procedure, *, clock: Clock) -> bytes:
    """A procedure's deadlines and recorded milestones."""
    stamp = as_utc(clock.now())
    cal = _calendar(f"{procedure.title} — scadenze e tappe")
    for deadline in deadlines.for_object("procedure", procedure.id):
        cal.add_component(deadline_event(deadline, stamp))
    for event in milestone_events(procedure, stamp):
        cal.add_component(event)
    return cal.to_ical()
