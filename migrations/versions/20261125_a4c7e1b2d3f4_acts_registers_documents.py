"""acts, registers and documents: decrees and delibere with their events, the gapless register
counters and entries (protocollo, repertorio generale, albo), signed PDFs with their SHA-256 and
the PAdES signatures found in them.

Revision ID: a4c7e1b2d3f4
Revises: a9b8c7d6e5f4
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c7e1b2d3f4'
down_revision = 'a9b8c7d6e5f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('register_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=1000), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.CheckConstraint("register IN ('protocollo', 'repertorio_generale', 'albo')", name=op.f('ck_register_entries_known_register')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_register_entries_number_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_entries')),
    sa.UniqueConstraint('register', 'year', 'number', name='uq_register_entries_number')
    )
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_entries_registered_at'), ['registered_at'], unique=False)

    op.create_table('register_counters',
    sa.Column('register', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.Column('started_from', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("register IN ('protocollo', 'repertorio_generale', 'albo')", name=op.f('ck_register_counters_known_register')),
    sa.CheckConstraint('last_number >= 0', name=op.f('ck_register_counters_last_number_not_negative')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_register_counters_started_by_id_users')),
    sa.PrimaryKeyConstraint('register', 'year', name=op.f('pk_register_counters'))
    )
    op.create_table('acts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('act_type', sa.String(length=40), nullable=False),
    sa.Column('definition_version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('oggetto', sa.String(length=1000), nullable=False),
    sa.Column('titolario', sa.String(length=20), nullable=False),
    sa.Column('fascicolo_anno', sa.Integer(), nullable=False),
    sa.Column('fascicolo_numero', sa.Integer(), nullable=False),
    sa.Column('proponente', sa.String(length=200), nullable=False),
    sa.Column('materia', sa.String(length=200), nullable=False),
    sa.Column('struttura', sa.String(length=200), nullable=False),
    sa.Column('testo', sa.Text(), nullable=False),
    sa.Column('proposal_sha256', sa.String(length=64), nullable=False),
    sa.Column('proposal_revision', sa.Integer(), nullable=False),
    sa.Column('repertorio_year', sa.Integer(), nullable=True),
    sa.Column('repertorio_number', sa.Integer(), nullable=True),
    sa.Column('repertorio_date', sa.Date(), nullable=True),
    sa.Column('approval_date', sa.Date(), nullable=True),
    sa.Column('protocollo_year', sa.Integer(), nullable=True),
    sa.Column('protocollo_number', sa.Integer(), nullable=True),
    sa.Column('immediately_executable', sa.Boolean(), nullable=False),
    sa.Column('executability_vote', sa.String(length=300), nullable=False),
    sa.Column('albo_year', sa.Integer(), nullable=True),
    sa.Column('albo_number', sa.Integer(), nullable=True),
    sa.Column('publication_days', sa.Integer(), nullable=False),
    sa.Column('published_from', sa.Date(), nullable=True),
    sa.Column('published_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('publication_days >= 1', name=op.f('ck_acts_publication_days_positive')),
    sa.CheckConstraint('published_to IS NULL OR published_to >= published_from', name=op.f('ck_acts_window')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_acts_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_acts_created_by_id_users')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], name=op.f('fk_acts_procedure_id_procedures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acts')),
    sa.UniqueConstraint('albo_year', 'albo_number', name='uq_acts_albo'),
    sa.UniqueConstraint('protocollo_year', 'protocollo_number', name='uq_acts_protocollo'),
    sa.UniqueConstraint('repertorio_year', 'repertorio_number', name='uq_acts_repertorio')
    )
    with op.batch_alter_table('acts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acts_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('act_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('act_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('signature_status', sa.String(length=30), nullable=False),
    sa.CheckConstraint("kind IN ('atto', 'allegato')", name=op.f('ck_act_documents_known_kind')),
    sa.CheckConstraint('size > 0', name=op.f('ck_act_documents_size_positive')),
    sa.ForeignKeyConstraint(['act_id'], ['acts.id'], name=op.f('fk_act_documents_act_id_acts')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_act_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_act_documents'))
    )
    with op.batch_alter_table('act_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_act_documents_act_id'), ['act_id'], unique=False)

    op.create_table('act_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('act_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=40), nullable=False),
    sa.Column('to_state', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('proposal_sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['act_id'], ['acts.id'], name=op.f('fk_act_events_act_id_acts')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_act_events_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_act_events'))
    )
    with op.batch_alter_table('act_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_act_events_act_id'), ['act_id'], unique=False)

    op.create_table('document_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('field_name', sa.String(length=200), nullable=False),
    sa.Column('signer_name', sa.String(length=300), nullable=False),
    sa.Column('signing_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('intact', sa.Boolean(), nullable=False),
    sa.Column('trusted', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['act_documents.id'], name=op.f('fk_document_signatures_document_id_act_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_signatures'))
    )
    with op.batch_alter_table('document_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_signatures_document_id'), ['document_id'], unique=False)



def downgrade():
    with op.batch_alter_table('document_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_signatures_document_id'))

    op.drop_table('document_signatures')
    with op.batch_alter_table('act_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_act_events_act_id'))

    op.drop_table('act_events')
    with op.batch_alter_table('act_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_act_documents_act_id'))

    op.drop_table('act_documents')
    with op.batch_alter_table('acts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acts_procedure_id'))

    op.drop_table('acts')
    op.drop_table('register_counters')
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_entries_registered_at'))

    op.drop_table('register_entries')
