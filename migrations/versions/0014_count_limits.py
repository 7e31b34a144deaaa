"""counters that hold count limits under concurrency: an organization's invited representatives
and an application's documents, each moved by a guarded UPDATE (… WHERE n < limit)

Revision ID: 0014_count_limits
Revises: 0013_honorary_revocation
Create Date: 2026-12-01 10:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_count_limits'
down_revision = '0013_honorary_revocation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_representatives', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_count', sa.Integer(), nullable=False, server_default='0'))
    # From what is there now (an organization past the limit keeps its representatives, and invites no more).
    op.execute("UPDATE organizations SET extra_representatives = (SELECT COUNT(*) FROM users "
               "WHERE users.organization_id = organizations.id) - 1 "
               "WHERE (SELECT COUNT(*) FROM users WHERE users.organization_id = organizations.id) > 1")
    op.execute("UPDATE applications SET document_count = (SELECT COUNT(*) FROM application_documents "
               "WHERE application_documents.application_id = applications.id)")


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('document_count')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('extra_representatives')
