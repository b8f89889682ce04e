"""codice fiscale of users; what a signature check found beyond integrity (issue 17).

users.codice_fiscale: how a signature is matched to its signer (the certificate's TINIT-…).
document_signatures: the signer's codice fiscale from the certificate, whether what was changed
after the signature is allowed by it (NULL on rows validated before this check was recorded:
they must be uploaded again to be published), and whether trust roots were configured when it
was validated (a row trusted then was checked against them).

Revision ID: r17firme1
Revises: r16admin1
Create Date: 2026-11-30 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'r17firme1'
down_revision = 'r16admin1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('codice_fiscale', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_codice_fiscale'), ['codice_fiscale'])

    with op.batch_alter_table('document_signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('codice_fiscale', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('modification_ok', sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column('trust_checked', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # A chain found trusted was checked against configured roots.
    op.execute(sa.text("UPDATE document_signatures SET trust_checked = trusted"))


def downgrade():
    with op.batch_alter_table('document_signatures', schema=None) as batch_op:
        batch_op.drop_column('trust_checked')
        batch_op.drop_column('modification_ok')
        batch_op.drop_column('codice_fiscale')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_codice_fiscale'), type_='unique')
        batch_op.drop_column('codice_fiscale')
