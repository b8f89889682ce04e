"""full-text search of the Albo by words (issue 17): on PostgreSQL the `unaccent` extension, a
text search configuration `albo_italiano` (italian, words unaccented before stemming) and a GIN
index on the acts' document; on SQLite an FTS5 table `acts_fts` kept by triggers on `acts`.

The document (oggetto, proponente, materia, the numbers) is copied here as it is in
workflow/acts/fulltext.py at this revision: a migration does not change with the code.

Revision ID: r17pubblico1
Revises: r17firme1
Create Date: 2026-11-30 22:00:00

"""
from alembic import op


revision = 'r17pubblico1'
down_revision = 'r17firme1'
branch_labels = None
depends_on = None

CONFIGURATION = "albo_italiano"
PG_DOCUMENT = (
    f"to_tsvector('{CONFIGURATION}'::regconfig, translate("
    "oggetto || ' ' || proponente || ' ' || materia"
    " || ' ' || coalesce(albo_number::text, '') || ' ' || coalesce(albo_year::text, '')"
    " || ' ' || coalesce(repertorio_number::text, '') || ' ' || coalesce(repertorio_year::text, '')"
    " || ' ' || coalesce(protocollo_number::text, '') || ' ' || coalesce(protocollo_year::text, '')"
    ", '/', ' '))"
)
SQLITE_NUMBERS = (
    "coalesce({row}.albo_number, '') || ' ' || coalesce({row}.albo_year, '')"
    " || ' ' || coalesce({row}.repertorio_number, '') || ' ' || coalesce({row}.repertorio_year, '')"
    " || ' ' || coalesce({row}.protocollo_number, '') || ' ' || coalesce({row}.protocollo_year, '')"
)
INDEXED = (
    "oggetto, proponente, materia, albo_number, albo_year, repertorio_number, repertorio_year, "
    "protocollo_number, protocollo_year"
)


def _sqlite_insert(row: str) -> str:
    numbers = SQLITE_NUMBERS.format(row=row)
    return (
        "INSERT INTO acts_fts(rowid, oggetto, proponente, materia, numeri) VALUES "
        f"({row}.id, {row}.oggetto, {row}.proponente, {row}.materia, {numbers});"
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIGURATION} (COPY = pg_catalog.italian)")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIGURATION} "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, italian_stem"
        )
        op.execute(f"CREATE INDEX ix_acts_fulltext ON acts USING gin (({PG_DOCUMENT}))")
        return
    op.execute(
        "CREATE VIRTUAL TABLE acts_fts USING fts5("
        "oggetto, proponente, materia, numeri, tokenize = 'unicode61 remove_diacritics 2')"
    )
    numbers = SQLITE_NUMBERS.format(row="acts")
    op.execute(
        "INSERT INTO acts_fts(rowid, oggetto, proponente, materia, numeri) "
        f"SELECT id, oggetto, proponente, materia, {numbers} FROM acts"
    )
    op.execute(
        f"CREATE TRIGGER acts_fts_insert AFTER INSERT ON acts BEGIN {_sqlite_insert('new')} END"
    )
    op.execute(
        f"CREATE TRIGGER acts_fts_update AFTER UPDATE OF {INDEXED} ON acts BEGIN "
        f"DELETE FROM acts_fts WHERE rowid = old.id; {_sqlite_insert('new')} END"
    )
    op.execute(
        "CREATE TRIGGER acts_fts_delete AFTER DELETE ON acts BEGIN "
        "DELETE FROM acts_fts WHERE rowid = old.id; END"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_acts_fulltext")
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIGURATION}")
        # The extension stays: other objects of the database may have come to use it.
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS acts_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS acts_fts")
