"""language choice: the language each user chose (users.locale, empty for the browser's) and the
language each kind of certificate is issued in (certificate_settings; no row means English)

Revision ID: 0008_locale
Revises: 0006_minutes
Create Date: 2026-11-26 11:07:21.518893

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_locale'
down_revision = '0006_minutes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_settings',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_certificate_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_certificate_settings'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')

    op.drop_table('certificate_settings')
