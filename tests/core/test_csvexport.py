"""The one CSV writer: formula cells neutralised, the plain and the Excel variant (BOM and `;`),
one charset in the Content-Type, a download name curl can use."""

from __future__ import annotations

import csv
import io

import pytest

from workflow.core import csvexport
from workflow.core.errors import BadRequest

HEADER = ["numero", "oggetto"]


def read(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x";"clic")', '\'=HYPERLINK("http://x";"clic")'),
        ("+39 02 7740", "'+39 02 7740"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=cmd|' /C calc'!A0", "'=cmd\\|' /C calc'!A0"),
        ("Decreto del Sindaco", "Decreto del Sindaco"),
        ("-12", "-12"),  # a plain negative number stays a number
        ("a = b", "a = b"),  # only the first character matters
    ],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(cell, written) -> None:
    [_, row] = read(csvexport.text(HEADER, [["1", cell]]))
    assert row == ["1", written]


def test_numbers_and_empty_cells_are_written_as_they_are() -> None:
    assert csvexport.text(HEADER, [[-3, None]]) == "numero,oggetto\r\n-3,\r\n"


def test_the_excel_variant_has_a_bom_and_semicolons_the_plain_one_neither() -> None:
    rows = [["0032556", "Approvazione; città"]]
    plain = csvexport.text(HEADER, rows)
    excel = csvexport.text(HEADER, rows, csvexport.EXCEL)
    assert not plain.startswith("\ufeff") and plain.splitlines()[0] == "numero,oggetto"
    assert excel.encode("utf-8").startswith(b"\xef\xbb\xbfnumero;oggetto\r\n")
    assert read(excel.removeprefix("\ufeff"), ";") == [HEADER, rows[0]]


def test_lines_stream_one_row_at_a_time() -> None:
    chunks = list(csvexport.lines(HEADER, iter([["1", "a"], ["2", "b"]]), csvexport.EXCEL))
    assert chunks == ["\ufeffnumero;oggetto\r\n", "1;a\r\n", "2;b\r\n"]


def test_a_variant_is_named_by_the_formato_parameter() -> None:
    assert csvexport.variant(None) is csvexport.PLAIN
    assert csvexport.variant("") is csvexport.PLAIN
    assert csvexport.variant("csv") is csvexport.PLAIN
    assert csvexport.variant("excel") is csvexport.EXCEL
    with pytest.raises(BadRequest, match="Formato non previsto"):
        csvexport.variant("xlsx")


def test_a_download_has_one_charset_and_an_ascii_file_name(app) -> None:
    response = csvexport.download("a,b\r\n", "contributi-3", csvexport.EXCEL)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"contributi-3-excel.csv\"; filename*=UTF-8''contributi-3-excel.csv"
    )
