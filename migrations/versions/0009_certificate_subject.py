"""certificates.subject holds an assembly's whole title, city and date (up to 314 characters)

Revision ID: 0009_certificate_subject
Revises: 0008_locale
Create Date: 2026-11-26 13:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_certificate_subject'
down_revision = '0008_locale'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=300), type_=sa.String(length=400),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=400), type_=sa.String(length=300),
                              existing_nullable=False)
