"""act_documents: roles (non pubblicabile, omissis of an original, referto), the Albo's choice of
what is published, and withdrawal before publication (issue 17: never deleted).

Revision ID: r17albo1
Revises: r18rettifica1
Create Date: 2026-11-30 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'r17albo1'
down_revision = 'r18rettifica1'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('atto', 'allegato')"
NEW_KINDS = "kind IN ('atto', 'allegato', 'non_pubblicabile', 'omissis', 'referto')"


def upgrade():
    with op.batch_alter_table('act_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('original_id', sa.Integer(), nullable=True))
        # Documents of acts already published were all listed on the Albo: they stay published.
        batch_op.add_column(
            sa.Column('published', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_act_documents_original_id_act_documents'),
            'act_documents', ['original_id'], ['id'],
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_act_documents_withdrawn_by_id_users'), 'users', ['withdrawn_by_id'], ['id']
        )
        batch_op.drop_constraint(batch_op.f('ck_act_documents_known_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_act_documents_known_kind'), NEW_KINDS)
        batch_op.create_check_constraint(
            batch_op.f('ck_act_documents_omissis_has_original'),
            "(kind = 'omissis' AND original_id IS NOT NULL) "
            "OR (kind <> 'omissis' AND original_id IS NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_act_documents_withdrawal_complete'),
            "(withdrawn_at IS NULL AND withdrawn_by_id IS NULL AND withdrawn_reason IS NULL) "
            "OR (withdrawn_at IS NOT NULL AND withdrawn_by_id IS NOT NULL "
            "AND withdrawn_reason IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_act_documents_withdrawn_unpublished'),
            "NOT (published AND withdrawn_at IS NOT NULL)",
        )
    # Before this revision every document of a published act was public.
    op.execute(
        "UPDATE act_documents SET published = TRUE WHERE act_id IN (SELECT id FROM acts "
        "WHERE albo_number IS NOT NULL)"
    )


def downgrade():
    # The old schema knows two roles only: what it cannot express goes back to "allegato".
    op.execute(
        "UPDATE act_documents SET kind = 'allegato', original_id = NULL WHERE kind <> 'atto'"
    )
    with op.batch_alter_table('act_documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_act_documents_withdrawn_unpublished'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_act_documents_withdrawal_complete'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_act_documents_omissis_has_original'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_act_documents_known_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_act_documents_known_kind'), OLD_KINDS)
        batch_op.drop_constraint(batch_op.f('fk_act_documents_withdrawn_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_act_documents_original_id_act_documents'), type_='foreignkey'
        )
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('published')
        batch_op.drop_column('original_id')
