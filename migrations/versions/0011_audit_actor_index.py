"""audit log: one person's entries, newest first, through an index on (actor_email, id)

Revision ID: 0011_audit_actor_index
Revises: 0010_links_to_assemblies
Create Date: 2026-11-26 13:40:00

"""
from alembic import op


revision = '0011_audit_actor_index'
down_revision = '0010_links_to_assemblies'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_actor_email', ['actor_email', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_actor_email')
