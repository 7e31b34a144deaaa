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


def insert_unless_taken(model, index_elements=None, **values):
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the new `model` object (in the session), or None
    when a unique constraint (on `index_elements`, or any) already holds these values — also when
    another request inserted them a moment ago (PostgreSQL waits for its outcome). The unique
    constraint decides, and nothing else of the transaction is undone. (A savepoint would not do:
    on SQLite, pysqlite commits a savepoint that opens the transaction when it is released.)
    ORM validators and insert events do not run here: give the values as they are to be stored."""
    from_dialect = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    statement = from_dialect[db.engine.dialect.name](model).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=index_elements).returning(model)
    return db.session.scalars(statement).first()
