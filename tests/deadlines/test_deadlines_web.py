"""The UI of deadlines: reminders and e-mails on each object's page, closing a deadline, the
outbox for admins, mail settings, the digest unsubscribe link and the iCalendar feeds."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from tests.conftest import csrf_from, login
from tests.factories import open_psttm, run
from workflow.deadlines import operations as deadlines
from workflow.deadlines import reminders
from workflow.mail import sender
from workflow.mail import settings as mail_settings
from workflow.procedures import operations as procedures


def planned(direzione, clock, **dates):
    p = open_psttm(direzione, clock)
    return procedures.plan_milestones(
        p.id, expected_version=p.version, planned=dates, actor=direzione, clock=clock
    )


def test_procedure_page_lists_its_deadlines_with_next_reminder(client, direzione, clock) -> None:
    p = planned(direzione, clock, avvio=date(2025, 7, 31))
    login(client, "direzione")
    page = client.get(f"/procedimenti/{p.id}").get_data(as_text=True)
    assert "Scadenze e promemoria" in page
    assert "Avvio del procedimento — PSTTM 2025-2027" in page
    assert "22/07/2025 08:00" in page  # seven working days before, Rome time


def test_deadline_page_shows_upcoming_reminders_and_sent_emails(
    client, direzione, clock, with_address
) -> None:
    with_address(direzione)
    d = deadlines.create_deadline(
        title="Parere del Segretario Generale",
        due_date=date(2025, 7, 8),
        actor=direzione,
        clock=clock,
    )
    clock.instant += timedelta(days=3, hours=22)  # Friday 04/07 08:00 Rome: before-2
    reminders.scan(clock=clock)
    sender.deliver_due(clock=clock)
    login(client, "direzione")
    page = client.get(f"/scadenze/{d.id}").get_data(as_text=True)
    assert "08/07/2025 08:00 — il giorno della scadenza" in page
    assert "09/07/2025 08:00 — sollecito n. 1 (scaduta)" in page
    assert "direzione@example.org" in page and "inviata" in page and "250 console" in page


def test_marking_a_deadline_met_in_the_ui_stops_its_reminders(client, direzione, clock) -> None:
    d = deadlines.create_deadline(
        title="Relata", due_date=date(2025, 7, 8), actor=direzione, clock=clock
    )
    login(client, "direzione")
    page = client.get(f"/scadenze/{d.id}").get_data(as_text=True)
    response = client.post(
        f"/scadenze/{d.id}/chiusura", data={"state": "met", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    page = client.get(f"/scadenze/{d.id}").get_data(as_text=True)
    assert "adempiuta" in page and "Nessun promemoria in programma." in page


def test_only_managers_close_deadlines(client, direzione, make_user, clock) -> None:
    d = deadlines.create_deadline(
        title="Relata", due_date=date(2025, 7, 8), actor=direzione, clock=clock
    )
    make_user("dirigente", username="dirigente")
    login(client, "dirigente")
    page = client.get(f"/scadenze/{d.id}").get_data(as_text=True)
    assert "Segna come adempiuta" not in page
    response = client.post(
        f"/scadenze/{d.id}/chiusura", data={"state": "met", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 403


def test_failed_messages_are_visible_to_admins(client, direzione, make_user, clock) -> None:
    deadlines.create_deadline(
        title="Senza indirizzo", due_date=date(2025, 7, 3), actor=direzione, clock=clock
    )
    clock.instant += timedelta(days=2)
    reminders.scan(clock=clock)
    make_user("admin", username="admin")
    login(client, "admin")
    page = client.get("/posta?stato=failed").get_data(as_text=True)
    assert "Senza indirizzo" in page and "Nessun indirizzo e-mail" in page and "Riprova" in page


def test_outbox_is_refused_to_other_roles(client, direzione) -> None:
    login(client, "direzione")
    assert client.get("/posta").status_code == 403


def test_user_sets_address_and_digest_in_settings(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/profilo/posta").get_data(as_text=True)
    assert "/calendario/" in page
    client.post(
        "/profilo/posta",
        data={"email": "laura.bianchi@example.org", "csrf_token": csrf_from(page)},
    )
    settings = mail_settings.settings_for(direzione)
    assert (settings.email, settings.digest) == ("laura.bianchi@example.org", False)


def test_unsubscribe_link_asks_first_then_stops_the_digest(client, direzione, with_address) -> None:
    with_address(direzione)
    token = reminders.unsubscribe_token(direzione.id)
    page = client.get(f"/promemoria/disiscrizione/{token}").get_data(as_text=True)
    assert (
        mail_settings.settings_for(direzione).digest is True
    )  # a link scanner's GET changes nothing
    response = client.post(
        f"/promemoria/disiscrizione/{token}", data={"csrf_token": csrf_from(page)}
    )
    assert "Non riceverai più il riepilogo" in response.get_data(as_text=True)
    assert mail_settings.settings_for(direzione).digest is False
    assert client.get("/promemoria/disiscrizione/falso.token").status_code == 404


def test_user_calendar_feed_has_the_users_deadlines(client, direzione, clock) -> None:
    planned(direzione, clock, avvio=date(2025, 7, 31))
    token = mail_settings.own_settings(direzione.id).calendar_token
    response = client.get(f"/calendario/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    [event] = cal.walk("VEVENT")
    assert str(event["summary"]).startswith("Scadenza: Avvio del procedimento")
    assert event.decoded("dtstart") == date(2025, 7, 31)
    assert str(event["uid"]).startswith("scadenza-")
    assert client.get("/calendario/sbagliato.ics").status_code == 404


def test_procedure_feed_has_deadlines_and_recorded_milestones(client, direzione, clock) -> None:
    p = planned(direzione, clock, adozione=date(2025, 9, 30))
    run(procedures.get(p.id), ["avvia"], direzione, clock)
    token = mail_settings.own_settings(direzione.id).calendar_token
    cal = Calendar.from_ical(client.get(f"/calendario/{token}/procedimenti/{p.id}.ics").data)
    summaries = sorted(str(e["summary"]) for e in cal.walk("VEVENT"))
    assert summaries == [
        "Avvio del procedimento — PSTTM 2025-2027",
        "Scadenza: Adozione del Piano (Consiglio metropolitano) — PSTTM 2025-2027",
    ]
    [avvio] = [e for e in cal.walk("VEVENT") if str(e["summary"]).startswith("Avvio")]
    assert avvio.decoded("dtstart") == date(2024, 10, 22)
    assert "Decreto R.G. 264/2024" in str(avvio["description"])


def test_timed_deadline_is_exported_in_europe_rome(client, direzione, clock) -> None:
    from datetime import time

    deadlines.create_deadline(
        title="Seduta",
        due_date=date(2025, 10, 27),
        due_time=time(10, 30),
        actor=direzione,
        clock=clock,
    )
    token = mail_settings.own_settings(direzione.id).calendar_token
    data = client.get(f"/calendario/{token}.ics").data.decode()
    assert "DTSTART;TZID=Europe/Rome:20251027T103000" in data
    assert "BEGIN:VTIMEZONE" in data


def test_opinion_within_five_working_days_is_counted_by_the_calendar(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/scadenze").get_data(as_text=True)
    response = client.post(
        "/scadenze",
        data={
            "title": "Parere di regolarità tecnica sulla proposta",
            "kind": "parere",
            "working_days": "5",
            "counted_from": "2026-12-03",  # Thursday; 7 and 8 December are holidays
            "responsible_role": "dirigente",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "14/12/2026" in page  # 4, 9, 10, 11, 14 December
    assert "5 giorni lavorativi dal 03/12/2026" in page


def test_a_deadline_needs_a_date_or_working_days(client, direzione) -> None:
    login(client, "direzione")
    page = client.get("/scadenze").get_data(as_text=True)
    response = client.post("/scadenze", data={"title": "Senza data", "csrf_token": csrf_from(page)})
    assert response.status_code == 422
