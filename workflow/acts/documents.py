"""Documents of an act: the signed PDF and its annexes, stored with their SHA-256 fingerprint.

The fingerprint is what the Albo shows next to each document (AgID Linee guida, annex 6: the raw
digest is kept, shown as hex here and as base64 in the download's Repr-Digest header). Embedded
PAdES signatures are validated with pyHanko at upload (workflow/acts/signature_check.py: integrity,
changes after signing, trust, codice fiscale) and their outcome is stored with the file.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from flask import current_app

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.acts.models import ActDocument, DocumentSignature
from workflow.acts.operations import check_version, get
from workflow.acts.signature_check import SignatureCheck as SignatureCheck
from workflow.acts.signature_check import SignatureInfo as SignatureInfo
from workflow.acts.signature_check import check_signatures as check_signatures
from workflow.acts.signature_check import signature_problem as signature_problem
from workflow.acts.signature_check import stored_check as stored_check
from workflow.acts.signature_check import trust_configured as trust_configured
from workflow.acts.signature_check import trust_roots
from workflow.audit import chain as audit
from workflow.core.clock import Clock, as_utc
from workflow.core.errors import Conflict, InvalidData, NotFound, TooLarge
from workflow.core.files import FileStore
from workflow.core.transaction import operation
from workflow.definitions import acts as machine
from workflow.extensions import db

UPLOADERS = OPERATIONS["act.upload"]
KINDS = {"atto": "Documento dell'atto (firmato)", "allegato": "Allegato"}
MAX_NAME = 180
# Path separators, Windows-reserved characters and control characters make a name dangerous to
# hand back in a Content-Disposition or to anyone's file system.
_BAD_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def documents_dir() -> Path:
    return Path(
        current_app.config.get("DOCUMENTS_DIR") or Path(current_app.instance_path) / "documents"
    )


def store() -> FileStore:
    """The acts' documents in the content-addressed store under DOCUMENTS_DIR."""
    return FileStore(documents_dir())


def max_bytes() -> int:
    return int(current_app.config.get("MAX_DOCUMENT_BYTES", 15 * 1024 * 1024))


def check_name(name: str) -> str:
    """The original name as shown, once it is known to be harmless; raises InvalidData."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise InvalidData("Il file non ha un nome.")
    if len(name) > MAX_NAME:
        raise InvalidData(f"Nome del file troppo lungo (al massimo {MAX_NAME} caratteri).")
    if _BAD_NAME.search(name) or name.startswith(".") or ".." in name:
        raise InvalidData(
            f"Nome del file non ammesso: «{name}» contiene caratteri o percorsi pericolosi."
        )
    if not name.lower().endswith(".pdf"):
        raise InvalidData(f"Il file «{name}» non ha estensione .pdf: si accettano solo PDF.")
    return name


def check_content(name: str, content: bytes) -> None:
    """Size limit and PDF magic number; raises TooLarge (413) or InvalidData (422)."""
    limit = max_bytes()
    if len(content) > limit:
        raise TooLarge(
            f"Il file «{name}» supera la dimensione massima di {limit // (1024 * 1024)} MB."
        )
    if not content:
        raise InvalidData(f"Il file «{name}» è vuoto.")
    # ISO 32000: a PDF starts with "%PDF-" (readers tolerate it within the first 1024 bytes, we
    # do not: a prefix is how polyglot files smuggle other content).
    if not content.startswith(b"%PDF-"):
        raise InvalidData(f"Il file «{name}» non è un PDF.")


def inspect_signatures(
    content: bytes, roots: list | None = None
) -> tuple[str, list[SignatureInfo]]:
    """The document's status and one SignatureInfo per signature (check_signatures, as a pair).

    Status: "firmato" (every signature valid), "non_firmato", "illeggibile", "firma_non_integra",
    "modificato_dopo_la_firma", "firma_non_fidata" (roots given, a chain not reaching them).
    """
    check = check_signatures(content, roots)
    return check.status, list(check.signatures)


def path_for(sha256_hex: str) -> Path:
    """Where the document of this SHA-256 (hex) is written."""
    return store().path_for(sha256_hex)


def _new_document(
    act_id: int, kind: str, name: str, content: bytes, *, actor: User, clock: Clock
) -> tuple[ActDocument, list[SignatureInfo]]:
    """The document's row (fingerprint, size, the signatures pyHanko finds and their outcome),
    not yet added to the session, and the signatures as validated; the file is stored first.
    """
    check = check_signatures(content, trust_roots(as_utc(clock.now())))
    infos = list(check.signatures)
    # Stored before the row that points to it: a rolled-back upload leaves at most a file
    # nobody points to (reused by the next identical upload), never a record without its file.
    digest = store().put(content)
    document = ActDocument(
        act_id=act_id,
        kind=kind,
        original_name=name,
        sha256=bytes.fromhex(digest),
        size=len(content),
        uploaded_at=as_utc(clock.now()),
        uploaded_by_id=actor.id,
        signature_status=check.status,
        signatures=[
            DocumentSignature(
                field_name=i.field_name[:200],
                signer_name=i.signer_name,
                codice_fiscale=i.codice_fiscale,
                signing_time=i.signing_time,
                intact=i.intact,
                modification_ok=i.modification_ok,
                trusted=i.trusted,
                trust_checked=i.trust_checked,
                summary=i.summary,
            )
            for i in infos
        ],
    )
    return document, infos


@operation
def attach(
    act_id: int,
    *,
    expected_version: int,
    filename: str,
    content: bytes,
    kind: str,
    actor: User,
    clock: Clock,
) -> ActDocument:
    """Store a PDF of the act (the signed act or an annex) with its fingerprint and signatures.

    Raises NotFound, StaleVersion, NotAllowed, Conflict (the act is already published: its
    documents are read-only), TooLarge (413), InvalidData (not a PDF, dangerous name).
    """
    act = get(act_id)
    check_version(act, expected_version)
    role = acting_role(actor, UPLOADERS, "caricare i documenti dell'atto", clock=clock)
    if act.state not in (*machine.BEFORE_ADOPTION, machine.ADOTTATO):
        raise Conflict("L'atto è già pubblicato o chiuso: i suoi documenti non si modificano più.")
    if kind not in KINDS:
        raise InvalidData("Tipo di documento non valido: «atto» o «allegato».")
    name = check_name(filename)
    check_content(name, content)
    document, infos = _new_document(act.id, kind, name, content, actor=actor, clock=clock)
    db.session.add(document)
    act.version = act.version + 1
    db.session.flush()
    audit.record(
        actor=actor,
        role=role,
        object_type="act",
        object_id=act.id,
        action="act.document_attached",
        payload={
            "document_id": document.id,
            "kind": kind,
            "name": name,
            "sha256": document.sha256_hex,
            "size": document.size,
            "signature_status": document.signature_status,
            "signers": [i.signer_name for i in infos if i.valid],
            "version": act.version,
        },
        clock=clock,
    )
    db.session.expire(act, ["documents"])
    return document


def read(document: ActDocument) -> bytes:
    """The document's bytes, checked against its SHA-256. Raises StoredFileError (a 500: the
    archive is damaged) when the file is missing or altered: altered bytes are never served."""
    return store().read(document.sha256_hex)


def get_document(act_id: int, document_id: int) -> ActDocument:
    document = db.session.get(ActDocument, document_id)
    if document is None or document.act_id != act_id:
        raise NotFound("Documento non trovato.")
    return document
