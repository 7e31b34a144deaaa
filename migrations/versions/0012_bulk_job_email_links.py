"""bulk jobs keep whether each attendee is emailed a link, so a resumed job sends the same emails

Revision ID: 0012_bulk_job_email_links
Revises: 0011_audit_actor_index
Create Date: 2026-11-26 14:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_bulk_job_email_links'
down_revision = '0011_audit_actor_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate_bulk_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_links', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('certificate_bulk_jobs', schema=None) as batch_op:
        batch_op.drop_column('email_links')
