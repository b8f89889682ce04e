"""drop bench_rows: the benchmarks' scratch table leaves the product.

bench/advance.py's bare endpoint wrote its rows here; the bench now creates the table itself on the
database it builds (bench/baseline.py), so production databases no longer carry it. Its rows, if
any, were benchmark throwaways. The downgrade recreates the table as the spine migration made it,
empty.

Revision ID: 014be01c83bc
Revises: f3b9c1d2e6a7
Create Date: 2026-11-30 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '014be01c83bc'
down_revision = 'f3b9c1d2e6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('bench_rows')


def downgrade():
    op.create_table('bench_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bench_rows'))
    )
