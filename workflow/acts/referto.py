"""The referto di pubblicazione as a PDF ready to be signed, and the year's register of the Albo.

The referto is the Segretario Generale's attestation that the act stayed on the Albo pretorio
online for its whole window (TUEL art. 124; L. 69/2009 art. 32), with the proroga that extended
it, if any. It is written with fpdf2 as PDF/A-2B when a TrueType font can be embedded (PDF/A
forbids fonts that are not embedded: `PDF_FONT`, by default the DejaVu Sans shipped in
workflow/fonts); without one it is a plain PDF in the standard Helvetica. Either way it is signed
outside the tracker, with the Segretario's qualified device, and uploaded back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from flask import current_app
from fpdf import FPDF

from workflow.acts import queries
from workflow.acts.models import Act, ActEvent
from workflow.acts.operations import act_type, published_documents
from workflow.core import csvexport
from workflow.core.clock import format_date, format_instant

ENTE = "CITTÀ METROPOLITANA DI MILANO"


def _font() -> Path | None:
    """The TrueType font to embed (PDF_FONT), if the file is there."""
    configured = current_app.config.get("PDF_FONT")
    return Path(configured) if configured and Path(configured).is_file() else None


def fields(act: Act, relata: ActEvent) -> list[tuple[str, str]]:
    """The referto's data, label and value, in the order printed (also what a test reads back)."""
    record = queries.record(act, relata.recorded_at.date())
    original = queries.original_end(act)
    rows = [
        ("Tipo di atto", record.tipo),
        ("Repertorio Generale", record.repertorio),
        ("Protocollo", record.protocollo),
        ("Titolario/Anno/Fascicolo", record.fascicolo),
        ("Proponente", record.proponente),
        ("Oggetto", record.oggetto),
        ("Pubblicazione Nr", record.pubblicazione),
        ("In Pubblicazione", f"dal {record.dal} al {format_date(original)}"),
    ]
    for extension in queries.extensions(act):
        rows.append(
            (
                "Proroga",
                f"al {format_date(extension.al)}, atto n. {extension.atto}: "
                f"{extension.motivazione}",
            )
        )
    for n, d in enumerate(published_documents(act), start=1):
        rows.append((f"Documento {n}", f"{d.original_name} — SHA-256 {d.sha256_hex}"))
    return rows


def attestation(act: Act, relata: ActEvent) -> str:
    """The Segretario's attestation, in the words of the certificate (TUEL art. 124)."""
    days = (act.published_to - act.published_from).days + 1
    extended = " (compresa la proroga indicata)" if queries.extensions(act) else ""
    return (
        "Il Segretario Generale, visti gli atti d'ufficio, ATTESTA che l'atto sopra indicato è "
        f"stato pubblicato all'Albo pretorio online della Città metropolitana di Milano con il "
        f"numero {act.albo_number}/{act.albo_year} per {days} giorni consecutivi, dal "
        f"{format_date(act.published_from)} al {format_date(act.published_to)}{extended}, ai "
        "sensi dell'art. 124 del D.Lgs. 18 agosto 2000 n. 267 e dell'art. 32 della "
        "L. 18 giugno 2009 n. 69."
    )


def title(act: Act) -> str:
    return f"Referto di pubblicazione n. {act.albo_number}/{act.albo_year}"


def referto_pdf(act: Act, relata: ActEvent) -> bytes:
    """The referto of a publication certified by `relata` (the Segretario's event), as PDF
    bytes (PDF/A-2B when a font can be embedded), to be signed by the Segretario Generale."""
    font = _font()
    pdf = FPDF(enforce_compliance="PDF/A-2B" if font else None)
    if font:
        pdf.add_font("Testo", "", str(font))
        family = "Testo"
    else:
        family = "Helvetica"
    pdf.set_title(title(act))
    pdf.set_subject(act.oggetto)
    pdf.set_author(ENTE)
    pdf.set_creator("workflow — Albo pretorio online")
    pdf.set_keywords(f"referto pubblicazione albo {act.albo_number}/{act.albo_year}")
    pdf.set_lang("it-IT")
    pdf.set_creation_date(relata.recorded_at)
    pdf.add_page()
    pdf.set_font(family, size=13)
    pdf.multi_cell(0, 7, ENTE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, "Albo pretorio online", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, size=15)
    pdf.multi_cell(0, 8, title(act).upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, size=10)
    for label, value in fields(act, relata):
        pdf.multi_cell(0, 5.5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(4)
    pdf.set_font(family, size=11)
    pdf.multi_cell(0, 6, attestation(act, relata), new_x="LMARGIN", new_y="NEXT")
    if relata.data.get("note"):
        pdf.ln(2)
        pdf.multi_cell(0, 6, f"Note: {relata.data['note']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.multi_cell(
        0, 6, f"Milano, {format_instant(relata.recorded_at)}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    pdf.multi_cell(
        0,
        6,
        f"Il Segretario Generale\n{relata.recorded_by.full_name}\n(documento firmato digitalmente)",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


REGISTER_COLUMNS = (
    "Pubblicazione Nr",
    "Tipo",
    "Repertorio Generale",
    "Oggetto",
    "Dal",
    "Al (originario)",
    "Al (dopo proroga)",
    "Stato",
    "Annullamento",
)


def register_rows(acts: Sequence[Act], today: date) -> list[tuple[str, ...]]:
    """One row per publication of the year's register, in the columns REGISTER_COLUMNS."""
    rows = []
    for act in acts:
        record = queries.record(act, today)
        annulment = queries.annulment(act)
        original = queries.original_end(act)
        rows.append(
            (
                record.pubblicazione,
                act_type(act).label,
                record.repertorio,
                record.oggetto,
                record.dal,
                format_date(original),
                record.al if original != act.published_to else "",
                record.stato,
                f"{format_instant(annulment.recorded_at)}: {annulment.data.get('motivazione', '')}"
                if annulment
                else "",
            )
        )
    return rows


def register_csv(acts: Sequence[Act], today: date, form: csvexport.Variant) -> str:
    """The year's register of the Albo as CSV (the one CSV writer: formula cells neutralised)."""
    return csvexport.text(REGISTER_COLUMNS, register_rows(acts, today), form)
