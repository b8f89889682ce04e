"""Small illustrative files and names of the demo: a valid one-page PDF standing for a
contribution, and an ASCII slug for the demo's addresses and file names."""

from __future__ import annotations

import unicodedata


def slug(name: str) -> str:
    """ASCII letters and digits of `name` ("Ozzerò" → "ozzero"): an address needs ASCII before
    the @ (workflow/mail/settings.checked_address)."""
    plain = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain if ch.isalnum())[:40]


def demo_pdf(name: str) -> bytes:
    """A small, valid PDF standing for the contribution of `name` (same bytes on every run)."""
    text = f"Contributo dimostrativo - {name}".encode("latin-1", "replace")
    stream = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\n"
    out += b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return bytes(out)
