"""honorary memberships can be revoked by the secretariat, with the reason and the moment

Revision ID: 0013_honorary_revocation
Revises: 0013_clean_names
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013_honorary_revocation'
down_revision = '0013_clean_names'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('honorary_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('honorary_members', schema=None) as batch_op:
        batch_op.drop_column('revoke_reason')
        batch_op.drop_column('revoked_at')
