"""Consultations on a draft plan: open the window, register the contributions received, close it
(the adoption cites the outcome). Reading: queries.py; reminders to the missing: reminders.py.

A contribution received after the deadline is registered all the same and marked late: the office
decides what weight to give it, the register never refuses a document it received.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.acts.register_models import PROTOCOLLO
from workflow.audit import chain as audit
from workflow.audit.registrations import PAYLOAD_KEY, entry_payload
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
from workflow.consultations.queries import csv_export, for_procedure, get, is_late, status
from workflow.consultations.themes import THEMES
from workflow.core.clock import ROME, Clock, as_utc
from workflow.core.errors import Conflict, InvalidData, NotFound, StaleVersion, TooLarge
from workflow.core.files import FileStore, sha256_hex
from workflow.core.transaction import operation
from workflow.deadlines import rules
from workflow.extensions import db
from workflow.procedures import operations as procedures
from workflow.protocollo import operations as protocollo
from workflow.protocollo.models import ENTRATA, Registration
from workflow.protocollo.operations import CorrespondentData, DocumentData
from workflow.protocollo.queries import FASCICOLO

MANAGERS = OPERATIONS["consultation.manage"]
REGISTRARS = OPERATIONS["contribution.register"]
# A stored name: letters, digits, spaces and a few marks, ending in .pdf; nothing that a file
# system or a shell could read as a path, a device or an option.
_SAFE_NAME = re.compile(r"^[\w][\w .,'()\-]{0,195}\.pdf$", re.IGNORECASE)


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

    Raises NotFound, NotAllowed, Conflict (already opened, or a kind with no consultation: its
    definition has no term for contributions), InvalidData (no one invited, unknown zone,
    deadline in the past of the opening day).
    """
    role = acting_role(actor, MANAGERS, "aprire la consultazione", clock=clock)
    procedure = procedures.get(procedure_id)
    if not procedures.definition_of(procedure).consults:
        raise Conflict(
            f"Il procedimento «{procedure.title}» non prevede una consultazione di Comuni e Forum."
        )
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


def store() -> FileStore:
    """Contributions' files in the content-addressed store under CONTRIBUTIONS_DIR."""
    return FileStore(Path(current_app.config["CONTRIBUTIONS_DIR"]))


def _check_registration(
    consultation: Consultation,
    body_id: int,
    received_at: datetime,
    channel: str,
    summary: str,
    themes: Iterable[str],
    *,
    now: datetime,
) -> tuple[Body, list[str]]:
    """The sending body and the themes in the plan's order, once the window is open, the body
    invited, the channel and themes known, the summary given and the receipt not in the future
    (`received_at`, `now`: UTC). Raises Conflict, NotFound, InvalidData."""
    if consultation.closed:
        raise Conflict("La consultazione è chiusa: non si registrano altri contributi.")
    body = db.session.get(Body, body_id)
    if body is None:
        raise NotFound(f"Ente {body_id} non trovato.")
    if not any(i.body_id == body.id for i in consultation.invitations):
        raise InvalidData(f"{body.name} non è tra gli enti invitati alla consultazione.")
    if channel not in CHANNELS:
        raise InvalidData(f"Canale «{channel}» sconosciuto.")
    chosen = set(themes)
    if not chosen <= set(THEMES):
        raise InvalidData("Tema sconosciuto: usare le Missioni (M1-M6) e i Driver (D1-D10).")
    if not summary.strip():
        raise InvalidData("Manca la sintesi del contributo.")
    if received_at > now:
        raise InvalidData("La data di ricezione non può essere futura.")
    return body, sorted(chosen, key=list(THEMES).index)


def _protocol(
    consultation: Consultation,
    body: Body,
    *,
    received_at: datetime,
    name: str,
    digest: str,
    size: int,
    actor: User,
    role: str,
    clock: Clock,
) -> Registration:
    """The contribution's incoming registration in the protocol register (DPR 445/2000 art. 53):
    the body as mittente with its first address, the file's SHA-256, the procedure's fascicolo;
    the same gapless series as every registration, drawn in the caller's transaction."""
    procedure = procedures.get(consultation.procedure_id)
    fascicolo = procedure.fascicolo if FASCICOLO.match(procedure.fascicolo or "") else ""
    return protocollo.record_registration(
        direction=ENTRATA,
        oggetto=f"Contributo di {body.name} alla consultazione del procedimento "
        f"{consultation.procedure_id}",
        document_date=received_at.astimezone(ROME).date(),
        correspondents=[
            CorrespondentData(name=body.name, address=body.addresses[0].address)
            if body.addresses
            else CorrespondentData(name=body.name)
        ],
        fascicolo=fascicolo,
        unclassified_ok=True,
        documents=[DocumentData(file_name=name, sha256=digest, size=size)],
        actor=actor,
        role=role,
        clock=clock,
        object_type="contribution",
        object_id=f"{consultation.id}/{body.id}",
    )


def _registered(
    contribution: Contribution, body: Body, registration: Registration
) -> dict[str, object]:
    """The audit payload of a registration: who sent what, when, how, and its protocol, with
    the protocol registration as protocol.registered states it (verify replays both)."""
    return {
        "consultation_id": contribution.consultation_id,
        "body_id": body.id,
        "body": body.name,
        "received_at": as_utc(contribution.received_at).isoformat(),
        "channel": contribution.channel,
        "late": contribution.late,
        "protocol": contribution.protocol,
        "themes": contribution.themes,
        "file": contribution.file_name,
        "sha256": contribution.file_sha256,
        "size": contribution.file_size,
        PAYLOAD_KEY: [
            entry_payload(
                contribution.protocol_register,
                contribution.protocol_year,
                contribution.protocol_number,
            )
        ],
        "registration": protocollo.registration_payload(registration),
    }


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
    same transaction and the file's SHA-256; a late one is accepted and marked late. Raises
    NotFound, NotAllowed, Conflict (window closed), InvalidData (not invited, unknown channel or
    theme, no summary, received in the future, file not accepted), TooLarge.
    """
    role = acting_role(actor, REGISTRARS, "registrare un contributo", clock=clock)
    consultation = get(consultation_id, lock=True)
    now = as_utc(clock.now())
    received_at = as_utc(received_at)
    body, themes = _check_registration(
        consultation, body_id, received_at, channel, summary, themes, now=now
    )
    name = _check_file(file_name, content)
    digest = sha256_hex(content)
    # The number is drawn last, after every check, in this transaction: a refusal costs no number.
    registration = _protocol(
        consultation,
        body,
        received_at=received_at,
        name=name,
        digest=digest,
        size=len(content),
        actor=actor,
        role=role,
        clock=clock,
    )
    entry = registration.entry
    contribution = Contribution(
        consultation_id=consultation.id,
        body_id=body.id,
        received_at=received_at,
        channel=channel,
        late=is_late(consultation, received_at),
        protocol_register=PROTOCOLLO,
        protocol_year=entry.year,
        protocol_number=entry.number,
        protocol_entry_id=entry.id,
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
        payload=_registered(contribution, body, registration),
        clock=clock,
    )
    # Inside the transaction: a record never lacks its file, a rollback leaves an orphan file.
    store().put(content)
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
    role = acting_role(actor, MANAGERS, "chiudere la consultazione", clock=clock)
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
    rules.resolve(f"procedure:{consultation.procedure_id}:contributi", "met", clock=clock)
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
