"""Reading a consultation: its window, who was invited and who answered, by zone, and the CSV."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from workflow.consultations import territory_data as territory
from workflow.consultations.models import (
    CHANNELS,
    COMUNE,
    FORUM,
    Body,
    Consultation,
    Contribution,
)
from workflow.consultations.themes import THEMES
from workflow.core import csvexport
from workflow.core.calendar import roll_forward
from workflow.core.clock import ROME, as_utc, format_instant
from workflow.core.errors import NotFound
from workflow.extensions import db
from workflow.procedures import hooks, record
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure, ProcedureStep

FORUM_GROUP = "forum"
UNION_GROUP = "unioni"
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


def extension(consultation: Consultation) -> tuple[ProcedureStep, date] | None:
    """The procedure's latest proroga of the contributions' term (the step that recorded the act
    and the new term), or None: the window's own deadline holds."""
    return record.extension(procedures.get(consultation.procedure_id).steps)


def stated_deadline(consultation: Consultation) -> date:
    """The term in force as an act states it: the latest proroga's, else the window's own."""
    extended = extension(consultation)
    return extended[1] if extended else consultation.deadline


def effective_deadline(consultation: Consultation) -> date:
    """The last day on time: the term in force (after any proroga), moved off a holiday (c.p.c.
    art. 155). Reminders and lateness follow it."""
    return roll_forward(stated_deadline(consultation))


def is_late(consultation: Consultation, received_at: datetime, due: date | None = None) -> bool:
    """Late when received after the end of the last day on time (`due`, by default the
    consultation's effective deadline) in Europe/Rome (23:59:59 is on time, 00:00 of the next day
    is late), whatever the server's zone or the DST offset."""
    last_day = due if due is not None else effective_deadline(consultation)
    return as_utc(received_at).astimezone(ROME).date() > last_day


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
    # Contributions late by the term in force now: a proroga recorded after one was registered
    # (late then) puts it on time (the stored `late` keeps what was known at registration).
    late_ids: frozenset[int] = frozenset()


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
    due = effective_deadline(consultation)
    late_ids = frozenset(
        c.id for c in consultation.contributions if is_late(consultation, c.received_at, due)
    )
    answered: dict[int, bool] = {}  # body → on time (True) or only late (False)
    for c in consultation.contributions:
        answered[c.body_id] = answered.get(c.body_id, False) or c.id not in late_ids
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
        late_ids=late_ids,
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


def csv_export(consultation: Consultation, form: csvexport.Variant = csvexport.PLAIN) -> str:
    """One row per contribution, then one per invited body that has not answered. The SHA-256
    recorded at closing is that of the PLAIN variant."""
    return csvexport.text(CSV_HEADER, _csv_rows(consultation), form)


def _csv_rows(consultation: Consultation) -> Iterator[list[str]]:
    figures = status(consultation)
    for c in consultation.contributions:
        yield (
            [
                c.protocol,
                c.body.name,
                c.body.kind,
                territory.ZONE_LABELS.get(c.body.zone or "", ""),
                format_instant(c.received_at),
                CHANNELS.get(c.channel, c.channel),
                "sì" if c.id in figures.late_ids else "no",
                " ".join(c.themes),
                c.summary,
                c.file_name,
                c.file_sha256,
            ]
        )
    for body in figures.missing:
        zone = territory.ZONE_LABELS.get(body.zone or "", "")
        yield ["", body.name, body.kind, zone, "", "", "", "", "non pervenuto", "", ""]


def citation(consultation: Consultation) -> str:
    """How the adoption cites the closed consultation."""
    figures = consultation.summary or {}
    return (
        f"Consultazione chiusa il {format_instant(consultation.closed_at)}: "
        f"{figures.get('answered', 0)} contributi su {figures.get('invited', 0)} enti invitati "
        f"({figures.get('late', 0)} in ritardo); sintesi SHA-256 {consultation.summary_sha256}"
    )


@hooks.cites_on_record("adotta", "riadotta")
def adoption_citation(procedure: Procedure) -> dict[str, str]:
    """The adoption's record cites the closed consultation of Comuni and Forum (its figures and
    the SHA-256 of its summary), so the Consiglio's dossier names what it was based on; nothing
    while no consultation was opened or it is still open."""
    consultation = for_procedure(procedure.id)
    if consultation is None or not consultation.closed:
        return {}
    return {"consultazione": citation(consultation)}
