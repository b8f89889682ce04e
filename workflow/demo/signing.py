"""PDFs signed with PAdES by a certification authority made on the spot: for the demo and tests.

Nothing here is trusted by anyone: the CA lives in memory for one run. Real signed acts come from
the signers' qualified devices; this exists so the demo decree and the tests carry real, verifiable
signatures without shipping keys in the repository.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers.pdf_signer import PdfSigner, PdfSigningSession
from pyhanko_certvalidator.registry import SimpleCertificateStore


def _name(common_name: str, codice_fiscale: str | None = None) -> x509.Name:
    """IT, the common name and, for a person, the codice fiscale as Italian qualified
    certificates carry it: serialNumber "TINIT-<codice>" (ETSI EN 319 412-1)."""
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if codice_fiscale:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINIT-{codice_fiscale}"))
    return x509.Name(attributes)


def _der(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass
class TestCA:
    """A throw-away CA that issues one signing certificate per person."""

    __test__ = False  # not a pytest class, despite the name

    name: str = "CA dimostrativa (non qualificata)"
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(self.name))
            .issuer_name(_name(self.name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=3650))
            .not_valid_after(self.now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def signer(self, common_name: str, codice_fiscale: str | None = None) -> signers.SimpleSigner:
        """A signer certified by this CA, with the codice fiscale in its subject if given."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, codice_fiscale))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=3650))
            .not_valid_after(self.now + timedelta(days=3650))
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        private = asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return signers.SimpleSigner(
            signing_cert=_der(cert),
            signing_key=private,
            cert_registry=SimpleCertificateStore.from_certs([_der(self.cert)]),
        )


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with the given lines of text (Latin-1, Helvetica)."""
    writer = PdfFileWriter()
    body = (
        "BT /F1 11 Tf 56 790 Td 14 TL "
        + " ".join(f"({_pdf_string(line)}) '" for line in lines)
        + " ET"
    )
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
            pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
        }
    )
    resources = generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): writer.add_object(font)})}
    )
    stream = generic.StreamObject(stream_data=body.encode("latin-1", "replace"))
    writer.insert_page(
        PageObject(
            contents=writer.add_object(stream), media_box=[0, 0, 595, 842], resources=resources
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _DatedSigner(PdfSigner):
    """A PdfSigner whose signatures carry a given signing time instead of the machine's: a
    replayed act is signed on the day it was signed, not on the day the demo is loaded."""

    def __init__(self, meta: signers.PdfSignatureMetadata, signer: signers.Signer, when: datetime):
        super().__init__(meta, signer=signer)
        self._when = when

    def init_signing_session(self, pdf_out, existing_fields_only=False) -> PdfSigningSession:  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._when
        return session


def sign(
    pdf: bytes, signer: signers.SimpleSigner, field_name: str, when: datetime | None = None
) -> bytes:
    """Add one PAdES signature as an incremental update (earlier signatures stay intact), signed
    at `when` (aware datetime; None: now) as its signing-time attribute states."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=SigSeedSubFilter.PADES)
    if when is None:
        return signers.sign_pdf(writer, meta, signer=signer).getvalue()
    return _DatedSigner(meta, signer, when).sign_pdf(writer).getvalue()


def signed_pdf(
    lines: list[str],
    ca: TestCA,
    signer_names: list[str],
    codici_fiscali: list[str | None] | None = None,
    signing_times: list[datetime] | None = None,
) -> bytes:
    """A PDF signed in turn by each of `signer_names` (e.g. the Sindaco, then the Segretario),
    each certificate carrying the matching entry of `codici_fiscali` when given, each signature
    made at the matching entry of `signing_times` when given (else now)."""
    codes = codici_fiscali or [None] * len(signer_names)
    times: list[datetime | None] = list(signing_times or [None] * len(signer_names))
    pdf = simple_pdf(lines)
    for i, (name, code, when) in enumerate(zip(signer_names, codes, times, strict=True), start=1):
        pdf = sign(pdf, ca.signer(name, code), f"Firma{i}", when)
    return pdf
