"""stored files in the database: the files table, content-addressed by SHA-256

A stored name is now the content's ("<sha256>.<ext>"): two rows may name the same file (the same
letter uploaded to two applications), so the names are indexed, no longer unique.

The files an instance kept in UPLOAD_DIR are moved in by `flask files import` (README,
"Deploying"); until then they are still read from UPLOAD_DIR.

Revision ID: 0015_files
Revises: 0014_count_limits
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015_files'
down_revision = '0014_count_limits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_files')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        # Already compressed (PDF, PNG, JPEG, ZIP): kept as they are, so that slices read fast.
        op.execute('ALTER TABLE files ALTER COLUMN data SET STORAGE EXTERNAL')
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.drop_constraint('uq_application_documents_stored_name', type_='unique')
        batch_op.create_index(batch_op.f('ix_application_documents_stored_name'), ['stored_name'], unique=False)
    with op.batch_alter_table('mous', schema=None) as batch_op:
        batch_op.drop_constraint('uq_mous_document_stored_name', type_='unique')
        batch_op.create_index(batch_op.f('ix_mous_document_stored_name'), ['document_stored_name'], unique=False)


def downgrade():
    with op.batch_alter_table('mous', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mous_document_stored_name'))
        batch_op.create_unique_constraint('uq_mous_document_stored_name', ['document_stored_name'])
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_documents_stored_name'))
        batch_op.create_unique_constraint('uq_application_documents_stored_name', ['stored_name'])
    op.drop_table('files')
