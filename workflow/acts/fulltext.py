"""Search by words on the Albo: the database's own full-text search, accent- and case-insensitive.

PostgreSQL: a GIN index on `to_tsvector('albo_italiano', …)`, a copy of the `italian` text search
configuration whose words pass first through `unaccent` (the contrib extension, trusted since
PostgreSQL 13, so the database's owner installs it) and then through the Italian Snowball stemmer:
"Città" and "citta", "piano" and "piani" meet, "del" is a stop word. The index is on an
expression of the row, so it is never out of step with it.

SQLite: an FTS5 table `acts_fts` (tokenizer unicode61 with `remove_diacritics 2`: case and
accents folded, no stemmer in SQLite), one row per act with the act's id as rowid, written by
triggers on `acts`. The same Italian articles and prepositions are dropped from the words asked,
so that "piano di monitoraggio" finds "MONITORAGGIO DEL PIANO" on both databases.

Both are made by migration r17pubblico1. Indexed: oggetto, proponente, materia and the act's
numbers (Albo, Repertorio Generale, Protocollo: number and year as separate words, without the
protocol's leading zeros, so "0032556/2025", "32556/2025" and "32556" all find it). Every word
asked must be there, in any order (AND).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, false, literal_column, text
from sqlalchemy.sql import func

from workflow.acts.models import Act
from workflow.core.database import dialect

CONFIGURATION = "albo_italiano"
FTS_TABLE = "acts_fts"
PG_INDEX = "ix_acts_fulltext"
# The indexed document on PostgreSQL, as the index declares it (the planner uses the index only
# for this very expression). A "/" would make "1084/2025" one token of the parser's "file" kind.
PG_DOCUMENT = (
    f"to_tsvector('{CONFIGURATION}'::regconfig, translate("
    "oggetto || ' ' || proponente || ' ' || materia"
    " || ' ' || coalesce(albo_number::text, '') || ' ' || coalesce(albo_year::text, '')"
    " || ' ' || coalesce(repertorio_number::text, '') || ' ' || coalesce(repertorio_year::text, '')"
    " || ' ' || coalesce(protocollo_number::text, '') || ' ' || coalesce(protocollo_year::text, '')"
    ", '/', ' '))"
)
# What SQLite's triggers write as the `numeri` column of acts_fts, for a row called `row`.
SQLITE_NUMBERS = (
    "coalesce({row}.albo_number, '') || ' ' || coalesce({row}.albo_year, '')"
    " || ' ' || coalesce({row}.repertorio_number, '') || ' ' || coalesce({row}.repertorio_year, '')"
    " || ' ' || coalesce({row}.protocollo_number, '') || ' ' || coalesce({row}.protocollo_year, '')"
)

# The columns of acts a search may be restricted to (SQLite: columns of acts_fts as well).
COLUMNS = ("oggetto", "proponente", "materia")
# Articles, articulated prepositions and conjunctions a search ignores (PostgreSQL's Italian stop
# list holds these and more; SQLite has none).
_STOP_WORDS = """a ad al allo alla ai agli alle all da dal dallo dalla dai dagli dalle dall
    di del dello della dei degli delle dell in nel nello nella nei negli nelle nell con col coi
    su sul sullo sulla sui sugli sulle sull per tra fra il lo la i gli le l un uno una e ed o od"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
# At most this many words are searched for (the rest of a pasted paragraph is ignored).
MAX_WORDS = 16
_WORD = re.compile(r"\w+")


def words(q: str) -> list[str]:
    """The words of `q` a search looks for: letters and digits, case-folded, numbers without
    leading zeros, stop words dropped, at most MAX_WORDS. Accents are kept (the database folds
    them). Empty when `q` holds nothing but stop words and punctuation."""
    found = []
    for word in _WORD.findall(unicodedata.normalize("NFC", q).casefold()):
        if word.isdecimal() and word.isascii():
            word = str(int(word))
        if word not in STOP_WORDS and word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def matching(q: str, column: str | None = None) -> ColumnElement[bool] | None:
    """SQL: the act holds every word of `q` (in oggetto, proponente, materia or its numbers; in
    `column` only, one of COLUMNS, when given), accents and case ignored. None when `q` is blank
    (no condition), false() when it holds only stop words and punctuation."""
    if column is not None and column not in COLUMNS:
        raise ValueError(f"not an indexed column: {column}")
    if not q.strip():
        return None
    wanted = words(q)
    if not wanted:
        return false()
    if dialect() == "postgresql":
        configuration = literal_column(f"'{CONFIGURATION}'::regconfig")
        query = func.plainto_tsquery(configuration, " ".join(wanted))
        document = (
            func.to_tsvector(configuration, getattr(Act, column))
            if column
            else literal_column(PG_DOCUMENT)
        )
        return document.op("@@")(query)
    # FTS5's query language: each word a quoted string (no operator can be injected), all of
    # them required; "col : word" keeps a word to one column.
    prefix = f"{column} : " if column else ""
    expression = " ".join(f'{prefix}"{w}"' for w in wanted)
    # FTS_TABLE is this module's constant; the words are a bound parameter.
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :words"  # nosec B608
    rows = text(sql).bindparams(words=expression)
    return Act.id.in_(rows)


def is_search_object(name: str | None, type_: str) -> bool:
    """Whether a schema object is the full-text machinery (the FTS5 table and its shadow tables,
    the expression index), which the models do not declare: Alembic's `include_object` leaves
    these out of the models-versus-database comparison."""
    if name is None:
        return False
    return (type_ == "table" and name.startswith(FTS_TABLE)) or (
        type_ == "index" and name == PG_INDEX
    )
