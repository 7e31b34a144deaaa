"""links to the assembly where something happened: the assembly or meeting at which an MOU was
signed (mous.assembly_id), and the assembly a committee meeting was held at (meetings.assembly_id)

Revision ID: 0010_links_to_assemblies
Revises: 0009_certificate_subject
Create Date: 2026-11-26 13:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_links_to_assemblies'
down_revision = '0009_certificate_subject'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mous', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assembly_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_mous_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_mous_assembly_id_assemblies'), 'assemblies', ['assembly_id'], ['id'])
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assembly_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_meetings_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_meetings_assembly_id_assemblies'), 'assemblies', ['assembly_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_assembly_id_assemblies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_meetings_assembly_id'))
        batch_op.drop_column('assembly_id')
    with op.batch_alter_table('mous', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mous_assembly_id_assemblies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mous_assembly_id'))
        batch_op.drop_column('assembly_id')
