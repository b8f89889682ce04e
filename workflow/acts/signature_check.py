"""What the signatures of a PDF are worth: pyHanko's validation, said in Italian.

A signature counts only when three things hold (CAD art. 20-21; ISO 32000-2 §12.8):
- it is intact: the bytes it covers hash to what was signed, and the signature verifies with the
  certificate it names;
- nothing was changed after it in a way it does not allow: pyHanko's difference analysis compares
  the revision it signed with the file's latest revision; later signatures, form filling and
  signature upkeep (DSS, document timestamps) are allowed, within the DocMDP level a certifying
  signature set; anything else (a page's content rewritten in an incremental update) makes the
  document "modificato dopo la firma";
- when trust is configured, its certificate chains to a trust root: a certificate of
  SIGNATURE_TRUST_ROOTS (a PEM file) or a CA whose qualified status is granted in
  SIGNATURE_TRUST_LIST (an ETSI TS 119 612 trusted list such as AgID's, read by pyHanko's
  trust-list parser once its XML signature verifies). Without either the chain is not judged
  and every page says so.

Revocation is not checked: the server fetches nothing (no OCSP, no CRL; pyHanko's "soft-fail"
mode without fetching), so a certificate revoked after issue still reads as trusted here.

The signer is recognised by the codice fiscale in the certificate subject's serialNumber
(`TINIT-…`, ETSI EN 319 412-1), or by name when either side has no codice fiscale.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app

from workflow.core import codicefiscale
from workflow.core.clock import as_utc

log = logging.getLogger(__name__)
# Without a configured trust list every chain is "not trusted", which we record (trusted=False);
# pyHanko would also log a full traceback for each such signature, which is only noise here.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.CRITICAL)
# Likewise a document changed after signing: the verdict is recorded, the diff's traceback is not.
logging.getLogger("pyhanko.sign.diff_analysis").setLevel(logging.CRITICAL)

# The document's verdicts, worst first when signatures disagree (ActDocument.signature_status).
FIRMATO = "firmato"
NON_FIRMATO = "non_firmato"
ILLEGGIBILE = "illeggibile"
NON_INTEGRA = "firma_non_integra"
MODIFICATO = "modificato_dopo_la_firma"
NON_FIDATA = "firma_non_fidata"
RIVERIFICARE = "da_riverificare"  # validated before difference analysis was recorded

NOT_AGAINST_TRUST_LIST = "firma non verificata rispetto a un elenco di certificatori fidati"


@dataclass(frozen=True)
class SignatureInfo:
    """One embedded signature as validated.

    `intact`: the signed bytes and the cryptographic signature verify. `modification_ok`: what
    was added after it is allowed by it (None: checked before difference analysis existed).
    `trust_checked`: trust roots were configured; `trusted`: the chain reaches one of them.
    """

    field_name: str
    signer_name: str
    signing_time: datetime | None
    intact: bool
    trusted: bool
    summary: str
    codice_fiscale: str | None = None
    modification_ok: bool | None = False
    trust_checked: bool = False

    @property
    def valid(self) -> bool:
        """Intact, unchanged beyond what it allows, and trusted when trust is checked."""
        return (
            self.intact
            and self.modification_ok is True
            and (self.trusted or not self.trust_checked)
        )


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on a document: `status` (one of the codes above), its signatures, and whether
    the chains were checked against configured trust roots. `valid` and `message` are what a
    guard needs: may it be published as the signed act, and if not, why (in Italian)."""

    status: str
    signatures: tuple[SignatureInfo, ...]
    trust_checked: bool

    @property
    def valid(self) -> bool:
        return self.status == FIRMATO

    @property
    def message(self) -> str:
        """A sentence to follow the document's name: «decreto.pdf» <message>."""
        return status_message(self.status, self.signatures)


def status_message(status: str, signatures: Sequence[Any]) -> str:
    """The Italian sentence for a document's verdict, naming the signers concerned."""

    def names(test: Any) -> str:
        return ", ".join(s.signer_name for s in signatures if test(s)) or "sconosciuto"

    if status == FIRMATO:
        return "ha firme digitali valide."
    if status == NON_FIRMATO:
        return "non ha firme digitali."
    if status == ILLEGGIBILE:
        return "non è un PDF leggibile: le firme non si possono verificare."
    if status == NON_INTEGRA:
        return (
            "ha una firma digitale non integra (di "
            + names(lambda s: not s.intact)
            + "): il documento è stato alterato."
        )
    if status == MODIFICATO:
        return (
            "è stato modificato dopo la firma di "
            + names(lambda s: s.modification_ok is False)
            + ": le modifiche successive non sono ammesse dalla firma."
        )
    if status == RIVERIFICARE:
        return (
            "è stato verificato prima del controllo delle modifiche successive alla firma: "
            "caricalo di nuovo perché sia verificato."
        )
    if status == NON_FIDATA:
        return (
            "è firmato con un certificato che non risale ai certificatori fidati configurati ("
            + names(lambda s: s.trust_checked and not s.trusted)
            + ")."
        )
    return f"ha firme in uno stato sconosciuto ({status})."


def verdict(signatures: Sequence[Any]) -> str:
    """The document's status from its signatures (SignatureInfo or stored rows), worst first."""
    if not signatures:
        return NON_FIRMATO
    if not all(s.intact for s in signatures):
        return NON_INTEGRA
    if any(s.modification_ok is False for s in signatures):
        return MODIFICATO
    if any(s.modification_ok is None for s in signatures):
        return RIVERIFICARE
    if any(s.trust_checked and not s.trusted for s in signatures):
        return NON_FIDATA
    return FIRMATO


# ---- Trust roots ----


@lru_cache(maxsize=4)
def _pem_certificates(path: str, modified: float) -> tuple[Any, ...]:
    from pyhanko.keys import load_certs_from_pemder

    return tuple(load_certs_from_pemder([path]))


@lru_cache(maxsize=2)
def _trusted_list(path: str, modified: float, signers: tuple[Any, ...]) -> Any:
    """The TSPRegistry of an ETSI TS 119 612 trusted list, once its XML signature verifies
    with one of `signers` (pyHanko's trust_list_to_registry; raises SignatureValidationError)."""
    from pyhanko.sign.validation.qualified.eutl_parse import trust_list_to_registry

    registry, _unreadable_services = trust_list_to_registry(
        Path(path).read_text(encoding="utf-8"), list(signers)
    )
    return registry


def _read(setting: str, load: Any, *extra: Any) -> Any:
    """`load(path, mtime, *extra)` for the file named by `setting`; RuntimeError naming it."""
    path = str(current_app.config.get(setting))
    try:
        return load(path, Path(path).stat().st_mtime, *extra)
    except Exception as exc:  # unreadable file, bad PEM, bad XML, signature not verified
        raise RuntimeError(f"{setting}: impossibile usare «{path}»: {exc}") from exc


def trust_roots(at: datetime | None = None) -> list | None:
    """The certificates a signer's chain must reach: those of SIGNATURE_TRUST_ROOTS (a PEM file)
    and the CAs of SIGNATURE_TRUST_LIST (an ETSI TS 119 612 trusted list, its XML signature
    verified with SIGNATURE_TRUST_LIST_SIGNERS) whose qualified status (Svctype/CA/QC) is granted
    at `at` (None: granted at any time in the list's history). None when neither is configured.

    Files are read again when they change. Raises RuntimeError naming the setting when a file
    is unreadable, holds no certificate, or the list's signature does not verify: a broken trust
    configuration must not pass for "no trust list".
    """
    if not trust_configured():
        return None
    config = current_app.config
    roots: list = []
    if config.get("SIGNATURE_TRUST_ROOTS"):
        roots += _read("SIGNATURE_TRUST_ROOTS", _pem_certificates)
        if not roots:
            raise RuntimeError("SIGNATURE_TRUST_ROOTS: il file non contiene certificati.")
    if config.get("SIGNATURE_TRUST_LIST"):
        if not config.get("SIGNATURE_TRUST_LIST_SIGNERS"):
            raise RuntimeError(
                "SIGNATURE_TRUST_LIST_SIGNERS: manca il certificato con cui verificare la firma "
                "dell'elenco di fiducia (un elenco non verificato non si usa)."
            )
        signers = _read("SIGNATURE_TRUST_LIST_SIGNERS", _pem_certificates)
        registry = _read("SIGNATURE_TRUST_LIST", _trusted_list, signers)
        roots += [
            authority.certificate
            for authority in registry.known_certificate_authorities
            if any(registry.applicable_service_definitions(authority, at))
        ]
    return roots


def trust_configured() -> bool:
    """True when signatures are checked against configured trust roots or a trusted list."""
    config = current_app.config
    return bool(config.get("SIGNATURE_TRUST_ROOTS") or config.get("SIGNATURE_TRUST_LIST"))


# ---- Validation ----


def _subject(cert: Any) -> tuple[str, str | None]:
    """The signer's name (common name, else given name and surname) and codice fiscale."""
    names = cert.subject.native
    name = names.get("common_name") or " ".join(
        str(names[k]) for k in ("given_name", "surname") if names.get(k)
    )
    return str(name or cert.subject.human_friendly)[:300], codicefiscale.from_certificate_serial(
        names.get("serial_number")
    )


def _summary(
    intact: bool, covers_all: bool, modification_ok: bool, trust_checked: bool, trusted: bool
) -> str:
    """The Italian summary stored with the signature ("integra; nessuna modifica dopo la firma;
    …")."""
    if not intact:
        return "NON integra: il documento è stato alterato"
    parts = ["integra"]
    if covers_all:
        parts.append("nessuna modifica dopo la firma")
    elif modification_ok:
        parts.append(
            "modifiche successive ammesse dalla firma (altre firme o compilazione di moduli)"
        )
    else:
        parts.append("modificato dopo la firma: modifiche non ammesse dalla firma")
    if not trust_checked:
        parts.append(NOT_AGAINST_TRUST_LIST)
    elif trusted:
        parts.append("certificato emesso da un certificatore fidato")
    else:
        parts.append("catena di certificazione non riconducibile ai certificatori fidati")
    return "; ".join(parts)


def _validate(sig: Any, roots: list, trust_checked: bool) -> SignatureInfo:
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    name, code = _subject(sig.signer_cert)
    # Offline: nothing is fetched, revocation is "soft-fail" (see the module's docstring).
    context = ValidationContext(
        trust_roots=list(roots), allow_fetching=False, revocation_mode="soft-fail"
    )
    # The standard policy: later signatures, form filling and DSS/timestamp upkeep are allowed
    # changes, anything else (page content, new objects on a page) is ModificationLevel.OTHER.
    status = validate_pdf_signature(sig, context, diff_policy=DEFAULT_DIFF_POLICY)
    intact = bool(status.intact and status.valid)
    modification_ok = bool(
        status.coverage is not None
        and status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION
        and status.docmdp_ok is True
    )
    trusted = bool(status.trusted) and trust_checked
    when = status.signer_reported_dt
    return SignatureInfo(
        field_name=sig.field_name or "",
        signer_name=name,
        signing_time=as_utc(when) if when else None,
        intact=intact,
        trusted=trusted,
        summary=_summary(
            intact,
            status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            modification_ok,
            trust_checked,
            trusted,
        ),
        codice_fiscale=code,
        modification_ok=modification_ok,
        trust_checked=trust_checked,
    )


def check_signatures(content: bytes, roots: Iterable | None = None) -> SignatureCheck:
    """Validate every embedded PAdES signature of `content` with pyHanko, against `roots`
    (asn1crypto certificates, as trust_roots gives them; None: no trust configured, the chain
    is not judged; an empty list: every chain is untrusted).

    Document timestamps (/DocTimeStamp) are not signers and are left out; a signature pyHanko
    cannot read counts as broken. Never raises on malformed input: the verdict says so.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    checked = roots is not None
    roots = list(roots or [])
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception as exc:  # pyHanko raises many kinds on malformed input
        log.info("PDF illeggibile: %s", exc)
        return SignatureCheck(ILLEGGIBILE, (), checked)
    infos = []
    for sig in embedded:
        try:
            infos.append(_validate(sig, roots, checked))
        except Exception as exc:  # a broken CMS blob must show as broken, not crash the upload
            log.info("Firma non verificabile: %s", exc)
            infos.append(
                SignatureInfo(
                    sig.field_name or "",
                    "sconosciuto",
                    None,
                    False,
                    False,
                    "firma non verificabile",
                    trust_checked=checked,
                )
            )
    return SignatureCheck(verdict(infos), tuple(infos), checked)


def stored_check(document: Any) -> SignatureCheck:
    """The verdict recorded at upload for an ActDocument, read back from its rows."""
    rows = tuple(
        SignatureInfo(
            field_name=s.field_name,
            signer_name=s.signer_name,
            signing_time=s.signing_time,
            intact=s.intact,
            trusted=s.trusted,
            summary=s.summary,
            codice_fiscale=s.codice_fiscale,
            modification_ok=s.modification_ok,
            trust_checked=s.trust_checked,
        )
        for s in document.signatures
    )
    status = document.signature_status
    if status in (FIRMATO, NON_INTEGRA, MODIFICATO, NON_FIDATA):
        status = verdict(rows)  # a row written before difference analysis reads as unchecked
    return SignatureCheck(status, rows, bool(rows) and all(r.trust_checked for r in rows))


# ---- Who signed ----

_APOSTROPHES = re.compile("['’`´]")


def name_key(name: str) -> tuple[str, ...]:
    """A person's name as compared with a certificate's: no accents, no case, no apostrophes, the
    words in any order ("PURCARO ANTONIO SEBASTIANO" = "Antonio Sebastiano Purcaro")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    words = _APOSTROPHES.sub("", plain).casefold().replace("-", " ").split()
    return tuple(sorted(words))


def signed_by(codice_fiscale: str | None, full_name: str, signature: Any) -> bool:
    """True when `signature` (SignatureInfo or stored row) is the person's: by codice fiscale
    when both the person and the certificate have one (a different one is someone else, whatever
    the name), otherwise by name (name_key)."""
    if codice_fiscale and signature.codice_fiscale:
        return codice_fiscale == signature.codice_fiscale
    return name_key(full_name) == name_key(signature.signer_name)


def signature_problem(document: Any, signers: Iterable[tuple[Any, str]]) -> str | None:
    """Why `document` (an ActDocument) cannot be published as the signed act, or None.

    `signers`: (User, role label) of each signature recorded in the tracker; each must have
    signed the PDF with a valid signature. Also refused: a document checked without trust roots
    when roots are configured now (it must be uploaded again to be checked against them).
    """
    name = document.original_name
    check = stored_check(document)
    if not check.valid:
        return f"Il documento «{name}» {check.message}"
    if trust_configured() and not check.trust_checked:
        return (
            f"Il documento «{name}» è stato verificato prima che fosse configurato l'elenco dei "
            "certificatori fidati: caricalo di nuovo perché le firme siano verificate."
        )
    for user, role in signers:
        if not any(signed_by(user.codice_fiscale, user.full_name, s) for s in check.signatures):
            known = f", codice fiscale {user.codice_fiscale}" if user.codice_fiscale else ""
            return (
                f"Nel documento «{name}» manca la firma digitale di {user.full_name} "
                f"({role}{known})."
            )
    return None
