"""Small query helpers shared by every domain."""
from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db


def like_escape(text):
    """`text` with LIKE's wildcards taken literally (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text):
    """Case-insensitive "column contains text", the same on SQLite and PostgreSQL."""
    return func.lower(column).like("%" + like_escape(text.lower()) + "%", escape="\\")


def insert_ignoring_conflict(table, index_elements, **values):
    """INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike."""
    from_dialect = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    insert = from_dialect[db.engine.dialect.name]
    return insert(table).values(**values).on_conflict_do_nothing(index_elements=index_elements)
