"""The PDF of a registro giornaliero di protocollo, written with fpdf2.

PDF/A-2B (ISO 19005-2, level B: the archival profile the AgID Linee guida 2021 list among the
formats fit for preservation) needs every font embedded, so the document is written with the
TrueType font of PDF_FONT (by default DejaVu Sans, shipped in workflow/fonts):
fpdf2 embeds a subset of it and adds the sRGB output intent and the XMP metadata the profile asks
for. Where that font is missing the PDF is still written, with the PDF core font Helvetica (not
embedded, Latin-1 only: other characters become "?") and without the PDF/A claim; the daily
register's row records which (DailyRegister.pdf_a) and the log says why.

The bytes depend only on the arguments (the creation date is the production instant), so the same
register rendered twice has the same SHA-256.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from workflow.acts.register_models import RegisterEntry
from workflow.acts.registers import DAILY_REGISTER_COLUMNS
from workflow.core.clock import ROME, as_utc

log = logging.getLogger(__name__)

ENTE = "Città metropolitana di Milano"
TITLE = "Registro giornaliero di protocollo"
NO_ENTRIES = "Nessuna registrazione in questo giorno."
LEGAL_BASIS = "DPR 445/2000 art. 53; DPCM 3/12/2013 art. 7 c. 5; AgID Linee guida 2021"
PDF_A = "PDF/A-2B"
_FAMILY = "registro"
_CORE_FAMILY = "helvetica"


@dataclass(frozen=True)
class Summary:
    """What the heading of a daily register says about it."""

    day: date
    produced_at: datetime
    entries: int
    first: str | None  # the first and last number as the register writes them
    last: str | None
    csv_sha256: str


@dataclass(frozen=True)
class Rendered:
    content: bytes
    pdf_a: bool


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(size=8)
        self.cell(0, 6, f"{TITLE} - pagina {self.page_no()} di {{nb}}", align="C")


def render(summary: Summary, entries: Sequence[RegisterEntry], font: str) -> Rendered:
    """The PDF of a daily register: heading (day, count, first and last number, production
    instant in Europe/Rome, SHA-256 of the CSV it accompanies), then one row per entry, or the
    words "Nessuna registrazione in questo giorno.". PDF/A-2B when `font` (a TrueType file path)
    exists, else a plain PDF (see the module's docstring). Raises nothing for any entry text."""
    embedded = bool(font) and Path(font).is_file()
    if not embedded:
        log.warning("Font %r non trovato: registro giornaliero in PDF semplice, non PDF/A.", font)
    pdf = _Document(orientation="L", format="A4", enforce_compliance=PDF_A if embedded else None)
    if embedded:
        pdf.add_font(_FAMILY, "", font)
    clean = _as_is if embedded else _latin1
    pdf.set_creation_date(as_utc(summary.produced_at))
    pdf.set_author(clean(ENTE))
    pdf.set_subject(clean(LEGAL_BASIS))
    pdf.set_creator("workflow")
    pdf.set_lang("it-IT")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    family = _FAMILY if embedded else _CORE_FAMILY
    pdf.set_font(family, size=10)
    pdf.cell(0, 6, clean(ENTE), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(size=15)
    pdf.cell(
        0, 9, clean(f"{TITLE} del {summary.day:%d/%m/%Y}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(size=9)
    for line in _heading(summary):
        pdf.multi_cell(0, 5, clean(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    if entries:
        pdf.set_font(size=8)
        widths = [column.width for column in DAILY_REGISTER_COLUMNS]
        # Headings in the same (only embedded) font, on grey: a bold face would be a second font.
        headings = FontFace(emphasis="", fill_color=(225, 225, 225))
        with pdf.table(col_widths=widths, text_align="LEFT", headings_style=headings) as table:
            heading = table.row()
            for column in DAILY_REGISTER_COLUMNS:
                heading.cell(clean(column.label))
            for entry in entries:
                row = table.row()
                for column in DAILY_REGISTER_COLUMNS:
                    row.cell(clean(column.text(entry)))
    else:
        pdf.set_font(size=12)
        pdf.cell(0, 10, NO_ENTRIES, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return Rendered(bytes(pdf.output()), embedded)


def _heading(summary: Summary) -> list[str]:
    produced = as_utc(summary.produced_at).astimezone(ROME)
    if summary.entries:
        count = (
            f"Registrazioni: {summary.entries}, dal numero {summary.first} "
            f"al numero {summary.last}."
        )
    else:
        count = f"Registrazioni: 0. {NO_ENTRIES}"
    return [
        count,
        f"Prodotto il {produced:%d/%m/%Y} alle {produced:%H:%M:%S} (ora di Roma).",
        f"Impronta SHA-256 del file CSV che accompagna questo registro: {summary.csv_sha256}",
        f"Riferimenti normativi: {LEGAL_BASIS}.",
    ]


def _as_is(text: str) -> str:
    """Control characters (a stray tab or NUL in a subject) print as a space: no font has them."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def _latin1(text: str) -> str:
    """What the core font can print: Latin-1, anything else as "?"."""
    return _as_is(text).encode("latin-1", "replace").decode("latin-1")
