"""Small query helpers shared by every domain."""
from sqlalchemy import func


def like_escape(text):
    """`text` with LIKE's wildcards taken literally (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text):
    """Case-insensitive "column contains text", the same on SQLite and PostgreSQL."""
    return func.lower(column).like("%" + like_escape(text.lower()) + "%", escape="\\")
