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
from typing import Any

from flask import current_app

from workflow.access.authorize import acting_role
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.access.roles import SEGRETARIO_GENERALE
from workflow.acts import queries
from workflow.acts.models import Act, ActDocument, DocumentSignature
from workflow.acts.operations import (
    DOCUMENT_ROLES,
    check_version,
    document_problem,
    get,
    live_documents,
)
from workflow.acts.signature_check import SignatureCheck as SignatureCheck
from workflow.acts.signature_check import SignatureInfo as SignatureInfo
from workflow.acts.signature_check import check_signatures as check_signatures
from workflow.acts.signature_check import signature_problem as signature_problem
from workflow.acts.signature_check import stored_check as stored_check
from workflow.acts.signature_check import trust_configured as trust_configured
from workflow.acts.signature_check import trust_roots
from workflow.audit import chain as audit
from workflow.core.clock import Clock, as_utc
from workflow.core.errors import Conflict, GuardFailed, InvalidData, NotFound, TooLarge
from workflow.core.files import FileStore
from workflow.core.inputs import clean_text
from workflow.core.transaction import operation
from workflow.definitions import acts as machine
from workflow.extensions import db

UPLOADERS = OPERATIONS["act.upload"]
REFERTO_UPLOADERS = OPERATIONS["act.referto"]
# The roles a document is given at upload (the referto has its own operation, attach_referto).
KINDS = {code: label for code, label in DOCUMENT_ROLES.items() if code != "referto"}
REASON_MAX = ActDocument.__table__.c.withdrawn_reason.info["max_length"]
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
    act_id: int,
    kind: str,
    name: str,
    content: bytes,
    *,
    actor: User,
    clock: Clock,
    original_id: int | None = None,
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
        original_id=original_id,
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


def _before_publication(act: Act, what: str) -> None:
    """Documents are chosen, changed and withdrawn only until the act is published: after that
    the Albo is the legal record and nothing is removed, only annulled (L. 69/2009 art. 32)."""
    if act.state not in (*machine.BEFORE_ADOPTION, machine.ADOTTATO):
        raise Conflict(
            f"L'atto è già pubblicato o chiuso: {what} non è più possibile; dopo la "
            "pubblicazione si può solo annullarla."
        )


def _checked_role(
    act: Act, kind: str, original_id: int | None, document: ActDocument | None = None
) -> None:
    """A role known for an upload, and for a version for publication (omissis) its original: a
    live document of the same act, not itself such a version. Raises InvalidData, Conflict."""
    if kind not in KINDS:
        raise InvalidData(
            "Ruolo del documento non valido: scegliere tra "
            + ", ".join(f"«{label}»" for label in KINDS.values())
            + "."
        )
    if kind != "omissis":
        if original_id is not None:
            raise InvalidData(
                "Solo una versione per la pubblicazione (omissis) indica il documento originale."
            )
        return
    if original_id is None:
        raise InvalidData(
            "Indicare il documento originale di cui questa è la versione per la pubblicazione."
        )
    original = next((d for d in live_documents(act) if d.id == original_id), None)
    if original is None or (document is not None and original.id == document.id):
        raise InvalidData(f"Il documento originale n. {original_id} non è tra quelli dell'atto.")
    if original.kind in ("omissis", "referto"):
        raise InvalidData(
            f"«{original.original_name}» non può avere una versione per la pubblicazione."
        )
    if document is not None and any(
        d.original_id == document.id for d in live_documents(act) if d.kind == "omissis"
    ):
        raise Conflict(
            f"«{document.original_name}» ha già una versione per la pubblicazione: non può "
            "esserlo a sua volta."
        )


def _stored(
    act: Act, kind: str, filename: str, content: bytes, actor: User, clock: Clock, **extra: Any
) -> tuple[ActDocument, list[SignatureInfo]]:
    """Check the file, store it and add its row; the act's version moves on."""
    name = check_name(filename)
    check_content(name, content)
    document, infos = _new_document(act.id, kind, name, content, actor=actor, clock=clock, **extra)
    db.session.add(document)
    act.version = act.version + 1
    db.session.flush()
    return document, infos


def _audit(act: Act, action: str, role: str, actor: User, clock: Clock, **payload: Any) -> None:
    audit.record(
        actor=actor,
        role=role,
        object_type="act",
        object_id=act.id,
        action=action,
        payload={**payload, "version": act.version},
        clock=clock,
    )
    db.session.expire(act, ["documents"])


def _uploaded(document: ActDocument, infos: list[SignatureInfo]) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "kind": document.kind,
        "name": document.original_name,
        "sha256": document.sha256_hex,
        "size": document.size,
        "signature_status": document.signature_status,
        "signers": [i.signer_name for i in infos if i.valid],
    }


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
    original_id: int | None = None,
) -> ActDocument:
    """Store a PDF of the act with its role (KINDS), fingerprint and signatures; a version for
    publication (omissis) names its original (`original_id`), which then stays internal.

    Raises NotFound, StaleVersion, NotAllowed, Conflict (the act is already published: its
    documents are read-only), TooLarge (413), InvalidData (not a PDF, dangerous name, role).
    """
    act = get(act_id)
    check_version(act, expected_version)
    role = acting_role(actor, UPLOADERS, "caricare i documenti dell'atto", clock=clock)
    _before_publication(act, "caricare documenti")
    _checked_role(act, kind, original_id)
    document, infos = _stored(act, kind, filename, content, actor, clock, original_id=original_id)
    _audit(
        act,
        "act.document_attached",
        role,
        actor,
        clock,
        **_uploaded(document, infos),
        **({"original_id": original_id} if original_id else {}),
    )
    return document


def _live_document(act: Act, document_id: int) -> ActDocument:
    document = next((d for d in act.documents if d.id == document_id), None)
    if document is None:
        raise NotFound("Documento non trovato.")
    if document.withdrawn_at is not None:
        raise Conflict(f"Il documento «{document.original_name}» è già stato ritirato.")
    return document


@operation
def change_role(
    act_id: int,
    document_id: int,
    *,
    expected_version: int,
    kind: str,
    actor: User,
    clock: Clock,
    original_id: int | None = None,
) -> ActDocument:
    """Give a document another role before publication (audited with before and after).

    Raises NotFound, StaleVersion, NotAllowed, Conflict (published, withdrawn, or already the
    original of a version for publication), InvalidData (role or original).
    """
    act = get(act_id)
    check_version(act, expected_version)
    role = acting_role(actor, UPLOADERS, "cambiare il ruolo dei documenti", clock=clock)
    _before_publication(act, "cambiare il ruolo di un documento")
    document = _live_document(act, document_id)
    if document.kind == "referto":
        raise Conflict("Il referto di pubblicazione non cambia ruolo.")
    _checked_role(act, kind, original_id, document)
    before = {"kind": document.kind, "original_id": document.original_id}
    document.kind, document.original_id = kind, original_id
    act.version = act.version + 1
    db.session.flush()
    _audit(
        act,
        "act.document_role_changed",
        role,
        actor,
        clock,
        document_id=document.id,
        before=before,
        after={"kind": kind, "original_id": original_id},
    )
    return document


@operation
def withdraw(
    act_id: int,
    document_id: int,
    *,
    expected_version: int,
    reason: str,
    actor: User,
    clock: Clock,
) -> ActDocument:
    """Withdraw a wrong upload before publication: never deleted, it stays for the offices
    marked withdrawn with the reason, who and when, and can no longer be published.

    Raises NotFound, StaleVersion, NotAllowed, Conflict (published: only annulment; already
    withdrawn; an original whose version for publication is live), InvalidData (reason).
    """
    act = get(act_id)
    check_version(act, expected_version)
    role = acting_role(actor, UPLOADERS, "ritirare i documenti dell'atto", clock=clock)
    _before_publication(act, "ritirare un documento")
    document = _live_document(act, document_id)
    text = clean_text(reason, "Motivazione", max_length=REASON_MAX, multiline=True).strip()
    if not text:
        raise InvalidData("Manca la motivazione del ritiro.")
    versions = [d for d in live_documents(act) if d.original_id == document.id]
    if versions:
        raise Conflict(
            f"«{document.original_name}» ha una versione per la pubblicazione "
            f"(«{versions[0].original_name}»): ritirare prima quella."
        )
    document.withdrawn_at = as_utc(clock.now())
    document.withdrawn_by_id = actor.id
    document.withdrawn_reason = text
    act.version = act.version + 1
    db.session.flush()
    _audit(
        act,
        "act.document_withdrawn",
        role,
        actor,
        clock,
        document_id=document.id,
        name=document.original_name,
        sha256=document.sha256_hex,
        motivazione=text,
    )
    return document


@operation
def attach_referto(
    act_id: int,
    *,
    expected_version: int,
    filename: str,
    content: bytes,
    actor: User,
    clock: Clock,
) -> ActDocument:
    """Store the signed referto di pubblicazione, shown with the record on the Albo: once the
    relata is issued, signed (the signature check of the act's documents) by the Segretario
    who issued it. One per publication.

    Raises NotFound, StaleVersion, NotAllowed, Conflict (no relata yet, or a referto already
    stored), TooLarge, InvalidData (not a PDF), GuardFailed (not validly signed by him or her).
    """
    act = get(act_id)
    check_version(act, expected_version)
    role = acting_role(actor, REFERTO_UPLOADERS, "caricare il referto firmato", clock=clock)
    relata = queries.relata(act)
    if act.state != machine.CERTIFICATO or relata is None:
        raise Conflict("Il referto firmato si carica dopo la relata di pubblicazione.")
    if any(d.kind == "referto" for d in live_documents(act)):
        raise Conflict("Il referto firmato di questa pubblicazione è già stato caricato.")
    document, infos = _stored(act, "referto", filename, content, actor, clock)
    problem = document_problem(act, document, [(relata.recorded_by, SEGRETARIO_GENERALE)])
    if problem:
        raise GuardFailed(problem)  # the transaction rolls back: no row, no number, no event
    document.published = True
    _audit(act, "act.referto_attached", role, actor, clock, **_uploaded(document, infos))
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
