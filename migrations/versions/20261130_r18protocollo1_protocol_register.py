"""protocol register: registrations (direction, oggetto, correspondents, classification,
documents' SHA-256) and annulments beside the numbered entries; contributions point to their
incoming registration; register entries, act events and the protocol's tables append-only.

DPR 445/2000 art. 53: the registered fields are read-only; art. 54: an entry is annulled, never
edited or deleted. Triggers refuse UPDATE of the registered columns of register_entries (other
columns a later change may add stay writable), UPDATE of anything in act_events and the protocol
tables, DELETE of all of them, and TRUNCATE on PostgreSQL (row triggers do not see it), as the
audit trail's migration c3e9a7f1b2d4 does. Existing contributions get their entry's id.

Revision ID: r18protocollo1
Revises: r18giornaliero1
Create Date: 2026-11-30 21:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'r18protocollo1'
down_revision = 'r18giornaliero1'
branch_labels = None
depends_on = None

# The columns an entry is registered with (workflow/acts/register_models.py: RegisterEntry).
REGISTERED = (
    "id", "register", "year", "number", "registered_at", "object_type", "object_id", "subject",
    "fingerprint",
)
# Tables whose rows are never updated or deleted at all.
WHOLLY = (
    "act_events", "protocol_registrations", "protocol_correspondents", "protocol_documents",
    "protocol_annulments",
)
MESSAGE = "vietato, i dati registrati sono in sola lettura (DPR 445/2000 artt. 53-54)"


def upgrade():
    op.create_table('protocol_annulments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('authorising_act', sa.String(length=300), nullable=False),
    sa.Column('annulled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('annulled_by_id', sa.Integer(), nullable=False),
    sa.Column('annulled_role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['annulled_by_id'], ['users.id'], name=op.f('fk_protocol_annulments_annulled_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'], name=op.f('fk_protocol_annulments_entry_id_register_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_annulments')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_protocol_annulments_entry_id'))
    )
    op.create_table('protocol_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('oggetto', sa.String(length=1000), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('sender_protocol', sa.String(length=60), nullable=False),
    sa.Column('sender_protocol_date', sa.Date(), nullable=True),
    sa.Column('titolario', sa.String(length=20), nullable=True),
    sa.Column('fascicolo_anno', sa.Integer(), nullable=True),
    sa.Column('fascicolo_numero', sa.Integer(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('registered_role', sa.String(length=40), nullable=False),
    sa.CheckConstraint("direction IN ('entrata', 'uscita')", name=op.f('ck_protocol_registrations_known_direction')),
    sa.CheckConstraint('(titolario IS NULL AND fascicolo_anno IS NULL AND fascicolo_numero IS NULL) OR (titolario IS NOT NULL AND fascicolo_anno >= 1900 AND fascicolo_numero >= 1)', name=op.f('ck_protocol_registrations_fascicolo')),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'], name=op.f('fk_protocol_registrations_entry_id_register_entries')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_protocol_registrations_registered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_registrations')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_protocol_registrations_entry_id'))
    )
    op.create_table('protocol_correspondents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('codice_fiscale', sa.String(length=16), nullable=False),
    sa.CheckConstraint("role IN ('mittente', 'destinatario')", name=op.f('ck_protocol_correspondents_known_role')),
    sa.ForeignKeyConstraint(['registration_id'], ['protocol_registrations.id'], name=op.f('fk_protocol_correspondents_registration_id_protocol_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_correspondents'))
    )
    with op.batch_alter_table('protocol_correspondents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_correspondents_registration_id'), ['registration_id'], unique=False)

    op.create_table('protocol_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('principale', 'allegato')", name=op.f('ck_protocol_documents_known_kind')),
    sa.CheckConstraint('size > 0', name=op.f('ck_protocol_documents_size_positive')),
    sa.ForeignKeyConstraint(['registration_id'], ['protocol_registrations.id'], name=op.f('fk_protocol_documents_registration_id_protocol_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_documents'))
    )
    with op.batch_alter_table('protocol_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_documents_registration_id'), ['registration_id'], unique=False)

    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol_entry_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_contributions_protocol_entry_id'), ['protocol_entry_id'])
        batch_op.create_foreign_key(batch_op.f('fk_contributions_protocol_entry_id_register_entries'), 'register_entries', ['protocol_entry_id'], ['id'])
    op.execute(
        "UPDATE contributions SET protocol_entry_id = (SELECT r.id FROM register_entries r "
        "WHERE r.register = contributions.protocol_register "
        "AND r.year = contributions.protocol_year AND r.number = contributions.protocol_number)"
    )
    _create_triggers()


def _create_triggers():
    columns = ", ".join(REGISTERED)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION registered_read_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ': ' || TG_OP "
            f"|| ' {MESSAGE}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER register_entries_read_only BEFORE UPDATE OF {columns} "
            "OR DELETE ON register_entries FOR EACH ROW EXECUTE FUNCTION registered_read_only()"
        )
        for table in ("register_entries", *WHOLLY):
            if table != "register_entries":
                op.execute(
                    f"CREATE TRIGGER {table}_read_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION registered_read_only()"
                )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION registered_read_only()"
            )
        return
    op.execute(
        f"CREATE TRIGGER register_entries_no_update BEFORE UPDATE OF {columns} "
        "ON register_entries BEGIN SELECT RAISE(ABORT, "
        f"'register_entries: UPDATE {MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER register_entries_no_delete BEFORE DELETE ON register_entries "
        f"BEGIN SELECT RAISE(ABORT, 'register_entries: DELETE {MESSAGE}'); END"
    )
    for table in WHOLLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table}: {verb} {MESSAGE}'); END"
            )


def _drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("register_entries", *WHOLLY):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_read_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS registered_read_only()")
        return
    for table in ("register_entries", *WHOLLY):
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def downgrade():
    _drop_triggers()
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contributions_protocol_entry_id_register_entries'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_contributions_protocol_entry_id'), type_='unique')
        batch_op.drop_column('protocol_entry_id')

    with op.batch_alter_table('protocol_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_documents_registration_id'))

    op.drop_table('protocol_documents')
    with op.batch_alter_table('protocol_correspondents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_correspondents_registration_id'))

    op.drop_table('protocol_correspondents')
    op.drop_table('protocol_registrations')
    op.drop_table('protocol_annulments')
