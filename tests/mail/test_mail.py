"""The outbox sender against a real SMTP server on loopback: retries with backoff, exactly one
delivery when the server comes back, permanent failures kept visible, nothing after a met
deadline."""

from __future__ import annotations

import ssl
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select, update

from tests.smtp import SmtpServer
from tests.threads import at_once
from workflow.core.clock import ROME, SystemClock
from workflow.core.errors import NotAllowed
from workflow.deadlines import operations as deadlines
from workflow.deadlines import reminders
from workflow.extensions import db
from workflow.mail import outbox as mail
from workflow.mail import sender as mail_sender
from workflow.mail import transport as mail_transport
from workflow.mail.models import OutboxMessage

RETRY = mail_sender.Retry(max_attempts=4, base_seconds=60, cap_seconds=600, lease_seconds=300)


@pytest.fixture
def queued(clock, direzione, with_address):
    """One reminder in the outbox: a deadline due in two working days, scanned."""
    with_address(direzione)
    deadline = deadlines.create_deadline(
        title="Relata di pubblicazione n. 1084/2025",
        due_date=date(2025, 7, 3),
        kind="relata",
        actor=direzione,
        clock=clock,
    )
    clock.instant += timedelta(days=2)  # 03/07 10:00 Rome: the "due" reminder
    assert reminders.scan(clock=clock).written == 1
    return deadline


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_reminder_is_delivered_over_smtp_with_text_html_and_the_servers_answer(
    clock, queued, smtp_server
) -> None:
    report = mail_sender.deliver_due(clock=clock, retry=RETRY)
    assert report.sent == 1
    [message] = smtp_server.messages
    assert message["To"] == "direzione@example.org"
    # RFC 2047 round trip: the accented subject arrives encoded and decodes to what was queued.
    assert str(make_header(decode_header(message["Subject"]))) == (
        "[Scadenza] Relata di pubblicazione n. 1084/2025 — entro il 03/07/2025"
    )
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.get_payload()
    assert "scade oggi" in plain.get_payload(decode=True).decode()
    assert "<a href=" in html.get_payload(decode=True).decode()
    [row] = rows()
    assert row.status == "sent" and row.smtp_response.startswith("250")
    assert "queued as TEST1" in row.smtp_response
    assert message["Message-ID"] == row.message_id
    assert message["List-Unsubscribe"].startswith("<http")


def test_smtp_down_retries_with_backoff_then_delivers_exactly_once(
    clock, queued, smtp_server
) -> None:
    smtp_server.stop()
    report = mail_sender.deliver_due(clock=clock, retry=RETRY, jitter=lambda: 1.0)
    assert (report.sent, report.retried) == (0, 1)
    [row] = rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at.replace(tzinfo=None) == (
        clock.now() + timedelta(seconds=60)
    ).replace(tzinfo=None)
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 0  # not due yet: no hammering
    clock.instant += timedelta(seconds=60)
    mail_sender.deliver_due(clock=clock, retry=RETRY, jitter=lambda: 1.0)
    [row] = rows()
    assert row.attempts == 2
    assert row.next_attempt_at.replace(tzinfo=None) == (
        clock.now() + timedelta(seconds=120)
    ).replace(tzinfo=None)  # doubled
    smtp_server.start()
    clock.instant += timedelta(seconds=120)
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 1
    clock.instant += timedelta(hours=5)
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 0
    assert len(smtp_server.messages) == 1
    assert rows()[0].status == "sent"


def test_backoff_is_capped_and_jittered() -> None:
    assert RETRY.delay(1, lambda: 0.0) == timedelta(seconds=30)
    assert RETRY.delay(3, lambda: 1.0) == timedelta(seconds=240)
    assert RETRY.delay(20, lambda: 1.0) == timedelta(seconds=600)


def test_4xx_reply_is_retried_5xx_is_permanent_and_visible(clock, queued, smtp_server) -> None:
    smtp_server.recorder.reply = "451 4.3.0 Temporary local problem"
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).retried == 1
    assert rows()[0].last_error.startswith("451")
    smtp_server.recorder.reply = "550 5.1.1 Mailbox unavailable"
    clock.instant += timedelta(hours=1)
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).failed == 1
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "550" in row.last_error
    assert row in mail_sender.recent("failed")
    clock.instant += timedelta(days=1)
    assert (
        mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 0
    )  # failed is not retried by itself
    assert smtp_server.messages == []


def test_gives_up_after_the_configured_attempts(clock, queued, smtp_server) -> None:
    smtp_server.stop()
    for _ in range(RETRY.max_attempts):
        mail_sender.deliver_due(clock=clock, retry=RETRY)
        clock.instant += timedelta(seconds=RETRY.cap_seconds)
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", RETRY.max_attempts)
    assert "Connessione" in row.last_error


def test_admin_requeues_a_failed_message_and_it_is_delivered(
    clock, queued, smtp_server, make_user
) -> None:
    smtp_server.recorder.reply = "554 5.7.1 Relay denied"
    mail_sender.deliver_due(clock=clock, retry=RETRY)
    [row] = rows()
    with pytest.raises(NotAllowed):
        mail_sender.requeue(row.id, actor=make_user("dirigente"), clock=clock)
    mail_sender.requeue(row.id, actor=make_user("admin"), clock=clock)
    smtp_server.recorder.reply = None
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 1
    assert len(smtp_server.messages) == 1


def test_met_deadline_cancels_its_queued_reminder(clock, queued, direzione, smtp_server) -> None:
    deadlines.settle(queued.id, "met", actor=direzione, clock=clock)
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 0
    assert smtp_server.messages == []
    assert rows()[0].status == "cancelled"
    clock.instant += timedelta(days=10)
    assert reminders.scan(clock=clock).written == 0


def test_sender_that_died_mid_send_is_replaced_after_its_lease_with_the_same_message_id(
    clock, queued, smtp_server
) -> None:
    claimed = mail_sender.claim_next(clock=clock, lease_seconds=RETRY.lease_seconds)  # it "dies"
    assert claimed is not None
    assert (
        mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 0
    )  # still leased to the dead one
    clock.instant += timedelta(seconds=RETRY.lease_seconds)
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 1
    assert smtp_server.messages[0]["Message-ID"] == rows()[0].message_id
    # The id is derived from the outbox key: a re-send after a lost "250" carries the same one.
    digest_part = mail.message_id_for(rows()[0].key, "x@example.org").split("@")[0]
    assert rows()[0].message_id.startswith(digest_part + "@")


def test_two_senders_at_once_deliver_each_message_once(
    app, clock, direzione, make_user, with_address, smtp_server
) -> None:
    users = [with_address(make_user("dirigente")) for _ in range(6)]
    deadlines.create_deadline(
        title="Parere",
        due_date=date(2025, 7, 3),
        responsible_role="dirigente",
        assignee_ids=[u.id for u in users],
        actor=direzione,
        clock=clock,
    )
    clock.instant += timedelta(days=2)
    assert reminders.scan(clock=clock).written == 6
    addresses = sorted(f"{u.username}@example.org" for u in users)
    errors = at_once(app, lambda: mail_sender.deliver_due(clock=clock, retry=RETRY), 3)
    assert errors == []
    assert sorted(m["To"] for m in smtp_server.messages) == addresses
    assert {r.status for r in rows()} == {"sent"}


def reminders_to(count, clock, direzione, make_user, with_address) -> list[str]:
    """One deadline with `count` assignees, scanned on its due day: `count` rows in the outbox;
    their addresses."""
    users = [with_address(make_user("dirigente")) for _ in range(count)]
    deadlines.create_deadline(
        title="Parere",
        due_date=date(2025, 7, 3),
        responsible_role="dirigente",
        assignee_ids=[u.id for u in users],
        actor=direzione,
        clock=clock,
    )
    clock.instant += timedelta(days=2)
    assert reminders.scan(clock=clock).written == count
    return sorted(f"{u.username}@example.org" for u in users)


@pytest.mark.parametrize(
    "poison",
    [
        pytest.param("josé@example.org", id="address-smtp-cannot-encode"),
        pytest.param("a@example.org\r\nBcc: tutti@example.org", id="header-injection"),
    ],
)
def test_one_message_that_cannot_be_sent_fails_alone_and_the_others_are_delivered(
    app, clock, direzione, make_user, with_address, smtp_server, poison
) -> None:
    addresses = reminders_to(4, clock, direzione, make_user, with_address)
    first = rows()[0]  # claimed first: the ones after it must still go out
    good_addresses = [a for a in addresses if a != first.recipient]
    # The column guard refuses such a recipient on the way in: the row is one written before it,
    # or by a path that skips the ORM, as a plain UPDATE does.
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == first.id).values(recipient=poison)
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Inviate: 3; da ritentare: 0; non recapitate: 1." in result.output
    delivered = sorted(m["To"] for m in smtp_server.messages)
    assert delivered == good_addresses
    poisoned, *good = rows()
    assert (poisoned.status, poisoned.attempts, poisoned.claimed_until) == ("failed", 1, None)
    assert poisoned.last_error.startswith("Messaggio non inviabile (")
    assert mail.STATUS_LABELS[poisoned.status] == "non recapitata"
    assert {r.status for r in good} == {"sent"}
    assert app.test_cli_runner().invoke(args=["mail", "send"]).output.startswith("Inviate: 0;")


def test_two_senders_and_a_server_slower_than_the_lease_send_each_message_once(
    app, clock, direzione, make_user, with_address, smtp_server
) -> None:
    """Production saw 25 s per DATA reply and a 300 s lease: a batch of 20 outlasted its lease and
    the other sender sent its tail again. Here the lease is 3 s and each reply takes 0.5 s: one
    sender alone needs twice the lease for the 12 messages. Each is still sent once."""
    count, lease = 12, 3
    reminders_to(count, clock, direzione, make_user, with_address)
    app.config["MAIL_CLAIM_SECONDS"] = lease
    smtp_server.recorder.delay = 0.5
    assert count * smtp_server.recorder.delay >= 2 * lease
    outstanding = select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
    started = time.monotonic()

    def sender() -> None:  # what a scheduler does, on the real clock: send until nothing is left
        while db.session.scalar(outstanding) and time.monotonic() - started < 30:
            db.session.rollback()
            mail_sender.deliver_due(clock=SystemClock())
            time.sleep(0.05)  # a scheduler's next run; the other sender may hold a row meanwhile

    assert at_once(app, sender, 2) == []
    received = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert sorted(received) == sorted(r.message_id for r in rows())
    assert [mid for mid, n in received.items() if n > 1] == []  # no duplicate
    assert {(r.status, r.attempts) for r in rows()} == {("sent", 1)}


def late_and_owner(clock) -> tuple[mail_sender.Claim, mail_sender.Claim]:
    """The queued row claimed by a sender whose lease then runs out, and by the one after it."""
    late = mail_sender.claim_next(clock=clock, lease_seconds=60)
    clock.instant += timedelta(seconds=60)
    owner = mail_sender.claim_next(clock=clock, lease_seconds=60)
    assert late.row_id == owner.row_id == rows()[0].id
    return late, owner


def test_a_sender_whose_lease_ran_out_does_not_record_its_failure_over_the_owner(
    clock, queued
) -> None:
    late, owner = late_and_owner(clock)
    error = mail_transport.TransientError("421 troppo lento")
    assert mail_sender.record_outcome(late, clock=clock, retry=RETRY, error=error) == "sending"
    [row] = rows()
    assert (row.status, row.attempts, row.last_error) == ("sending", 1, "")  # still the owner's
    assert mail_sender.record_outcome(owner, clock=clock, retry=RETRY, answer="250 ok") == "sent"
    assert (rows()[0].status, rows()[0].attempts) == ("sent", 2)


def test_a_sender_whose_lease_ran_out_still_records_its_delivery_and_a_repeat_shows(
    clock, queued
) -> None:
    late, owner = late_and_owner(clock)
    assert mail_sender.record_outcome(late, clock=clock, retry=RETRY, answer="250 first") == "sent"
    error = mail_transport.TransientError("421 troppo lento")
    assert mail_sender.record_outcome(owner, clock=clock, retry=RETRY, error=error) == "sent"
    [row] = rows()
    assert (row.status, row.attempts, row.smtp_response) == ("sent", 2, "250 first")


def test_user_without_address_gives_a_visible_failed_row_not_a_lost_one(clock, direzione) -> None:
    deadlines.create_deadline(
        title="Senza indirizzo", due_date=date(2025, 7, 3), actor=direzione, clock=clock
    )
    clock.instant += timedelta(days=2)
    reminders.scan(clock=clock)
    [row] = rows()
    assert row.status == "failed"
    assert "indirizzo" in row.last_error


def test_console_backend_prints_the_message(clock, queued, capsys) -> None:
    assert mail_sender.deliver_due(clock=clock, retry=RETRY).sent == 1
    out = capsys.readouterr().out
    assert "A: direzione@example.org" in out and "Relata di pubblicazione" in out
    assert rows()[0].smtp_response == "250 console"


@pytest.fixture
def tls_ca():
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_delivers_over_starttls_or_implicit_tls_with_auth(clock, queued, tls_ca, security) -> None:
    server_context, client_context = tls_ca
    server = SmtpServer(
        tls_context=server_context,
        implicit_tls=security == "ssl",
        credentials=("procedimenti", "segreta"),
    )
    server.start()
    try:
        transport = mail_transport.SmtpTransport(
            host="127.0.0.1",
            port=server.port,
            security=security,
            username="procedimenti",
            password="segreta",
            timeout=5,
            tls_context=client_context,
        )
        assert mail_sender.deliver_due(clock=clock, retry=RETRY, transport=transport).sent == 1
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_wrong_smtp_password_is_a_permanent_failure(clock, queued, tls_ca) -> None:
    server_context, client_context = tls_ca
    server = SmtpServer(tls_context=server_context, credentials=("procedimenti", "segreta"))
    server.start()
    try:
        transport = mail_transport.SmtpTransport(
            host="127.0.0.1",
            port=server.port,
            security="starttls",
            username="procedimenti",
            password="sbagliata",
            timeout=5,
            tls_context=client_context,
        )
        report = mail_sender.deliver_due(clock=clock, retry=RETRY, transport=transport)
        assert rows()[0].last_error.startswith("535"), rows()[0].last_error
        assert report.failed == 1
        assert server.messages == []
    finally:
        server.stop()


def run_hourly(clock, smtp_server, until) -> list[str]:
    """Scan and send every hour up to `until`; when (Rome time) each message reached the server."""
    arrivals = []
    while clock.instant <= until:
        reminders.scan(clock=clock)
        before = len(smtp_server.messages)
        mail_sender.deliver_due(clock=clock, retry=RETRY)
        rome_now = clock.instant.astimezone(ROME).strftime("%a %d/%m %H:%M")
        arrivals += [rome_now] * (len(smtp_server.messages) - before)
        clock.instant += timedelta(hours=1)
    return arrivals


@pytest.mark.parametrize(
    ("created", "due", "until", "expected"),
    [
        pytest.param(
            datetime(2025, 3, 18, 7, 0, tzinfo=UTC),
            date(2025, 3, 31),  # Monday after the switch to summer time (30/03)
            datetime(2025, 4, 3, 12, 0, tzinfo=UTC),
            [
                "Thu 20/03 08:00",
                "Thu 27/03 08:00",
                "Mon 31/03 08:00",
                "Tue 01/04 08:00",
                "Thu 03/04 08:00",
            ],
            id="dst-spring",
        ),
        pytest.param(
            datetime(2025, 10, 14, 7, 0, tzinfo=UTC),
            date(2025, 10, 27),  # Monday after the return to winter time (26/10)
            datetime(2025, 10, 29, 12, 0, tzinfo=UTC),
            ["Thu 16/10 08:00", "Thu 23/10 08:00", "Mon 27/10 08:00", "Tue 28/10 08:00"],
            id="dst-autumn",
        ),
        pytest.param(
            datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
            date(2026, 12, 9),  # after Sant'Ambrogio (Mon 7) and the Immacolata (Tue 8)
            datetime(2026, 12, 14, 12, 0, tzinfo=UTC),
            [
                "Thu 26/11 08:00",
                "Thu 03/12 08:00",
                "Wed 09/12 08:00",
                "Thu 10/12 08:00",
                "Mon 14/12 08:00",
            ],
            id="sant-ambrogio",
        ),
        pytest.param(
            datetime(2025, 4, 10, 7, 0, tzinfo=UTC),
            date(2025, 4, 24),  # Easter Monday 21/04 and Liberation Day 25/04 around it
            datetime(2025, 4, 30, 12, 0, tzinfo=UTC),
            [
                "Mon 14/04 08:00",
                "Tue 22/04 08:00",
                "Thu 24/04 08:00",
                "Mon 28/04 08:00",
                "Wed 30/04 08:00",
            ],
            id="easter-and-25-april",
        ),
    ],
)
def test_reminders_reach_the_server_at_08_00_rome_on_working_days(
    clock, direzione, with_address, smtp_server, created, due, until, expected
) -> None:
    clock.instant = created
    with_address(direzione)
    deadlines.create_deadline(title="Prova", due_date=due, actor=direzione, clock=clock)
    assert run_hourly(clock, smtp_server, until) == expected
