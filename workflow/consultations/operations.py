"""Consultations on a draft plan: open the window, register the contributions received, read how
complete it is, close it (the adoption cites the outcome), and remind only those still missing.

A contribution received after the deadline is registered all the same and marked late: the office
decides what weight to give it, the register never refuses a document it received.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.access.roles import DIREZIONE_GENERALE, SYSTEM
from workflow.acts import registers
from workflow.acts.register_models import PROTOCOLLO
from workflow.audit import chain as audit
from workflow.consultations import territory_data as territory
from workflow.consultations.models import (
    CHANNELS,
    COMUNE,
    FORUM,
    UNIONE,
    Body,
    Consultation,
    Contribution,
    Invitation,
)
from workflow.consultations.themes import THEMES
from workflow.core.calendar import add_working_days, local_instant, roll_forward
from workflow.core.clock import ROME, Clock, as_utc, format_instant, rome_today
from workflow.core.errors import Conflict, InvalidData, NotFound, StaleVersion, TooLarge
from workflow.core.transaction import operation
from workflow.deadlines import operations as deadlines
from workflow.extensions import db
from workflow.mail import outbox as mail
from workflow.procedures import operations as procedures

MANAGERS = OPERATIONS["consultation.manage"]
REGISTRARS = OPERATIONS["contribution.register"]
FORUM_GROUP = "forum"
UNION_GROUP = "unioni"
# A stored name: letters, digits, spaces and a few marks, ending in .pdf; nothing that a file
# system or a shell could read as a path, a device or an option.
_SAFE_NAME = re.compile(r"^[\w][\w .,'()\-]{0,195}\.pdf$", re.IGNORECASE)


# --- Reading ---------------------------------------------------------------------------------


def _fresh(query) -> Consultation | None:
    # The session keeps objects across commits (expire_on_commit=False): read the row and its
    # contributions afresh, or a caller would count from a list loaded before the last commit.
    consultation = db.session.scalar(query.execution_options(populate_existing=True))
    if consultation is not None:
        db.session.expire(consultation, ["contributions", "invitations"])
    return consultation


def get(consultation_id: int, *, lock: bool = False) -> Consultation:
    """The consultation; `lock` holds its row until commit, so a registration and the closing of
    the window never interleave (on SQLite the write lock already serialises them)."""
    query = select(Consultation).where(Consultation.id == consultation_id)
    consultation = _fresh(query.with_for_update() if lock else query)
    if consultation is None:
        raise NotFound(f"Consultazione {consultation_id} non trovata.")
    return consultation


def for_procedure(procedure_id: int) -> Consultation | None:
    return _fresh(select(Consultation).where(Consultation.procedure_id == procedure_id))


def effective_deadline(consultation: Consultation) -> date:
    """The last day on time: the stated deadline, moved off a holiday (c.p.c. art. 155)."""
    return roll_forward(consultation.deadline)


def is_late(consultation: Consultation, received_at: datetime) -> bool:
    """Late when received after the end of the deadline day in Europe/Rome (23:59:59 is on time,
    00:00 of the next day is late), whatever the server's zone or the DST offset."""
    return as_utc(received_at).astimezone(ROME).date() > effective_deadline(consultation)


@dataclass
class Group:
    """Completeness of one group of invited bodies (a Zona omogenea, Milano, the Forum…)."""

    code: str
    label: str
    invited: int = 0
    answered: int = 0
    late: int = 0
    missing: list[Body] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0

    @property
    def complete(self) -> bool:
        return self.invited > 0 and self.answered == self.invited


@dataclass
class Status:
    consultation: Consultation
    total: Group
    groups: list[Group]
    by_theme: list[tuple[str, str, list[Contribution]]]
    missing: list[Body]


def _group_of(body: Body) -> tuple[str, str]:
    if body.kind == COMUNE:
        return body.zone or "", territory.ZONE_LABELS.get(body.zone or "", body.zone or "")
    if body.kind == FORUM:
        return FORUM_GROUP, "Forum metropolitano"
    return UNION_GROUP, "Unioni di Comuni"


def status(consultation: Consultation) -> Status:
    """Completeness overall and per group (zones in the plan's order, Milano, Unioni, Forum),
    who is missing, and the contributions by theme."""
    order = [*territory.ZONES, territory.MILANO_ZONE, UNION_GROUP, FORUM_GROUP]
    answered: dict[int, bool] = {}  # body → on time (True) or only late (False)
    for c in consultation.contributions:
        answered[c.body_id] = answered.get(c.body_id, False) or not c.late
    groups: dict[str, Group] = {}
    total = Group("totale", "Totale")
    missing = []
    for invitation in sorted(consultation.invitations, key=lambda i: i.body.name):
        body = invitation.body
        code, label = _group_of(body)
        group = groups.setdefault(code, Group(code, label))
        for g in (group, total):
            g.invited += 1
            if body.id in answered:
                g.answered += 1
                g.late += 0 if answered[body.id] else 1
            else:
                g.missing.append(body)
        if body.id not in answered:
            missing.append(body)
    by_theme = [
        (code, label, [c for c in consultation.contributions if code in c.themes])
        for code, label in THEMES.items()
    ]
    return Status(
        consultation=consultation,
        total=total,
        groups=sorted(groups.values(), key=lambda g: order.index(g.code)),
        by_theme=by_theme,
        missing=missing,
    )


CSV_HEADER = [
    "protocollo",
    "ente",
    "tipo",
    "zona",
    "ricevuto_il",
    "canale",
    "in_ritardo",
    "temi",
    "sintesi",
    "file",
    "sha256",
]


def csv_export(consultation: Consultation) -> str:
    """One row per contribution, then one per invited body that has not answered."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for c in consultation.contributions:
        writer.writerow(
            [
                c.protocol,
                c.body.name,
                c.body.kind,
                territory.ZONE_LABELS.get(c.body.zone or "", ""),
                format_instant(c.received_at),
                CHANNELS.get(c.channel, c.channel),
                "sì" if c.late else "no",
                " ".join(c.themes),
                c.summary,
                c.file_name,
                c.file_sha256,
            ]
        )
    for body in status(consultation).missing:
        zone = territory.ZONE_LABELS.get(body.zone or "", "")
        writer.writerow(["", body.name, body.kind, zone, "", "", "", "", "non pervenuto", "", ""])
    return out.getvalue()


def citation(consultation: Consultation) -> str:
    """How the adoption cites the closed consultation."""
    figures = consultation.summary or {}
    return (
        f"Consultazione chiusa il {format_instant(consultation.closed_at)}: "
        f"{figures.get('answered', 0)} contributi su {figures.get('invited', 0)} enti invitati "
        f"({figures.get('late', 0)} in ritardo); sintesi SHA-256 {consultation.summary_sha256}"
    )


# --- Operations ------------------------------------------------------------------------------


def _invited_bodies(zones: Iterable[str], forum: bool, unions: bool) -> list[Body]:
    zones = list(zones)
    unknown = [z for z in zones if z not in territory.ZONE_LABELS]
    if unknown:
        raise InvalidData(f"Zona omogenea sconosciuta: {', '.join(unknown)}.")
    query = select(Body).where(Body.active.is_(True))
    rows = list(db.session.scalars(query.where(Body.kind == COMUNE, Body.zone.in_(zones))))
    if unions:
        rows += db.session.scalars(query.where(Body.kind == UNIONE))
    if forum:
        rows += db.session.scalars(query.where(Body.kind == FORUM))
    return rows


@operation
def open_consultation(
    procedure_id: int,
    *,
    deadline: date,
    actor: User,
    clock: Clock,
    zones: Iterable[str] | None = None,
    forum: bool = True,
    unions: bool = False,
) -> Consultation:
    """Open the consultation window of a procedure with its deadline and the bodies invited: the
    Comuni of the given zones (all, and Milano, by default), the Unioni, the Forum's members.

    Raises NotFound, NotAllowed, Conflict (already opened), InvalidData (no one invited, unknown
    zone, deadline in the past of the opening day).
    """
    role = acting_role(actor, MANAGERS, "aprire la consultazione")
    procedure = procedures.get(procedure_id)
    if for_procedure(procedure.id) is not None:
        raise Conflict("La consultazione di questo procedimento è già aperta.")
    zones = list(territory.ZONE_LABELS) if zones is None else list(zones)
    invited = _invited_bodies(zones, forum, unions)
    if not invited:
        raise InvalidData(
            "Nessun ente invitato: caricare il territorio (flask territorio) o scegliere le zone."
        )
    now = as_utc(clock.now())
    consultation = Consultation(
        procedure_id=procedure.id,
        deadline=deadline,
        opened_at=now,
        opened_by_id=actor.id,
        outcome="",
        version=1,
    )
    consultation.invitations = [Invitation(body_id=b.id) for b in invited]
    db.session.add(consultation)
    db.session.flush()
    audit.record(
        actor=actor,
        role=role,
        object_type="consultation",
        object_id=consultation.id,
        action="consultation.opened",
        payload={
            "procedure_id": procedure.id,
            "deadline": deadline.isoformat(),
            "zones": zones,
            "forum": forum,
            "unions": unions,
            "invited": len(invited),
        },
        clock=clock,
    )
    return consultation


def _check_file(file_name: str, content: bytes) -> str:
    """The stored name, or an Italian refusal: 422 for a name or type we do not accept, 413 for a
    file over the configured size."""
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1].strip() if file_name else ""
    if name != (file_name or "").strip() or not _SAFE_NAME.match(name) or ".." in name:
        raise InvalidData(
            "Nome del file non accettato: usare lettere, cifre, spazi e l'estensione .pdf "
            "(niente percorsi, caratteri di controllo o nomi nascosti)."
        )
    limit = current_app.config["CONTRIBUTION_MAX_BYTES"]
    if len(content) > limit:
        raise TooLarge(f"File troppo grande: il limite è di {limit // (1024 * 1024)} MB.")
    if not content:
        raise InvalidData("Il file è vuoto.")
    if not content.startswith(b"%PDF-"):
        raise InvalidData("Il file non è un PDF (si accettano solo documenti PDF).")
    return name


def storage_dir() -> Path:
    return Path(current_app.config["CONTRIBUTIONS_DIR"])


def stored_path(contribution: Contribution) -> Path:
    return storage_dir() / f"{contribution.file_sha256}.pdf"


@operation
def register_contribution(
    consultation_id: int,
    *,
    body_id: int,
    received_at: datetime,
    channel: str,
    summary: str,
    themes: Iterable[str],
    file_name: str,
    content: bytes,
    actor: User,
    clock: Clock,
) -> Contribution:
    """Register a contribution received from an invited body, with a protocol number drawn in the
    same transaction and the file's SHA-256; a late one is accepted and marked late.

    Raises NotFound, NotAllowed, Conflict (window closed), InvalidData (not invited, unknown
    channel or theme, no summary, received in the future, file not accepted), TooLarge.
    """
    role = acting_role(actor, REGISTRARS, "registrare un contributo")
    consultation = get(consultation_id, lock=True)
    if consultation.closed:
        raise Conflict("La consultazione è chiusa: non si registrano altri contributi.")
    body = db.session.get(Body, body_id)
    if body is None:
        raise NotFound(f"Ente {body_id} non trovato.")
    if not any(i.body_id == body.id for i in consultation.invitations):
        raise InvalidData(f"{body.name} non è tra gli enti invitati alla consultazione.")
    if channel not in CHANNELS:
        raise InvalidData(f"Canale «{channel}» sconosciuto.")
    themes = sorted(set(themes), key=list(THEMES).index) if set(themes) <= set(THEMES) else None
    if themes is None:
        raise InvalidData("Tema sconosciuto: usare le Missioni (M1-M6) e i Driver (D1-D10).")
    if not summary.strip():
        raise InvalidData("Manca la sintesi del contributo.")
    now = as_utc(clock.now())
    received_at = as_utc(received_at)
    if received_at > now:
        raise InvalidData("La data di ricezione non può essere futura.")
    name = _check_file(file_name, content)
    digest = hashlib.sha256(content).hexdigest()
    # The number is drawn last, after every check, in this transaction: a refusal costs no number.
    # The shared protocol register (DPR 445/2000 art. 57): the same gapless series as every act.
    year, number = registers.allocate(
        PROTOCOLLO,
        clock=clock,
        object_type="contribution",
        object_id=f"{consultation.id}/{body.id}",
        subject=f"Contributo di {body.name} alla consultazione del procedimento "
        f"{consultation.procedure_id}",
        fingerprint=digest,
    )
    contribution = Contribution(
        consultation_id=consultation.id,
        body_id=body.id,
        received_at=received_at,
        channel=channel,
        late=is_late(consultation, received_at),
        protocol_register=PROTOCOLLO,
        protocol_year=year,
        protocol_number=number,
        summary=summary.strip(),
        themes=themes,
        file_name=name,
        file_sha256=digest,
        file_size=len(content),
        recorded_at=now,
        recorded_by_id=actor.id,
    )
    db.session.add(contribution)
    db.session.flush()
    audit.record(
        actor=actor,
        role=role,
        object_type="contribution",
        object_id=contribution.id,
        action="contribution.registered",
        payload={
            "consultation_id": consultation.id,
            "body": body.name,
            "received_at": received_at.isoformat(),
            "channel": channel,
            "late": contribution.late,
            "protocol": contribution.protocol,
            "themes": themes,
            "file": name,
            "sha256": digest,
            "size": len(content),
        },
        clock=clock,
    )
    # Content-addressed: the same file twice is one file, and a rolled-back registration leaves
    # at most a file nobody points to, never a record without its file.
    path = storage_dir() / f"{digest}.pdf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    return contribution


@operation
def close_consultation(
    consultation_id: int, *, expected_version: int, outcome: str, actor: User, clock: Clock
) -> Consultation:
    """Close the window and record its outcome: the figures and the SHA-256 of the CSV export,
    which the adoption step of the procedure cites. Late contributions after this are refused
    with a Conflict: the dossier for the Consiglio is fixed.

    Raises NotFound, NotAllowed, StaleVersion, Conflict (already closed), InvalidData.
    """
    role = acting_role(actor, MANAGERS, "chiudere la consultazione")
    consultation = get(consultation_id, lock=True)
    if consultation.version != expected_version:
        raise StaleVersion("La consultazione è stata modificata da un altro utente: ricarica.")
    if consultation.closed:
        raise Conflict("La consultazione è già chiusa.")
    if not outcome.strip():
        raise InvalidData("Manca l'esito della consultazione.")
    figures = status(consultation)
    consultation.summary = {
        "invited": figures.total.invited,
        "answered": figures.total.answered,
        "late": figures.total.late,
        "contributions": len(consultation.contributions),
        "groups": {g.code: [g.answered, g.invited] for g in figures.groups},
    }
    consultation.summary_sha256 = hashlib.sha256(csv_export(consultation).encode()).hexdigest()
    consultation.closed_at = as_utc(clock.now())
    consultation.closed_by_id = actor.id
    consultation.outcome = outcome.strip()
    consultation.version += 1
    deadlines.resolve(f"procedure:{consultation.procedure_id}:contributi", "met", clock=clock)
    audit.record(
        actor=actor,
        role=role,
        object_type="consultation",
        object_id=consultation.id,
        action="consultation.closed",
        payload={
            "outcome": consultation.outcome,
            "summary": consultation.summary,
            "summary_sha256": consultation.summary_sha256,
        },
        clock=clock,
    )
    return consultation


# --- Reminders to the missing ----------------------------------------------------------------


def reminder_instant(consultation: Consultation) -> datetime:
    """N working days before the deadline, at the reminders' hour (Europe/Rome)."""
    days = current_app.config["CONTRIBUTION_REMINDER_DAYS"]
    hour, minute = (int(p) for p in current_app.config["REMINDER_SEND_AT"].split(":"))
    day = add_working_days(effective_deadline(consultation), -days)
    return local_instant(day, time(hour, minute))


def _fingerprint(address: str) -> str:
    # Keys stay short whatever the address length; lower-cased, as mailboxes are matched.
    return hashlib.sha256(address.lower().encode()).hexdigest()[:24]


@operation
def remind_missing(*, clock: Clock) -> int:
    """Write, for each open consultation whose reminder day has come and whose deadline has not
    passed, one e-mail per address of every invited body that has not contributed, and a digest
    of who is missing to the Direzione Generale. Returns rows written.

    Idempotent: the outbox key (consultation, body, address) is UNIQUE, so a second run or a
    second scheduler writes nothing twice; a body that answers in the meantime is left out.
    """
    now = as_utc(clock.now())
    today = rome_today(clock)
    written = 0
    base = current_app.config["PUBLIC_BASE_URL"]
    open_ids = db.session.scalars(
        select(Consultation.id).where(Consultation.closed_at.is_(None)).order_by(Consultation.id)
    )
    for consultation in [get(i) for i in open_ids]:
        instant = reminder_instant(consultation)
        if now < instant or today > effective_deadline(consultation):
            continue
        procedure = procedures.get(consultation.procedure_id)
        figures = status(consultation)
        context = dict(
            consultation=consultation,
            procedure=procedure,
            deadline=effective_deadline(consultation),
        )
        for body in figures.missing:
            for address in body.addresses:
                written += mail.enqueue(
                    mail.Draft(
                        key=f"contributi:{consultation.id}:{body.id}:{_fingerprint(address.address)}",
                        kind="contributi",
                        recipient=address.address,
                        subject=f"[Promemoria] Contributo al {procedure.title} — entro il "
                        f"{context['deadline']:%d/%m/%Y}",
                        body_text=render_template(
                            "mail/contribution_reminder.txt", body=body, **context
                        ),
                        body_html=render_template(
                            "mail/contribution_reminder.html", body=body, **context
                        ),
                        due_at=as_utc(instant),
                    ),
                    clock=clock,
                )
        for user in deadlines.holders_of(DIREZIONE_GENERALE):
            address = mail.address_of(user)
            if not address or not figures.missing:
                continue
            written += mail.enqueue(
                mail.Draft(
                    key=f"contributi-mancanti:{consultation.id}:{user.id}",
                    kind="contributi",
                    recipient=address,
                    subject=f"Contributi mancanti: {len(figures.missing)} enti — {procedure.title}",
                    body_text=render_template(
                        "mail/contribution_missing.txt",
                        status=figures,
                        url=f"{base}/procedimenti/{procedure.id}/consultazione",
                        **context,
                    ),
                    body_html=render_template(
                        "mail/contribution_missing.html",
                        status=figures,
                        url=f"{base}/procedimenti/{procedure.id}/consultazione",
                        **context,
                    ),
                    due_at=as_utc(instant),
                    user_id=user.id,
                ),
                clock=clock,
            )
    if written:
        audit.record(
            actor=None,
            role=SYSTEM,
            object_type="consultation",
            object_id="promemoria",
            action="consultation.reminded",
            payload={"messages": written},
            clock=clock,
        )
    return written
