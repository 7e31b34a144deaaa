"""badge sheets made by the task worker, with their progress

Revision ID: 0016_badge_sheets
Revises: 0015_files
Create Date: 2026-12-02 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_badge_sheets'
down_revision = '0015_files'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'badge_sheets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assembly_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('stored_name', sa.String(length=100), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_badge_sheets_state')),
        sa.ForeignKeyConstraint(['assembly_id'], ['assemblies.id'], name=op.f('fk_badge_sheets_assembly_id_assemblies')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_badge_sheets_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_sheets')),
    )
    with op.batch_alter_table('badge_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_sheets_assembly_id'), ['assembly_id'], unique=False)


def downgrade():
    with op.batch_alter_table('badge_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_sheets_assembly_id'))
    op.drop_table('badge_sheets')
