"""index deadlines by kind and state: the live annual updates a new triennio's avvio meets.

Every sync of a procedure past its avvio looks for the live annual-update deadlines of the earlier
trienni of its kind; without this index PostgreSQL read the whole deadlines table to find them
(a sequential scan, 6 ms at 50,000 deadlines, growing with every act and procedure).
No data changes.

Revision ID: f3b9c1d2e6a7
Revises: d8e2f3a4b5c6
Create Date: 2026-11-26 03:40:00

"""
from alembic import op


revision = 'f3b9c1d2e6a7'
down_revision = 'd8e2f3a4b5c6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_deadlines_kind_state', 'deadlines', ['kind', 'state'], unique=False)


def downgrade():
    op.drop_index('ix_deadlines_kind_state', table_name='deadlines')
