"""definition_versions, and the versions of procedures and acts as the hash of a definition file.

Every version of a definition that a procedure or an act started with is stored
(definition_versions); procedures.definition_version and acts.definition_version become text:
the SHA-256 of the definition's canonical content (workflow/definitions/loader.py). The rows
written before hold "1", the version written in Python: it is stored here with the content of
the files that replaced it, unchanged in behaviour, frozen in migrations/frozen/ (the files may
change later; what "1" meant may not).

Revision ID: r19definizioni1
Revises: r17albo1
Create Date: 2026-12-01 02:00:00

"""
from datetime import datetime, timezone
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'r19definizioni1'
down_revision = 'r17albo1'
branch_labels = None
depends_on = None

FROZEN = Path(__file__).resolve().parent.parent / "frozen"
LEGACY = (("psttm", "procedimento", "psttm.yaml"), ("atto", "atto", "atto.yaml"))


def _retyped(table, old_type, new_type, using):
    """Change definition_version's declared type. On SQLite a rebuild of `procedures` or `acts`
    (drop and rename) breaks the foreign keys that point to them inside the migration's
    transaction, where PRAGMA foreign_keys cannot be turned off: the declared type is changed
    in the schema itself instead, the documented way for a change that leaves the stored rows
    valid (sqlite.org/lang_altertable.html, "making other kinds of table schema changes"), and
    the values are then rewritten in the new affinity."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.alter_column(table, "definition_version", type_=new_type, existing_type=old_type,
                        existing_nullable=False, postgresql_using=using)
        return
    declared = {sa.Integer: "INTEGER", sa.String: "VARCHAR(64)"}
    old = f"definition_version {declared[type(old_type)]} NOT NULL"
    new = f"definition_version {declared[type(new_type)]} NOT NULL"
    schema_version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    changed = bind.execute(
        sa.text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                "WHERE type = 'table' AND name = :t AND instr(sql, :old) > 0"),
        {"old": old, "new": new, "t": table},
    ).rowcount
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(schema_version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if changed != 1:
        raise RuntimeError(f"{table}: dichiarazione «{old}» non trovata nello schema")
    cast = "TEXT" if new_type.__class__ is sa.String else "INTEGER"
    op.execute(f"UPDATE {table} SET definition_version = CAST(definition_version AS {cast})")


def upgrade():
    table = op.create_table(
        'definition_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('object', sa.String(length=20), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('source_text', sa.Text(), nullable=False),
        sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_versions')),
        sa.UniqueConstraint('kind', 'version', name='uq_definition_versions_kind'),
    )
    _retyped('procedures', sa.Integer(), sa.String(length=64), 'definition_version::text')
    _retyped('acts', sa.Integer(), sa.String(length=64), 'definition_version::text')
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    for kind, obj, file_name in LEGACY:
        used = bind.execute(
            sa.text(f"SELECT 1 FROM {'acts' if obj == 'atto' else 'procedures'} "  # noqa: S608
                    "WHERE definition_version = '1' LIMIT 1")
        ).first()
        if used is None:
            continue
        content = (FROZEN / f"r19definizioni1_{kind}_v1.json").read_text(encoding="utf-8").strip()
        op.bulk_insert(table, [{
            "kind": kind, "version": "1", "object": obj, "file_name": file_name,
            "content": content,
            "source_text": f"# Versione 1, scritta in Python prima dei file; contenuto equivalente:\n{content}\n",
            "first_used_at": now,
        }])


def downgrade():
    bind = op.get_bind()
    for table in ('procedures', 'acts'):
        hashed = bind.execute(sa.text(
            f"SELECT count(*) FROM {table} WHERE definition_version <> '1'"  # noqa: S608
        )).scalar()
        if hashed:
            raise RuntimeError(
                f"{table}: {hashed} righe su versioni con hash; migrale alla versione 1 prima "
                "di tornare indietro (flask procedures migrate)."
            )
    _retyped('acts', sa.String(length=64), sa.Integer(), 'definition_version::integer')
    _retyped('procedures', sa.String(length=64), sa.Integer(), 'definition_version::integer')
    op.drop_table('definition_versions')
