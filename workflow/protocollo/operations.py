"""Registering in the protocol register and annulling a registration: the only code that writes
the protocol's rows. Reading: queries.py; the segnatura: segnatura.py.

DPR 445/2000 art. 53: number and date are given by the system, in one step with oggetto,
correspondents and the documents' fingerprints, and nothing registered is edited afterwards (no
operation here edits: there is none). Art. 54: what was wrongly registered is annulled, with the
reason, the operator, the instant and the act that authorises it; the original stays visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.acts import documents as act_documents
from workflow.acts import registers
from workflow.acts.proposal import parse_fascicolo
from workflow.acts.register_models import PROTOCOLLO, RegisterEntry
from workflow.audit import chain as audit
from workflow.audit.registrations import PAYLOAD_KEY, entry_payload
from workflow.core import codicefiscale, inputs
from workflow.core.clock import Clock, as_utc, rome_today
from workflow.core.errors import Conflict, InvalidData, NotFound
from workflow.core.files import sha256_hex
from workflow.core.transaction import operation
from workflow.extensions import db
from workflow.mail.settings import checked_address
from workflow.protocollo.models import (
    ALLEGATO,
    DESTINATARIO,
    DIRECTIONS,
    ENTRATA,
    MITTENTE,
    PRINCIPALE,
    USCITA,
    Annulment,
    Correspondent,
    RegisteredDocument,
    Registration,
)

REGISTRARS = OPERATIONS["protocol.register"]
ANNULLERS = OPERATIONS["protocol.annul"]
OBJECT_TYPE = "protocollo"  # register entries numbered by this area (contributions keep theirs)
MAX_CORRESPONDENTS = 50
MAX_DOCUMENTS = 20


@dataclass(frozen=True)
class CorrespondentData:
    """A mittente or destinatario as typed: name, PEC or e-mail (may be empty), codice fiscale
    or partita IVA (may be empty)."""

    name: str
    address: str = ""
    codice_fiscale: str = ""


@dataclass(frozen=True)
class DocumentData:
    """A document to register: either its bytes (stored, fingerprinted here) or, for a file a
    caller already stored (a contribution's), its name, SHA-256 (hex) and size."""

    file_name: str
    content: bytes | None = None
    sha256: str = ""
    size: int = 0


def _correspondents(given: Iterable[CorrespondentData], role: str) -> list[Correspondent]:
    given = list(given)
    if len(given) > MAX_CORRESPONDENTS:
        raise InvalidData(f"Al massimo {MAX_CORRESPONDENTS} corrispondenti.")
    rows = []
    for c in given:
        name = inputs.clean_text(c.name, "denominazione", max_length=200).strip()
        if not name:
            continue
        address = inputs.clean_text(c.address, "indirizzo", max_length=254).strip()
        code = inputs.clean_text(c.codice_fiscale, "codice fiscale", max_length=16)
        # A person's (16 characters) or a body's / partita IVA (11 digits), check character too.
        label = f"codice fiscale di {name}"
        code = codicefiscale.check_subject(code, label) if code.strip() else ""
        rows.append(
            Correspondent(
                role=role,
                name=name,
                address=checked_address(address) if address else "",
                codice_fiscale=code,
            )
        )
    if not rows:
        who = "il mittente" if role == MITTENTE else "almeno un destinatario"
        raise InvalidData(f"Manca {who}: indicare la denominazione.")
    return rows


def _documents(given: Sequence[DocumentData]) -> tuple[list[RegisteredDocument], list[bytes]]:
    """The document rows (the first is the principal one) and the bytes to store."""
    if not given:
        raise InvalidData("Manca il documento da protocollare (PDF): la sua impronta è registrata.")
    if len(given) > MAX_DOCUMENTS:
        raise InvalidData(f"Al massimo {MAX_DOCUMENTS} documenti per registrazione.")
    rows, contents = [], []
    for position, d in enumerate(given):
        kind = PRINCIPALE if position == 0 else ALLEGATO
        if d.content is not None:
            name = act_documents.check_name(d.file_name)
            act_documents.check_content(name, d.content)
            rows.append(
                RegisteredDocument(
                    kind=kind, file_name=name, sha256=sha256_hex(d.content), size=len(d.content)
                )
            )
            contents.append(d.content)
        else:
            rows.append(
                RegisteredDocument(kind=kind, file_name=d.file_name, sha256=d.sha256, size=d.size)
            )
    return rows, contents


def registration_payload(registration: Registration) -> dict[str, object]:
    """The audit payload of a registration (flushed, with its entry): everything art. 53 makes
    read-only, correspondents and documents in id order (verify matches them by position);
    "registered_at" ISO-8601 UTC. protocol.registered carries it, contribution.registered under
    "registration"."""
    entry = registration.entry
    return {
        "entry_id": entry.id,
        "protocollo": registers.label(PROTOCOLLO, entry.year, entry.number),
        "registered_at": as_utc(entry.registered_at).isoformat(),
        "direction": registration.direction,
        "oggetto": registration.oggetto,
        "document_date": registration.document_date.isoformat(),
        "sender_protocol": registration.sender_protocol,
        "sender_protocol_date": (
            registration.sender_protocol_date.isoformat()
            if registration.sender_protocol_date
            else None
        ),
        "fascicolo": registration.fascicolo,
        "correspondents": [
            {"role": c.role, "name": c.name, "address": c.address, "cf": c.codice_fiscale}
            for c in registration.correspondents
        ],
        "documents": [
            {"kind": d.kind, "name": d.file_name, "sha256": d.sha256, "size": d.size}
            for d in registration.documents
        ],
    }


def record_registration(
    *,
    direction: str,
    oggetto: str,
    document_date: date,
    correspondents: Iterable[CorrespondentData],
    fascicolo: str,
    documents: Sequence[DocumentData],
    actor: User,
    role: str,
    clock: Clock,
    sender_protocol: str = "",
    sender_protocol_date: date | None = None,
    object_type: str = OBJECT_TYPE,
    object_id: str = "",
    unclassified_ok: bool = False,
) -> Registration:
    """Number and register a document in the caller's transaction (no commit, no role check, no
    audit event: `register` and the contributions' operation check the role, write their one
    event and commit). Every check comes before the number is drawn, and a refusal after it
    rolls the number back with the rest: no gap (DPR 445/2000 art. 57).
    `fascicolo` is Titolario/Anno/Fascicolo (2.16/2024/1), mandatory (artt. 56, 64) unless
    `unclassified_ok` (a contribution to a procedure opened without a fascicolo) and empty.

    Raises InvalidData (unknown direction, missing oggetto, correspondent or document, a date
    in the future, bad classification, address or codice fiscale), TooLarge.
    """
    if direction not in DIRECTIONS:
        raise InvalidData("Indicare se il documento è in entrata o in uscita.")
    oggetto = inputs.clean_text(oggetto, "oggetto", max_length=1000).strip()
    if not oggetto:
        raise InvalidData("Manca l'oggetto del documento.")
    today = rome_today(clock)
    inputs.check_date(document_date, "Data del documento")
    if document_date > today:
        raise InvalidData("La data del documento non può essere futura.")
    sender_protocol = inputs.clean_text(sender_protocol, "protocollo del mittente", max_length=60)
    if direction == USCITA and (sender_protocol.strip() or sender_protocol_date):
        raise InvalidData("Il protocollo del mittente si indica solo per i documenti in entrata.")
    if sender_protocol_date is not None:
        inputs.check_date(sender_protocol_date, "Data del protocollo del mittente")
        if sender_protocol_date > today:
            raise InvalidData("La data del protocollo del mittente non può essere futura.")
        if sender_protocol_date < document_date:
            raise InvalidData(
                "La data del protocollo del mittente precede la data del documento: "
                "il mittente protocolla un documento già datato. Controlla le due date."
            )
    fascicolo = inputs.clean_text(fascicolo, "fascicolo", max_length=40).strip()
    titolario: str | None = None
    anno = numero = None
    if fascicolo or not unclassified_ok:
        titolario, anno, numero = parse_fascicolo(fascicolo)
        if not 1900 <= anno <= today.year:
            raise InvalidData(f"Fascicolo {fascicolo}: l'anno di apertura non è plausibile.")
    people = _correspondents(correspondents, MITTENTE if direction == ENTRATA else DESTINATARIO)
    if direction == ENTRATA and len(people) > 1:
        raise InvalidData("Un documento in entrata ha un solo mittente.")
    rows, contents = _documents(documents)
    principal = rows[0]
    year, number = registers.allocate(
        PROTOCOLLO,
        clock=clock,
        object_type=object_type,
        object_id=object_id,
        subject=oggetto,
        fingerprint=principal.sha256,
    )
    entry = db.session.scalars(
        select(RegisterEntry).where(
            RegisterEntry.register == PROTOCOLLO,
            RegisterEntry.year == year,
            RegisterEntry.number == number,
        )
    ).one()
    registration = Registration(
        entry_id=entry.id,
        direction=direction,
        oggetto=oggetto,
        document_date=document_date,
        sender_protocol=sender_protocol.strip(),
        sender_protocol_date=sender_protocol_date,
        titolario=titolario,
        fascicolo_anno=anno,
        fascicolo_numero=numero,
        registered_by_id=actor.id,
        registered_role=role,
        correspondents=people,
        documents=rows,
    )
    db.session.add(registration)
    db.session.flush()
    # Inside the transaction: a registration never lacks its file; a rollback leaves an orphan
    # file, harmless in a content-addressed store.
    for content in contents:
        act_documents.store().put(content)
    return registration


@operation
def register(
    *,
    direction: str,
    oggetto: str,
    document_date: date,
    correspondents: Iterable[CorrespondentData],
    fascicolo: str,
    documents: Sequence[DocumentData],
    actor: User,
    clock: Clock,
    sender_protocol: str = "",
    sender_protocol_date: date | None = None,
) -> Registration:
    """Register an incoming or outgoing document: number and date from the system, in one
    transaction with oggetto, correspondents, classification and the documents' SHA-256
    (DPR 445/2000 art. 53). Raises NotAllowed, InvalidData, TooLarge (see record_registration).
    """
    role = acting_role(actor, REGISTRARS, "protocollare un documento", clock=clock)
    registration = record_registration(
        direction=direction,
        oggetto=oggetto,
        document_date=document_date,
        correspondents=correspondents,
        fascicolo=fascicolo,
        documents=documents,
        actor=actor,
        role=role,
        clock=clock,
        sender_protocol=sender_protocol,
        sender_protocol_date=sender_protocol_date,
    )
    audit.record(
        actor=actor,
        role=role,
        object_type="protocol_entry",
        object_id=registration.entry_id,
        action="protocol.registered",
        payload={
            **registration_payload(registration),
            PAYLOAD_KEY: [
                entry_payload(PROTOCOLLO, registration.entry.year, registration.entry.number)
            ],
        },
        clock=clock,
    )
    return registration


def entry_of(year: int, number: int, *, lock: bool = False) -> RegisterEntry:
    """The protocol entry `number`/`year`; raises NotFound."""
    query = select(RegisterEntry).where(
        RegisterEntry.register == PROTOCOLLO,
        RegisterEntry.year == year,
        RegisterEntry.number == number,
    )
    entry = db.session.scalars(query.with_for_update() if lock else query).one_or_none()
    if entry is None:
        raise NotFound(f"Protocollo {registers.label(PROTOCOLLO, year, number)} non trovato.")
    return entry


@operation
def annul(
    year: int, number: int, *, reason: str, authorising_act: str, actor: User, clock: Clock
) -> Annulment:
    """Annul the protocol entry `number`/`year` (DPR 445/2000 art. 54): the registration stays
    as it was, marked annullato with the reason, the operator, the instant and the act that
    authorises it. Only the Segretario Generale, responsible for the register, annuls.

    Raises NotAllowed, NotFound, Conflict (already annulled), InvalidData (no reason or act).
    """
    role = acting_role(actor, ANNULLERS, "annullare una registrazione di protocollo", clock=clock)
    entry = entry_of(year, number, lock=True)
    reason = inputs.clean_text(reason, "motivo", max_length=2000, multiline=True).strip()
    authorising_act = inputs.clean_text(
        authorising_act, "provvedimento di autorizzazione", max_length=300
    ).strip()
    if db.session.scalar(select(Annulment.id).where(Annulment.entry_id == entry.id)):
        raise Conflict(
            f"Il protocollo {registers.label(PROTOCOLLO, year, number)} è già annullato."
        )
    if not reason:
        raise InvalidData("Manca il motivo dell'annullamento.")
    if not authorising_act:
        raise InvalidData(
            "Manca il provvedimento che autorizza l'annullamento (es. «Provvedimento del "
            "Segretario Generale n. 3/2025»)."
        )
    annulment = Annulment(
        entry_id=entry.id,
        reason=reason,
        authorising_act=authorising_act,
        annulled_at=as_utc(clock.now()),
        annulled_by_id=actor.id,
        annulled_role=role,
    )
    db.session.add(annulment)
    db.session.flush()
    audit.record(
        actor=actor,
        role=role,
        object_type="protocol_entry",
        object_id=entry.id,
        action="protocol.annulled",
        payload={
            "protocollo": registers.label(PROTOCOLLO, year, number),
            "reason": reason,
            "authorising_act": authorising_act,
            "annulled_at": audit.iso_utc(annulment.annulled_at),
        },
        clock=clock,
    )
    return annulment
