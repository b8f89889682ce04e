"""The one normalisation of what users type, for every area: text, integers and dates.

Every text value is either single-line (oggetto, titles, names, numbers, addresses) or multi-line
(notes, summaries, testo). Single-line: tabs and no-break spaces become spaces, other control
characters are refused; multi-line: CR/LF and tabs kept, other control characters refused; NUL is
refused everywhere (PostgreSQL cannot store it). Lengths are the column's, integers the column's
range, dates a sane window. The JSON API's schemas and the forms use the same bounds; the database
guard in `core/database.py` applies them to every value assigned to a column, so no path can
skip them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from workflow.core.errors import InvalidData

# PostgreSQL INTEGER (every id and counter column of the schema), and BIGINT.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
# Dates a procedure of the Città metropolitana can cite or plan: far wider than any real act, far
# narrower than what overflows date arithmetic (date.max + 1 day) or the holiday calendar.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
# A multi-line column without a length of its own (TEXT) takes at most this many characters,
# unless it declares `info={"max_length": N}`: a note, a summary, an outcome, not a book.
TEXT_MAX = 10_000
# JSON bodies nest at most this deep (the deepest real body is 3 levels).
JSON_MAX_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"[\t\u00a0\u2007\u202f]")
# Never in any text: C0 and C1 controls (but what multi-line text keeps), DEL, the bidirectional
# overrides and isolates that make "fdp.exe" read as "exe.pdf", lone UTF-16 surrogates (a JSON
# "\\ud800" escape: no UTF-8 encoding exists) and the noncharacters U+FFFE/U+FFFF.
_NEVER = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
SINGLE_LINE_BAD = re.compile(f"[\x00-\x1f\u2028\u2029{_NEVER}]")
MULTI_LINE_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_NEVER}]")


def _describe(char: str) -> str:
    if char == "\x00":
        return "un carattere nullo"
    if char in "\r\n\u2028\u2029":
        return "un a capo (il campo è di una sola riga)"
    if "\ud800" <= char <= "\udfff" or char in "\ufffe\uffff":
        return f"un carattere non valido (U+{ord(char):04X})"
    return f"un carattere di controllo (U+{ord(char):04X})"


def clean_text(value: Any, label: str, *, max_length: int | None, multiline: bool = False) -> str:
    """`value` as the tracker stores it: single-line text with tabs/NBSP turned into spaces, or
    multi-line text as typed (line breaks and tabs kept). Raises InvalidData (422) naming `label`
    when it is not a string, holds NUL or a control character the kind of field does not allow,
    or is longer than `max_length` characters (after normalisation; None = no limit)."""
    if not isinstance(value, str):
        raise InvalidData(f"«{label}»: è atteso un testo.")
    if multiline:
        text = value
        bad = MULTI_LINE_BAD.search(text)
    else:
        text = _SPACES.sub(" ", value)
        bad = SINGLE_LINE_BAD.search(text)
    if bad:
        raise InvalidData(f"«{label}» contiene {_describe(bad.group())}: correggilo e riprova.")
    if max_length is not None and len(text) > max_length:
        raise InvalidData(
            f"«{label}» è troppo lungo: al massimo {max_length} caratteri ({len(text)} inseriti)."
        )
    return text


def made_safe(value: str, *, max_length: int | None, multiline: bool = False) -> str:
    """Text the system itself writes from outside sources (a certificate's subject, an SMTP reply,
    an exception): never refused, every character the kind of field forbids replaced by U+FFFD,
    cut to `max_length`."""
    bad = MULTI_LINE_BAD if multiline else SINGLE_LINE_BAD
    return fit(bad.sub("\ufffd", value), max_length)


def fit(text: str, max_length: int | None) -> str:
    """`text` cut to `max_length` characters, ending with "…" when cut (None: as it is). For text
    the system composes from what users typed (a deadline's title from a procedure's, a mail's
    subject from a deadline's), which may be longer than its own column."""
    if max_length is None or len(text) <= max_length:
        return text
    return text[: max_length - 1].rstrip() + "…"


def json_leaves(value: Any) -> Iterator[Any]:
    """Every key and scalar of a JSON value (str, number, bool, None), nested ones included,
    without recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        else:
            yield item


def json_fault(value: Any) -> str | None:
    """What no JSON value may carry anywhere, keys included: NUL in a string, or an integer no
    database column can hold (past 64 bits). The Italian description, or None when clean."""
    for leaf in json_leaves(value):
        if isinstance(leaf, str) and "\x00" in leaf:
            return "un carattere nullo (U+0000)"
        if isinstance(leaf, str) and _SURROGATE.search(leaf):
            return "un carattere non valido (un surrogato UTF-16 isolato)"
        if isinstance(leaf, int) and not BIGINT_MIN <= leaf <= BIGINT_MAX:
            return "un numero intero fuori da ogni intervallo ammesso (oltre 64 bit)"
    return None


def check_int(value: Any, label: str, *, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """`value` if it is an integer (not a boolean) within [low, high]. Raises InvalidData."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidData(f"«{label}»: deve essere un numero intero.")
    if not low <= value <= high:
        raise InvalidData(f"«{label}»: {value} è fuori dall'intervallo ammesso ({low}–{high}).")
    return value


def out_of_range(value: date) -> str | None:
    """Why `value` is not a date the tracker takes ("31/12/9999 è fuori dall'intervallo ammesso
    (01/01/1900–31/12/2100)"), or None within DATE_MIN..DATE_MAX."""
    if DATE_MIN <= value <= DATE_MAX:
        return None
    return (
        f"{value.day:02d}/{value.month:02d}/{value.year:04d} è fuori dall'intervallo ammesso "
        f"({DATE_MIN:%d/%m/%Y}–{DATE_MAX:%d/%m/%Y})"
    )


def check_date(value: date, label: str) -> date:
    """`value` if within DATE_MIN..DATE_MAX. Raises InvalidData naming `label`."""
    problem = out_of_range(value)
    if problem:
        raise InvalidData(f"«{label}»: {problem}.")
    return value
