"""daily_registers and daily_register_handovers: the registro giornaliero di protocollo produced
for each day and its hand-over to preservation (DPR 445/2000 art. 53; DPCM 3/12/2013 art. 7 c. 5),
append-only in fact: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), as for the
audit events.

Revision ID: r18giornaliero1
Revises: r17pubblico1
Create Date: 2026-11-30 21:46:50

"""
from alembic import op
import sqlalchemy as sa


revision = 'r18giornaliero1'
down_revision = 'r17pubblico1'
branch_labels = None
depends_on = None

APPEND_ONLY = ("daily_registers", "daily_register_handovers")


def upgrade():
    op.create_table('daily_registers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register', sa.String(length=30), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('produced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('first_number', sa.Integer(), nullable=True),
    sa.Column('last_number', sa.Integer(), nullable=True),
    sa.Column('csv_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_a', sa.Boolean(), nullable=False),
    sa.Column('produced_by', sa.String(length=120), nullable=False),
    sa.CheckConstraint("register IN ('protocollo', 'repertorio_generale', 'albo')", name=op.f('ck_daily_registers_known_register')),
    sa.CheckConstraint('(entries = 0 AND first_number IS NULL AND last_number IS NULL) OR (entries > 0 AND first_number IS NOT NULL AND last_number >= first_number)', name=op.f('ck_daily_registers_numbers_match_entries')),
    sa.CheckConstraint('entries >= 0', name=op.f('ck_daily_registers_entries_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_registers')),
    sa.UniqueConstraint('register', 'day', name='uq_daily_registers_register_day')
    )
    op.create_table('daily_register_handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('daily_register_id', sa.Integer(), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('target', sa.String(length=1000), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('csv_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('handed_over_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['daily_register_id'], ['daily_registers.id'], name=op.f('fk_daily_register_handovers_daily_register_id_daily_registers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_register_handovers')),
    sa.UniqueConstraint('daily_register_id', name='uq_daily_register_handovers_daily_register_id')
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION daily_register_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ': ' || TG_OP "
            "|| ' vietato, il registro giornaliero è in sola aggiunta'; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION daily_register_append_only()"
            )
            # Row triggers do not see TRUNCATE: a statement trigger does.
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION daily_register_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table}: {verb} vietato, il registro "
                    "giornaliero è in sola aggiunta'); END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS daily_register_append_only()")
    else:
        for table in APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.drop_table('daily_register_handovers')
    op.drop_table('daily_registers')
