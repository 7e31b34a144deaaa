"""names and titles already stored lose their bidi controls, zero-width and other invisible characters

Since this revision every name and title field cleans what is typed (gosmart/text.py); the rows
written before are cleaned once, here, with the same function — so that a certificate holder
stored as "Dr. Eve \u202etsilaicepS\u202c" no longer shows as "Dr. Eve Specialist" on the
public verification page. Only rows whose value changes are written. (The function is imported
from the application on purpose: it is the one rule, and it only ever removes characters.)

Revision ID: 0013_clean_names
Revises: 0012_bulk_job_email_links
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

from gosmart.text import clean_line


revision = '0013_clean_names'
down_revision = '0012_bulk_job_email_links'
branch_labels = None
depends_on = None

# table: the one-line names and titles it holds
COLUMNS = {
    "users": ("name",),
    "organizations": ("name", "name_local", "contact_name"),
    "applications": ("name", "name_local", "contact_name", "contact_title"),
    "honorary_members": ("title", "affiliation"),
    "assemblies": ("title", "venue", "city"),
    "registrations": ("name", "title"),
    "mous": ("title", "partner_name", "signing_place"),
    "mou_signatories": ("name", "title"),
    "committees": ("name", "chair_person"),
    "committee_members": ("person_name",),
    "meetings": ("place",),
    "certificates": ("holder_name", "holder_name_local", "subject"),
}
UNIQUE = {("committees", "name")}


def upgrade():
    connection = op.get_bind()
    for table_name, columns in COLUMNS.items():
        table = sa.table(table_name, sa.column("id"), *(sa.column(c) for c in columns))
        changes = []
        for row in connection.execute(sa.select(table)).mappings():
            cleaned = {c: clean_line(row[c]) for c in columns if row[c] is not None}
            changed = {c: v for c, v in cleaned.items() if v != row[c] and v}  # never made empty
            if changed:
                changes.append((row["id"], changed))
        for row_id, changed in changes:
            for column in [c for c in changed if (table_name, c) in UNIQUE]:
                taken = connection.execute(sa.select(sa.func.count()).select_from(table).where(
                    table.c[column] == changed[column], table.c.id != row_id)).scalar()
                if taken:
                    del changed[column]  # the clean name is another row's: left as it is
            if changed:
                connection.execute(table.update().where(table.c.id == row_id).values(**changed))


def downgrade():
    pass  # the characters removed were invisible, and are not kept
