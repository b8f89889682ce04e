"""The one CSV writer of every export (contributions, daily registers, audit trail).

A cell that a spreadsheet would read as a formula is neutralised (OWASP "CSV injection"): one
starting with `=`, `+`, `-`, `@`, `|` or `%` is prefixed with `'` by `defusedcsv` (plain negative
numbers such as `-12` are left alone), and one starting with a tab or a carriage return gets the
same `'`, which `defusedcsv` does not add. Rows end with CRLF (RFC 4180).

Two variants of the same rows:
- `PLAIN`: comma-separated UTF-8, for programs and archives;
- `EXCEL`: semicolon-separated UTF-8 with a byte-order mark, what Excel with Italian regional
  settings opens by double click with accents intact (without the BOM it guesses Windows-1252,
  and with commas it puts each row into one column, since `,` is the Italian decimal separator).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from defusedcsv import csv as defused
from flask import Response

from workflow.core.errors import BadRequest
from workflow.core.web import attachment


@dataclass(frozen=True)
class Variant:
    """How the rows are written: the separator, whether a BOM opens the file, the file suffix."""

    code: str
    delimiter: str
    bom: bool
    suffix: str


PLAIN = Variant(code="csv", delimiter=",", bom=False, suffix="")
EXCEL = Variant(code="excel", delimiter=";", bom=True, suffix="-excel")
VARIANTS = {v.code: v for v in (PLAIN, EXCEL)}
# The query parameter that asks for a variant: `?formato=excel`.
PARAMETER = "formato"

Cell = object
BOM = "\ufeff"
# Leading characters that make Excel or LibreOffice start a formula or a new cell and that
# defusedcsv leaves alone.
_LEADING_CONTROLS = ("\t", "\r")


def variant(code: str | None) -> Variant:
    """The variant a `formato` value names; absent or empty means PLAIN. Raises BadRequest."""
    if not code:
        return PLAIN
    try:
        return VARIANTS[code]
    except KeyError:
        raise BadRequest(f"Formato non previsto: «{code}» (usare csv o excel).") from None


def _cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_LEADING_CONTROLS):
        return "'" + value
    return value


def lines(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], form: Variant = PLAIN
) -> Iterator[str]:
    """The CSV one row at a time (header first, the BOM before it in EXCEL), for streaming.

    Cells are str, numbers or None (written empty); every cell is neutralised as described above.
    """
    buffer = io.StringIO()
    writer = defused.writer(buffer, delimiter=form.delimiter, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([_cell(c) for c in header])
    yield (BOM if form.bom else "") + take()
    for row in rows:
        writer.writerow([_cell(c) for c in row])
        yield take()


def text(header: Sequence[str], rows: Iterable[Sequence[Cell]], form: Variant = PLAIN) -> str:
    """The whole CSV as one string (see `lines`)."""
    return "".join(lines(header, rows, form))


def download(body: str | Iterable[str], stem: str, form: Variant = PLAIN) -> Response:
    """A CSV download named `<stem>.csv` (`<stem>-excel.csv` for EXCEL). Flask writes the
    `charset=utf-8` of `text/csv` once; `body` may be an iterator (streamed)."""
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = attachment(f"{stem}{form.suffix}.csv")
    return response
