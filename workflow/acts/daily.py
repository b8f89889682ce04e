"""The registro giornaliero di protocollo: produced for each past day, handed over to preservation.

- DPR 445/2000 art. 53; DPCM 3/12/2013 (protocollo informatico) art. 7 c. 5: the daily register
  of the protocol entries is transmitted to the preservation system by the end of the working
  day after the day it lists; AgID Linee guida 2021. Its deadline here is `due_date(day)`: the
  next working day after `day` (workflow/core/calendar.py: weekends, Italian holidays and
  Sant'Ambrogio excluded), whatever day of the week `day` itself was.
- The register of day D lists every protocol entry registered on D, the Europe/Rome calendar day
  (registers.entries_of_day); a day with none still gets its register, saying so.
- Produced once per day (UNIQUE register, day): asking again returns the register already
  produced, never a second version, so what was handed over is what the office holds. Its CSV and
  PDF are kept in a content-addressed store (REGISTRI_GIORNALIERI_DIR) by their SHA-256.
- Handed over once: a package folder in CONSERVAZIONE_DIR with both files and a manifest.json
  (files, SHA-256, day, produced_at), each file written atomically, the manifest last, so a
  package with a manifest is complete. A package already there with the same files (the previous
  run wrote it and stopped before its commit) is taken as the hand-over; a different one is a
  conflict for a person to look at, never overwritten.
- `catch_up` is the scheduler's job: every day owed since the first protocol entry (or since
  REGISTRO_GIORNALIERO_DAL) and not yet produced or handed over, however long the downtime was.
Every production and hand-over writes its audit event.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from workflow.access.roles import SYSTEM
from workflow.acts import daily_pdf
from workflow.acts.daily_models import DailyRegister, Handover
from workflow.acts.register_models import PROTOCOLLO, REGISTER_LABELS, RegisterEntry
from workflow.acts.registers import daily_csv, entries_of_day, label
from workflow.audit import chain as audit
from workflow.config import ConfigurationError
from workflow.core.calendar import add_working_days
from workflow.core.clock import ROME, Clock, as_utc, format_date, rome_today
from workflow.core.errors import Conflict, DomainError, InvalidData, NotFound
from workflow.core.files import FileStore, StoredFileError, sha256_hex, write_atomically
from workflow.core.transaction import operation
from workflow.extensions import db

log = logging.getLogger(__name__)

JOB = "registro-giornaliero"  # the scheduler's job id, recorded as who produced and handed over
CLI = "riga di comando"
# How the staff page names who produced or handed over a register (never the job id).
BY_LABELS = {JOB: "servizio automatico", CLI: "comando sul server"}
MANIFEST = "manifest.json"
CSV_TYPE, PDF_TYPE = "text/csv", "application/pdf"

# Where a register stands against its deadline (shown on the staff page and the desk).
HANDED_OVER = "consegnato"
HANDED_OVER_LATE = "consegnato in ritardo"
PENDING = "da consegnare"
LATE = "in ritardo"


def due_date(day: date) -> date:
    """The day by which the register of `day` must reach preservation: the next working day
    after `day` (DPCM 3/12/2013 art. 7 c. 5). Friday's is due on Monday; 24 December's (a
    Wednesday in 2025) on Monday 29, past Christmas and Santo Stefano."""
    return add_working_days(day, 1)


def stores() -> tuple[FileStore, FileStore]:
    """The stores of the daily registers' CSV and PDF files (one root, two suffixes)."""
    root = Path(current_app.config["REGISTRI_GIORNALIERI_DIR"])
    return FileStore(root, ".csv"), FileStore(root, ".pdf")


def file_name(register: str, day: date, suffix: str) -> str:
    """The name a daily register's file is downloaded and handed over as."""
    return f"registro-giornaliero-{register}-{day.isoformat()}{suffix}"


def get(day: date, register: str = PROTOCOLLO, *, lock: bool = False) -> DailyRegister | None:
    """The register produced for `day`, or None. `lock`: row-locked until the commit (FOR UPDATE
    on PostgreSQL; SQLite's write transactions are serialised whole) and read afresh."""
    query = select(DailyRegister).where(
        DailyRegister.register == register, DailyRegister.day == day
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def read_file(daily: DailyRegister, suffix: str) -> bytes:
    """The stored CSV (".csv") or PDF (".pdf") of a daily register, checked against its SHA-256.
    Raises StoredFileError when the file is missing or altered (a damaged archive: a 500)."""
    csv_store, pdf_store = stores()
    if suffix == ".csv":
        return csv_store.read(daily.csv_sha256)
    return pdf_store.read(daily.pdf_sha256)


# ---- Production -------------------------------------------------------------------------------


@operation
def produce(day: date, *, clock: Clock, by: str = CLI, register: str = PROTOCOLLO) -> DailyRegister:
    """Produce the daily register of `day` (Europe/Rome) in CSV and PDF, store both files and
    record them with the audit event "register.daily_produced"; `by` says who asked (the
    scheduler's job id, or "riga di comando"). Idempotent: the register already produced for
    that day is returned as it is (see the module docstring for why never a second version).

    Raises InvalidData for a day not yet over (today or later: its entries may still come).
    """
    existing = get(day, register)
    if existing is not None:
        return existing
    today = rome_today(clock)
    if day >= today:
        raise InvalidData(
            f"Il registro giornaliero del {format_date(day)} si produce a giornata conclusa, "
            f"dal {format_date(day + timedelta(days=1))}."
        )
    entries = entries_of_day(register, day)
    produced_at = as_utc(clock.now())
    csv_bytes = daily_csv(entries).encode("utf-8")
    csv_sha = sha256_hex(csv_bytes)
    numbers = [entry.number for entry in entries]
    first, last = (min(numbers), max(numbers)) if numbers else (None, None)
    summary = daily_pdf.Summary(
        day=day,
        produced_at=produced_at,
        entries=len(entries),
        first=None if first is None else label(register, day.year, first),
        last=None if last is None else label(register, day.year, last),
        csv_sha256=csv_sha,
    )
    rendered = daily_pdf.render(summary, entries, current_app.config["PDF_FONT"])
    csv_store, pdf_store = stores()
    # Files first: one left by a rolled-back transaction is named by its content, harmless.
    csv_store.put(csv_bytes)
    pdf_sha = pdf_store.put(rendered.content)
    daily = DailyRegister(
        register=register,
        day=day,
        produced_at=produced_at,
        entries=len(entries),
        year=day.year,
        first_number=first,
        last_number=last,
        csv_sha256=csv_sha,
        pdf_sha256=pdf_sha,
        pdf_a=rendered.pdf_a,
        produced_by=by,
    )
    db.session.add(daily)
    db.session.flush()
    audit.record(
        actor=None,
        role=SYSTEM,
        object_type="daily_register",
        object_id=f"{register}/{day.isoformat()}",
        action="register.daily_produced",
        payload={
            "register": register,
            "day": day.isoformat(),
            "year": daily.year,
            "produced_at": audit.iso_utc(produced_at),
            "entries": daily.entries,
            "first_number": first,
            "last_number": last,
            "csv_sha256": csv_sha,
            "pdf_sha256": pdf_sha,
            "pdf_a": rendered.pdf_a,
            "by": by,
        },
        clock=clock,
    )
    return daily


# ---- Hand-over to preservation ----------------------------------------------------------------


@operation
def hand_over(day: date, *, clock: Clock, by: str = CLI, register: str = PROTOCOLLO) -> Handover:
    """Hand the register of `day` over to preservation: its package folder in CONSERVAZIONE_DIR
    (CSV, PDF, then manifest.json, each written atomically) and the record of it, with the audit
    event "register.daily_handed_over". Idempotent: a register handed over returns its record.

    Raises NotFound when the day's register was not produced; Conflict when the folder already
    holds a different package for that day; StoredFileError when the stored files are damaged;
    OSError when the folder cannot be written (nothing is recorded then: the next run retries).
    """
    # Locked: of two hand-overs at once the second waits, then finds the first's record, and
    # never rewrites the manifest the first one recorded.
    daily = get(day, register, lock=True)
    if daily is None:
        raise NotFound(f"Il registro giornaliero del {format_date(day)} non è stato prodotto.")
    if daily.handover is not None:
        return daily.handover
    now = as_utc(clock.now())
    folder = Path(current_app.config["CONSERVAZIONE_DIR"]) / file_name(register, day, "")
    manifest = _package(daily, folder, now)
    handover = Handover(
        daily_register=daily,  # so `daily.handover` is this row at once, in this session too
        handed_over_at=now,
        target=str(folder),
        manifest_sha256=sha256_hex(manifest),
        csv_sha256=daily.csv_sha256,
        pdf_sha256=daily.pdf_sha256,
        handed_over_by=by,
    )
    db.session.add(handover)
    db.session.flush()
    due = due_date(day)
    audit.record(
        actor=None,
        role=SYSTEM,
        object_type="daily_register",
        object_id=f"{register}/{day.isoformat()}",
        action="register.daily_handed_over",
        payload={
            "register": register,
            "day": day.isoformat(),
            "handed_over_at": audit.iso_utc(now),
            "target": str(folder),
            "manifest_sha256": handover.manifest_sha256,
            "csv_sha256": daily.csv_sha256,
            "pdf_sha256": daily.pdf_sha256,
            "due": due.isoformat(),
            "days_late": max(0, (now.astimezone(ROME).date() - due).days),
            "by": by,
        },
        clock=clock,
    )
    return handover


def manifest_of(daily: DailyRegister, handed_over_at: datetime) -> dict[str, Any]:
    """The manifest of a hand-over package: what the register is, its files with their SHA-256
    and size, the day it lists, when it was produced and handed over (ISO-8601, UTC)."""
    register = daily.register
    files = []
    for suffix, media_type, digest in (
        (".csv", CSV_TYPE, daily.csv_sha256),
        (".pdf", PDF_TYPE, daily.pdf_sha256),
    ):
        files.append(
            {
                "nome": file_name(register, daily.day, suffix),
                "formato": media_type,
                "sha256": digest,
                "byte": len(read_file(daily, suffix)),
            }
        )
    files[1]["pdf_a"] = daily.pdf_a
    return {
        "documento": "Registro giornaliero di protocollo",
        "ente": daily_pdf.ENTE,
        "registro": REGISTER_LABELS[register],
        "giorno": daily.day.isoformat(),
        "anno": daily.year,
        "registrazioni": daily.entries,
        "primo_numero": _number(daily, daily.first_number),
        "ultimo_numero": _number(daily, daily.last_number),
        "prodotto_il": audit.iso_utc(daily.produced_at),
        "consegnato_il": audit.iso_utc(handed_over_at),
        "riferimenti": daily_pdf.LEGAL_BASIS,
        "file": files,
    }


def _number(daily: DailyRegister, number: int | None) -> str | None:
    return None if number is None else label(daily.register, daily.year, number)


def _package(daily: DailyRegister, folder: Path, now: datetime) -> bytes:
    """Write the package into `folder` (see hand_over) and return the manifest's bytes."""
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        return _already_there(daily, folder, manifest_path)
    for suffix in (".csv", ".pdf"):
        write_atomically(
            folder / file_name(daily.register, daily.day, suffix), read_file(daily, suffix)
        )
    manifest = json.dumps(manifest_of(daily, now), ensure_ascii=False, indent=2).encode("utf-8")
    write_atomically(manifest_path, manifest)  # last: a package with a manifest is complete
    return manifest


def _already_there(daily: DailyRegister, folder: Path, manifest_path: Path) -> bytes:
    """A package found in place: ours (same files, same SHA-256) or a conflict."""
    manifest = manifest_path.read_bytes()
    try:
        listed = {item["nome"]: item["sha256"] for item in json.loads(manifest)["file"]}
    except (ValueError, KeyError, TypeError):
        listed = {}
    ours = {
        file_name(daily.register, daily.day, ".csv"): daily.csv_sha256,
        file_name(daily.register, daily.day, ".pdf"): daily.pdf_sha256,
    }
    intact = listed == ours and all(
        (folder / name).is_file() and sha256_hex((folder / name).read_bytes()) == digest
        for name, digest in ours.items()
    )
    if not intact:
        raise Conflict(
            f"La cartella di conservazione {folder} contiene già un pacchetto diverso per il "
            f"{format_date(daily.day)}: va esaminato prima di consegnare di nuovo."
        )
    return manifest


# ---- The days owed, and where each stands -----------------------------------------------------


def first_day(register: str = PROTOCOLLO) -> date | None:
    """The first day whose register is owed: REGISTRO_GIORNALIERO_DAL (YYYY-MM-DD) when set,
    else the Europe/Rome day of the register's first entry; None when neither exists.
    Raises ConfigurationError for a setting that is not a date (a fault of the server's setup)."""
    configured = current_app.config.get("REGISTRO_GIORNALIERO_DAL") or ""
    if configured:
        try:
            return date.fromisoformat(configured)
        except ValueError:
            raise ConfigurationError(
                f"REGISTRO_GIORNALIERO_DAL non valido: «{configured}» (atteso AAAA-MM-GG)."
            ) from None
    first = db.session.scalar(
        select(func.min(RegisterEntry.registered_at)).where(RegisterEntry.register == register)
    )
    return None if first is None else as_utc(first).astimezone(ROME).date()


def owed_days(today: date, register: str = PROTOCOLLO) -> list[date]:
    """Every day from first_day up to yesterday (Europe/Rome): each one owes a register."""
    start = first_day(register)
    if start is None or start >= today:
        return []
    return [start + timedelta(days=n) for n in range((today - start).days)]


@dataclass(frozen=True)
class DayStatus:
    """A day's register against its deadline: `register` None when not yet produced;
    `days_late` in calendar days past `due` (to the hand-over, or to today if still missing)."""

    day: date
    due: date
    register: DailyRegister | None
    state: str
    days_late: int

    @property
    def handover(self) -> Handover | None:
        return self.register.handover if self.register is not None else None


def status_of(day: date, daily: DailyRegister | None, today: date) -> DayStatus:
    """Where the register of `day` stands on `today` (see the states at the top)."""
    due = due_date(day)
    handover = daily.handover if daily is not None else None
    if handover is not None:
        on = as_utc(handover.handed_over_at).astimezone(ROME).date()
        late = max(0, (on - due).days)
        return DayStatus(day, due, daily, HANDED_OVER_LATE if late else HANDED_OVER, late)
    if today > due:
        return DayStatus(day, due, daily, LATE, (today - due).days)
    return DayStatus(day, due, daily, PENDING, 0)


def statuses(today: date, register: str = PROTOCOLLO) -> list[DayStatus]:
    """Every owed day and every day produced, newest first, each with its status (two queries:
    the registers with their hand-overs; the first entry)."""
    produced = {
        d.day: d
        for d in db.session.scalars(select(DailyRegister).where(DailyRegister.register == register))
    }
    days = sorted(set(owed_days(today, register)) | set(produced), reverse=True)
    return [status_of(day, produced.get(day), today) for day in days]


def late(today: date, register: str = PROTOCOLLO) -> list[DayStatus]:
    """The days whose register is past its deadline and not handed over, oldest first. Reads
    the days handed over (one column), then the registers of the late days only: the desk
    asks this on every visit, and years of registers need not be loaded for it."""
    handed_over = set(
        db.session.scalars(
            select(DailyRegister.day)
            .join(Handover, Handover.daily_register_id == DailyRegister.id)
            .where(DailyRegister.register == register)
        )
    )
    days = [
        day
        for day in owed_days(today, register)
        if day not in handed_over and due_date(day) < today
    ]
    produced: dict[date, DailyRegister] = {}
    if days:
        produced = {
            d.day: d
            for d in db.session.scalars(
                select(DailyRegister).where(
                    DailyRegister.register == register,
                    DailyRegister.day.between(days[0], days[-1]),
                )
            )
        }
    return [status_of(day, produced.get(day), today) for day in days]


# ---- The scheduler's catch-up -----------------------------------------------------------------


@dataclass
class CatchUp:
    """What one run did: the days produced and handed over, and the days that failed, why."""

    produced: list[date] = field(default_factory=list)
    handed_over: list[date] = field(default_factory=list)
    failed: list[tuple[date, str]] = field(default_factory=list)


def catch_up(*, clock: Clock, by: str = JOB, register: str = PROTOCOLLO) -> CatchUp:
    """Produce and hand over the register of every owed day not yet done, oldest first, each in
    its own transaction (what the scheduler runs every morning and at start-up, so a downtime of
    any length is made good). A day that fails (the folder unwritable, a package in conflict, a
    damaged file) is logged and reported, and the others go on; the next run retries it."""
    report = CatchUp()
    today = rome_today(clock)
    for status in sorted(statuses(today, register), key=lambda s: s.day):
        if status.handover is not None:
            continue
        try:
            if status.register is None:
                produce(status.day, clock=clock, by=by, register=register)
                report.produced.append(status.day)
            hand_over(status.day, clock=clock, by=by, register=register)
            report.handed_over.append(status.day)
        except (DomainError, OSError, StoredFileError) as error:
            message = getattr(error, "message", None) or str(error)
            log.error("registro giornaliero del %s: %s", status.day.isoformat(), message)
            report.failed.append((status.day, message))
    return report


def produce_and_hand_over(
    day: date, *, clock: Clock, by: str = CLI, register: str = PROTOCOLLO
) -> tuple[DailyRegister, Handover]:
    """`flask protocollo giornaliero --giorno`: produce the register of one day (or take the one
    produced) and hand it over. Raises what produce and hand_over raise."""
    daily = produce(day, clock=clock, by=by, register=register)
    return daily, hand_over(day, clock=clock, by=by, register=register)


def describe(report: CatchUp) -> list[str]:
    """A run's report in Italian, one line per fact (for the CLI and the scheduler's log)."""
    lines = [
        f"Registri prodotti: {len(report.produced)}; consegnati in conservazione: "
        f"{len(report.handed_over)}."
    ]
    lines += [f"Errore per il {format_date(day)}: {message}" for day, message in report.failed]
    return lines
