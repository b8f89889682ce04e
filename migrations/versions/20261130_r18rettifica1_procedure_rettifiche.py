"""procedure_rettifiche: corrections of recorded procedure steps, only ever added (issue 18).

The step row stays as first written; each correction is its own row with who, when and why, and
triggers refuse UPDATE and DELETE on it (and TRUNCATE on PostgreSQL), as on the audit events.

Revision ID: r18rettifica1
Revises: r18protocollo1
Create Date: 2026-11-30 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'r18rettifica1'
down_revision = 'r18protocollo1'
branch_labels = None
depends_on = None

TABLE = "procedure_rettifiche"


def upgrade():
    op.create_table(TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('act_number', sa.String(length=40), nullable=True),
    sa.Column('act_date', sa.Date(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('motivo', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], name=op.f('fk_procedure_rettifiche_procedure_id_procedures')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_procedure_rettifiche_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['step_id'], ['procedure_steps.id'], name=op.f('fk_procedure_rettifiche_step_id_procedure_steps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_rettifiche'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_rettifiche_procedure_id'), ['procedure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedure_rettifiche_step_id'), ['step_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION rettifiche_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ': ' || TG_OP "
            "|| ' vietato, le rettifiche sono in sola aggiunta'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION rettifiche_append_only()"
        )
        # Row triggers do not see TRUNCATE: a statement trigger does.
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION rettifiche_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE}: {verb} vietato, le rettifiche sono "
                "in sola aggiunta'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
        op.execute("DROP FUNCTION IF EXISTS rettifiche_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_rettifiche_step_id'))
        batch_op.drop_index(batch_op.f('ix_procedure_rettifiche_procedure_id'))
    op.drop_table(TABLE)
