"""indexes for the desk: which milestones of a procedure are recorded, and their planned dates.

The desk orders open procedures by the earliest planned milestone not yet recorded; with these two
covering indexes that is an index lookup per milestone instead of reading the step rows.
No data changes.

Revision ID: e7f1a2b3c4d5
Revises: a4c7e1b2d3f4
Create Date: 2026-11-25 17:40:00

"""
from alembic import op


revision = 'e7f1a2b3c4d5'
down_revision = 'a4c7e1b2d3f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_procedure_steps_procedure_milestone',
        'procedure_steps',
        ['procedure_id', 'milestone_code'],
        unique=False,
    )
    op.create_index(
        'ix_milestones_procedure_planned',
        'milestones',
        ['procedure_id', 'planned_date', 'code'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_milestones_procedure_planned', table_name='milestones')
    op.drop_index('ix_procedure_steps_procedure_milestone', table_name='procedure_steps')
