"""The registro giornaliero di protocollo (DPR 445/2000 art. 53; DPCM 3/12/2013 art. 7 c. 5):
produced for every day in CSV and PDF with their SHA-256, handed over to preservation by the next
working day, caught up after downtime, late ones on the Segretario Generale's desk."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from tests.conftest import login
from tests.threads import at_once
from workflow import scheduler
from workflow.acts import daily, registers
from workflow.acts.daily_models import DailyRegister, Handover
from workflow.audit import history
from workflow.audit.chain import iso_utc as audit_iso
from workflow.audit.models import AuditEvent
from workflow.config import ConfigurationError
from workflow.core.clock import ROME, FixedClock
from workflow.core.errors import Conflict, InvalidData, NotFound
from workflow.desk import sections
from workflow.extensions import db

FINGERPRINT = "e70b8a4a5733a1acf0093082d59ad6b87abac543ecfe980945afee782872c342"


def at(day: date, hour: int, minute: int = 0) -> FixedClock:
    """A clock at `hour`:`minute` of `day`, Europe/Rome."""
    return FixedClock(datetime.combine(day, time(hour, minute), ROME).astimezone(UTC))


def register_entry(day: date, hour: int, subject: str, fingerprint: str = "") -> int:
    _, number = registers.allocate(
        "protocollo", clock=at(day, hour), subject=subject, fingerprint=fingerprint
    )
    db.session.commit()
    return number


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def package(app, day: date) -> Path:
    return Path(app.config["CONSERVAZIONE_DIR"]) / daily.file_name("protocollo", day, "")


# ---- Production -------------------------------------------------------------------------------


def test_register_of_a_day_lists_its_entries_in_csv_and_pdf_with_their_hashes(app):
    day = date(2025, 2, 19)
    register_entry(date(2025, 2, 18), 23, "Il giorno prima")
    first = register_entry(day, 0, "Proposta di decreto: schema di Piano", FINGERPRINT)
    last = register_entry(day, 23, "APPROVAZIONE DELLO SCHEMA DI PIANO — città")
    register_entry(date(2025, 2, 20), 0, "Il giorno dopo")
    produced = daily.produce(day, clock=at(date(2025, 2, 20), 6), by=daily.JOB)

    assert (produced.entries, produced.first_number, produced.last_number) == (2, first, last)
    csv_bytes = daily.read_file(produced, ".csv")
    pdf_bytes = daily.read_file(produced, ".pdf")
    assert sha(csv_bytes) == produced.csv_sha256 and sha(pdf_bytes) == produced.pdf_sha256
    rows = csv_rows(csv_bytes)
    assert [row["numero"] for row in rows] == ["0000002", "0000003"]
    assert rows[0]["impronta"] == FINGERPRINT
    assert rows[1]["oggetto"] == "APPROVAZIONE DELLO SCHEMA DI PIANO — città"
    assert rows[1]["data_registrazione"] == "2025-02-19T23:00:00+01:00"
    # The CSV handed over is the one the live export gives for that day.
    assert csv_bytes.decode("utf-8") == registers.daily_register_csv(day)

    words = pdf_text(pdf_bytes)
    assert "Registro giornaliero di protocollo del 19/02/2025" in words
    assert "dal numero 0000002/2025 al numero 0000003/2025" in words
    assert "0000002" in words and "Proposta di decreto" in words
    assert "Prodotto il 20/02/2025 alle 06:00:00" in words
    assert produced.csv_sha256 in words.replace("\n", "")  # the PDF names the CSV it goes with
    assert "Il giorno dopo" not in words and "Il giorno prima" not in words

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "register.daily_produced")
    ).one()
    payload = json.loads(event.payload)
    assert event.object_id == "protocollo/2025-02-19"
    assert payload["csv_sha256"] == produced.csv_sha256
    assert payload["pdf_sha256"] == produced.pdf_sha256
    assert payload["by"] == daily.JOB
    assert "ha prodotto il registro giornaliero di protocollo del 19/02/2025 (2 registrazioni)" in (
        history.describe(event)
    )


def test_pdf_is_pdf_a_2b_with_the_embedded_font(app):
    produced = daily.produce(date(2025, 2, 19), clock=at(date(2025, 2, 20), 6))
    reader = PdfReader(io.BytesIO(daily.read_file(produced, ".pdf")))
    metadata = reader.xmp_metadata
    assert produced.pdf_a is True
    assert metadata is not None
    xmp = metadata.stream.get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B" in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_without_the_font_the_pdf_is_plain_and_says_so(app):
    app.config["PDF_FONT"] = "/nessun/font.ttf"
    register_entry(date(2025, 2, 19), 10, "Oggetto con € e “virgolette”")
    produced = daily.produce(date(2025, 2, 19), clock=at(date(2025, 2, 20), 6))
    assert produced.pdf_a is False
    words = pdf_text(daily.read_file(produced, ".pdf"))
    assert "Oggetto con ? e ?virgolette?" in words


def test_an_empty_day_still_gets_its_register(app):
    register_entry(date(2025, 2, 18), 10, "Un altro giorno")
    produced = daily.produce(date(2025, 2, 22), clock=at(date(2025, 2, 24), 6))
    assert (produced.entries, produced.first_number, produced.last_number) == (0, None, None)
    assert csv_rows(daily.read_file(produced, ".csv")) == []
    assert daily.read_file(produced, ".csv").decode("utf-8").startswith("numero,anno,")
    words = pdf_text(daily.read_file(produced, ".pdf"))
    assert "Nessuna registrazione in questo giorno." in words


def test_a_day_not_yet_over_is_refused(app):
    with pytest.raises(InvalidData, match="a giornata conclusa"):
        daily.produce(date(2025, 2, 20), clock=at(date(2025, 2, 20), 23, 59))
    assert db.session.scalar(select(func.count()).select_from(DailyRegister)) == 0


def test_producing_and_handing_over_again_changes_nothing(app):
    register_entry(date(2025, 2, 19), 10, "Prima")
    first = daily.produce(date(2025, 2, 19), clock=at(date(2025, 2, 20), 6))
    handover = daily.hand_over(date(2025, 2, 19), clock=at(date(2025, 2, 20), 6))
    # An entry cannot be registered on a past day: a later one goes to its own day's register.
    register_entry(date(2025, 2, 20), 9, "Dopo")
    again = daily.produce(date(2025, 2, 19), clock=at(date(2025, 2, 21), 6))
    assert again.id == first.id and again.csv_sha256 == first.csv_sha256
    assert daily.hand_over(date(2025, 2, 19), clock=at(date(2025, 2, 21), 6)).id == handover.id
    actions = list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "daily_register")
        )
    )
    assert actions == ["register.daily_produced", "register.daily_handed_over"]


def test_daily_registers_and_hand_overs_are_append_only_in_the_database(app):
    daily.produce_and_hand_over(date(2025, 2, 19), clock=at(date(2025, 2, 20), 6))
    for statement in (
        "UPDATE daily_registers SET entries = 5",
        "DELETE FROM daily_registers",
        "UPDATE daily_register_handovers SET target = 'altrove'",
        "DELETE FROM daily_register_handovers",
    ):
        with pytest.raises(Exception, match="sola aggiunta"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(DailyRegister.entries)) == 0


# ---- Hand-over --------------------------------------------------------------------------------


def test_hand_over_writes_the_package_with_its_manifest(app):
    day = date(2025, 2, 19)
    register_entry(day, 10, "Prima")
    produced = daily.produce(day, clock=at(date(2025, 2, 20), 6))
    handover = daily.hand_over(day, clock=at(date(2025, 2, 20), 6, 5))

    folder = package(app, day)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "manifest.json",
        "registro-giornaliero-protocollo-2025-02-19.csv",
        "registro-giornaliero-protocollo-2025-02-19.pdf",
    ]  # no temporary file left behind
    manifest_bytes = (folder / "manifest.json").read_bytes()
    assert handover.manifest_sha256 == sha(manifest_bytes)
    assert handover.target == str(folder)
    manifest = json.loads(manifest_bytes)
    assert manifest["giorno"] == "2025-02-19"
    assert manifest["registrazioni"] == 1 and manifest["primo_numero"] == "0000001/2025"
    assert manifest["prodotto_il"] == "2025-02-20T05:00:00.000000Z"
    assert manifest["consegnato_il"] == "2025-02-20T05:05:00.000000Z"
    for item in manifest["file"]:
        content = (folder / item["nome"]).read_bytes()
        assert item["sha256"] == sha(content) and item["byte"] == len(content)
    assert {item["sha256"] for item in manifest["file"]} == {
        produced.csv_sha256,
        produced.pdf_sha256,
    }
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "register.daily_handed_over")
    ).one()
    assert json.loads(event.payload)["manifest_sha256"] == handover.manifest_sha256


def test_a_crash_while_writing_leaves_no_manifest_and_no_record(app, monkeypatch):
    day = date(2025, 2, 19)
    daily.produce(day, clock=at(date(2025, 2, 20), 6))
    real_replace = os.replace

    def failing_replace(source, target):
        if str(target).endswith("manifest.json"):
            raise OSError("disco pieno")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disco pieno"):
        daily.hand_over(day, clock=at(date(2025, 2, 20), 6))
    folder = package(app, day)
    assert not (folder / "manifest.json").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # temporary file removed
    assert db.session.scalar(select(func.count()).select_from(Handover)) == 0
    monkeypatch.setattr(os, "replace", real_replace)
    daily.hand_over(day, clock=at(date(2025, 2, 20), 7))
    assert (folder / "manifest.json").is_file()


def test_a_package_written_before_a_failed_commit_is_taken_as_it_is(app, monkeypatch):
    day = date(2025, 2, 19)
    daily.produce(day, clock=at(date(2025, 2, 20), 6))
    real_record = daily.audit.record

    def failing_record(**kwargs):
        raise RuntimeError("connessione persa")

    monkeypatch.setattr(daily.audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        daily.hand_over(day, clock=at(date(2025, 2, 20), 6))
    monkeypatch.setattr(daily.audit, "record", real_record)
    written = (package(app, day) / "manifest.json").read_bytes()
    handover = daily.hand_over(day, clock=at(date(2025, 2, 20), 7))
    assert handover.manifest_sha256 == sha(written)
    assert (package(app, day) / "manifest.json").read_bytes() == written


def test_a_different_package_in_place_is_a_conflict_never_overwritten(app):
    day = date(2025, 2, 19)
    daily.produce(day, clock=at(date(2025, 2, 20), 6))
    folder = package(app, day)
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"file": []}')
    with pytest.raises(Conflict, match="pacchetto diverso"):
        daily.hand_over(day, clock=at(date(2025, 2, 20), 6))
    assert (folder / "manifest.json").read_text() == '{"file": []}'
    with pytest.raises(NotFound):
        daily.hand_over(date(2025, 2, 18), clock=at(date(2025, 2, 20), 6))


# ---- Deadline, job and catch-up ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2025, 11, 27), date(2025, 11, 28)),  # Thursday → Friday
        (date(2025, 11, 28), date(2025, 12, 1)),  # Friday → Monday
        (date(2025, 11, 29), date(2025, 12, 1)),  # Saturday → Monday
        (date(2025, 12, 5), date(2025, 12, 9)),  # Friday; Sant'Ambrogio (Sun), Immacolata (Mon)
        (date(2025, 12, 24), date(2025, 12, 29)),  # Christmas and Santo Stefano, then weekend
    ],
)
def test_deadline_is_the_next_working_day(day, due):
    assert daily.due_date(day) == due


def test_friday_register_handed_over_on_monday_is_on_time(app):
    register_entry(date(2025, 11, 28), 11, "Venerdì")
    report = daily.catch_up(clock=at(date(2025, 12, 1), 6))
    weekend = [date(2025, 11, 28), date(2025, 11, 29), date(2025, 11, 30)]
    assert report.produced == weekend and report.handed_over == weekend
    assert report.failed == []
    states = {s.day: s for s in daily.statuses(date(2025, 12, 1))}
    assert [states[d].state for d in weekend] == [daily.HANDED_OVER] * 3
    assert [states[d].register.entries for d in weekend] == [1, 0, 0]


def test_a_holiday_moves_the_deadline_and_lateness_counts_from_it(app, make_user):
    segretario = make_user("segretario_generale")
    register_entry(date(2025, 12, 5), 11, "Venerdì prima dell'Immacolata")
    app.config["REGISTRO_GIORNALIERO_DAL"] = "2025-12-05"
    # Tuesday 9: the Friday's register is due today (7 and 8 December are holidays): not late.
    friday = daily.statuses(date(2025, 12, 9))[-1]
    assert (friday.day, friday.state, friday.due) == (
        date(2025, 12, 5),
        daily.PENDING,
        date(2025, 12, 9),
    )
    assert daily.late(date(2025, 12, 9)) == []
    # Wednesday 10, the scheduler was down: late by one day, on the Segretario's desk.
    clock = at(date(2025, 12, 10), 9)
    late = sections.daily_registers_late(desk_context(segretario, clock))
    assert [(s.day, s.days_late) for s in late.items] == [
        (date(2025, 12, 5), 1),
        (date(2025, 12, 6), 1),
        (date(2025, 12, 7), 1),
        (date(2025, 12, 8), 1),
    ]
    daily.catch_up(clock=clock)
    friday = {s.day: s for s in daily.statuses(date(2025, 12, 10))}[date(2025, 12, 5)]
    assert (friday.state, friday.days_late) == (daily.HANDED_OVER_LATE, 1)
    assert sections.daily_registers_late(desk_context(segretario, clock)).items == []


def test_christmas_register_handed_over_on_the_29th_is_on_time(app):
    register_entry(date(2025, 12, 24), 11, "Vigilia")
    daily.catch_up(clock=at(date(2025, 12, 29), 6))
    christmas_eve = {s.day: s for s in daily.statuses(date(2025, 12, 29))}[date(2025, 12, 24)]
    assert (christmas_eve.state, christmas_eve.due) == (daily.HANDED_OVER, date(2025, 12, 29))


def test_catch_up_after_several_missed_days_produces_every_day_once(app):
    register_entry(date(2025, 3, 3), 9, "Lunedì")
    register_entry(date(2025, 3, 5), 9, "Mercoledì")
    register_entry(date(2025, 3, 5), 10, "Mercoledì, seconda")
    clock = at(date(2025, 3, 11), 6)
    report = daily.catch_up(clock=clock)
    days = [date(2025, 3, d) for d in range(3, 11)]
    assert report.produced == days and report.handed_over == days
    counts = dict(db.session.execute(select(DailyRegister.day, DailyRegister.entries)).all())
    assert counts == {d: {3: 1, 5: 2}.get(d.day, 0) for d in days}
    assert daily.catch_up(clock=clock).produced == []  # a second run (another scheduler) finds none
    assert db.session.scalar(select(func.count()).select_from(Handover)) == len(days)


def test_catch_up_starts_from_the_configured_day(app):
    register_entry(date(2025, 3, 3), 9, "Lunedì")
    app.config["REGISTRO_GIORNALIERO_DAL"] = "2025-03-09"
    report = daily.catch_up(clock=at(date(2025, 3, 11), 6))
    assert report.produced == [date(2025, 3, 9), date(2025, 3, 10)]


def test_a_malformed_start_day_is_named_in_the_error(app):
    app.config["REGISTRO_GIORNALIERO_DAL"] = "09/03/2025"
    with pytest.raises(ConfigurationError, match="REGISTRO_GIORNALIERO_DAL non valido"):
        daily.catch_up(clock=at(date(2025, 3, 11), 6))


def test_a_failing_hand_over_is_reported_and_retried_by_the_next_run(app, tmp_path):
    register_entry(date(2025, 3, 3), 9, "Lunedì")
    blocker = tmp_path / "non-una-cartella"
    blocker.write_text("un file")
    app.config["CONSERVAZIONE_DIR"] = str(blocker)
    report = daily.catch_up(clock=at(date(2025, 3, 5), 6))
    assert report.produced == [date(2025, 3, 3), date(2025, 3, 4)]
    assert [day for day, _ in report.failed] == [date(2025, 3, 3), date(2025, 3, 4)]
    assert db.session.scalar(select(func.count()).select_from(Handover)) == 0
    app.config["CONSERVAZIONE_DIR"] = str(tmp_path / "conservazione-bis")
    report = daily.catch_up(clock=at(date(2025, 3, 5), 7))
    assert report.produced == [] and report.handed_over == [date(2025, 3, 3), date(2025, 3, 4)]


def test_the_scheduler_job_runs_the_catch_up(app, clock):
    register_entry(date(2025, 6, 30), 9, "Ieri")  # the tests' clock is 01/07/2025 10:00
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler.configure(app, BackgroundScheduler())
    scheduler.daily_register_job()
    assert db.session.scalar(select(func.count()).select_from(Handover)) == 1


def test_cli_produces_one_day_or_catches_up(app, clock):
    register_entry(date(2025, 6, 27), 9, "Venerdì")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["protocollo", "giornaliero", "--giorno", "2025-06-27"])
    assert result.exit_code == 0, result.output
    assert "Registro del 27/06/2025: 1 registrazioni" in result.output
    result = runner.invoke(args=["protocollo", "giornaliero"])
    assert result.exit_code == 0, result.output
    assert "Registri prodotti: 3; consegnati in conservazione: 3." in result.output
    result = runner.invoke(args=["protocollo", "giornaliero", "--giorno", "2025-07-01"])
    assert result.exit_code == 1 and "a giornata conclusa" in result.output
    for day in ("9999-12-31", "0001-01-01"):  # an Italian error, not a traceback
        result = runner.invoke(args=["protocollo", "giornaliero", "--giorno", day])
        assert result.exit_code == 1 and "fuori dall'intervallo ammesso" in result.output


# ---- Pages ------------------------------------------------------------------------------------


def desk_context(user, clock) -> sections.DeskContext:
    today = clock.now().astimezone(ROME).date()
    return sections.DeskContext(user, clock, today, [], sections.Reader(today))


def test_late_register_shows_on_the_segretario_desk_only(app, client, clock, make_user):
    make_user("segretario_generale", username="segretario")
    make_user("direzione_generale", username="direzione")
    register_entry(date(2025, 6, 26), 9, "Giovedì")  # due Friday 27: late by 4 days on 01/07
    daily.produce(date(2025, 6, 26), clock=clock)
    login(client, "segretario")
    page = client.get("/").get_data(as_text=True)
    assert "Registro giornaliero di protocollo: consegne in ritardo" in page
    assert "Registro del 26/06/2025: prodotto, non consegnato" in page
    assert "in ritardo di 4 giorni" in page
    other = app.test_client()
    login(other, "direzione")
    assert "consegne in ritardo" not in other.get("/").get_data(as_text=True)


def test_staff_page_lists_registers_with_downloads_and_hand_over(app, client, clock, make_user):
    make_user("albo", username="ufficio_albo")
    make_user("dirigente", username="dirigente")
    register_entry(date(2025, 6, 27), 9, "Venerdì")
    daily.catch_up(clock=at(date(2025, 6, 30), 6))  # up to Sunday 29, on time
    produced = daily.get(date(2025, 6, 27))
    login(client, "ufficio_albo")
    page = client.get("/protocollo/registro-giornaliero").get_data(as_text=True)
    assert "27/06/2025" in page and "dal n. 0000001/2025 al n. 0000001/2025" in page
    assert "Consegnato il" in page and produced.csv_sha256 in page
    assert "non ancora prodotto" in page and "Da consegnare" in page  # the 30th: due 01/07
    csv_response = client.get("/protocollo/registro-giornaliero/2025-06-27.csv")
    assert csv_response.status_code == 200
    assert sha(csv_response.data) == produced.csv_sha256
    assert csv_response.headers["X-Impronta-SHA256"] == produced.csv_sha256
    pdf_response = client.get("/protocollo/registro-giornaliero/2025-06-27.pdf")
    assert pdf_response.mimetype == "application/pdf"
    assert sha(pdf_response.data) == produced.pdf_sha256
    assert client.get("/protocollo/registro-giornaliero/2025-06-30.pdf").status_code == 404
    assert client.get("/protocollo/registro-giornaliero/2025-13-45.pdf").status_code == 404
    assert client.get("/protocollo/registro-giornaliero/2025-06-27.exe").status_code == 404
    other = app.test_client()
    login(other, "dirigente")
    assert other.get("/protocollo/registro-giornaliero").status_code == 403


class TickingClock:
    """Each reading one second later than the previous one: two callers never share an instant."""

    def __init__(self, start: datetime) -> None:
        self.start, self.ticks = start, itertools.count()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=next(self.ticks))


def test_two_hand_overs_at_once_record_the_manifest_left_in_the_folder(app):
    """Two schedulers (or the job and the CLI) hand the same day over together: one record,
    and the manifest in the folder is the one recorded, never rewritten by the second."""
    day = date(2025, 2, 19)
    daily.produce(day, clock=at(date(2025, 2, 20), 6))
    clock = TickingClock(datetime(2025, 2, 20, 5, 30, tzinfo=UTC))
    assert at_once(app, lambda: daily.hand_over(day, clock=clock), 2) == []
    handover = db.session.scalars(select(Handover)).one()
    manifest = (package(app, day) / "manifest.json").read_bytes()
    assert handover.manifest_sha256 == sha(manifest)
    assert json.loads(manifest)["consegnato_il"] == audit_iso(handover.handed_over_at)
