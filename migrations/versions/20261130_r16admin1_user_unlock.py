"""users.failures_cleared_at: an administrator unlocks an account locked by failed logins.

Revision ID: r16admin1
Revises: a9c4e2b7d1f0
Create Date: 2026-11-30 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'r16admin1'
down_revision = 'a9c4e2b7d1f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures_cleared_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('failures_cleared_at')
