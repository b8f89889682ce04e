"""deadlines, reminders and the mail outbox; the scheduler's job store.

Deadlines are rows derived by rules (source_key UNIQUE, so a rule never makes two); the reminder scan
reads only next_reminder_at (indexed); outbox rows carry a UNIQUE key (deadline, reminder kind, due
instant, user), so a restarted or second scheduler never writes a reminder twice. The APScheduler job
table is created here rather than by APScheduler at start-up, so migrations own the whole schema.

Revision ID: b5d8f2c3e4a5
Revises: f6a1b2c3d4e5
Create Date: 2026-11-25 16:41:37.317984

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d8f2c3e4a5'
down_revision = "f6a1b2c3d4e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)

    op.create_table('mail_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('calendar_token', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_settings_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mail_settings')),
    sa.UniqueConstraint('calendar_token', name=op.f('uq_mail_settings_calendar_token'))
    )
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_time', sa.Time(), nullable=True),
    sa.Column('legal_basis', sa.String(length=200), nullable=False),
    sa.Column('responsible_role', sa.String(length=40), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remind_overdue', sa.Boolean(), nullable=False),
    sa.Column('next_reminder_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_reminder_kind', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(state = 'met') = (met_at IS NOT NULL)", name=op.f('ck_deadlines_met_has_time')),
    sa.CheckConstraint("next_reminder_at IS NULL OR state IN ('open', 'missed')", name=op.f('ck_deadlines_reminders_only_live')),
    sa.CheckConstraint("state IN ('open', 'met', 'missed', 'cancelled')", name=op.f('ck_deadlines_known_state')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], name=op.f('fk_deadlines_procedure_id_procedures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('source_key', name=op.f('uq_deadlines_source_key'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_next_reminder_at'), ['next_reminder_at'], unique=False)
        batch_op.create_index('ix_deadlines_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadlines_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('deadline_assignees',
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_deadline_assignees_deadline_id_deadlines')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deadline_assignees_user_id_users')),
    sa.PrimaryKeyConstraint('deadline_id', 'user_id', name=op.f('pk_deadline_assignees'))
    )
    with op.batch_alter_table('deadline_assignees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_assignees_user_id'), ['user_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('unsubscribe_url', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('smtp_response', sa.Text(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name=op.f('ck_outbox_messages_sent_has_time')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')", name=op.f('ck_outbox_messages_known_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts_non_negative')),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_outbox_messages_deadline_id_deadlines')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_messages_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_deadline_id'), ['deadline_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_due')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_deadline_id'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('deadline_assignees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_assignees_user_id'))

    op.drop_table('deadline_assignees')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlines_procedure_id'))
        batch_op.drop_index('ix_deadlines_object')
        batch_op.drop_index(batch_op.f('ix_deadlines_next_reminder_at'))

    op.drop_table('deadlines')
    op.drop_table('mail_settings')
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))

    op.drop_table('apscheduler_jobs')
