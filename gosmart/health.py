"""Readiness: is this instance fit to take traffic? The database answers, Redis answers
(when configured), and the database schema is at the migrations' head."""
import logging

import redis
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from .extensions import db

logger = logging.getLogger("gosmart.health")


def _heads(app):
    """The revisions the migration scripts end at, read once per process."""
    heads = app.extensions.get("gosmart_migration_heads")
    if heads is None:
        config = app.extensions["migrate"].migrate.get_config()
        heads = frozenset(ScriptDirectory.from_config(config).get_heads())
        app.extensions["gosmart_migration_heads"] = heads
    return heads


def check_database():
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        db.session.rollback()
        logger.warning("readiness: database unreachable", exc_info=True)
        return "unreachable"


def check_migrations():
    """"ok", or what is wrong: the database's alembic_version against the scripts' head."""
    try:
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:
        db.session.rollback()
        return "not migrated (run: flask db upgrade)"
    expected = _heads(current_app)
    if current == expected:
        return "ok"
    return f"at {', '.join(sorted(current)) or 'nothing'}, head is {', '.join(sorted(expected))} (run: flask db upgrade)"


def _redis_client(app):
    client = app.extensions.get("gosmart_redis")
    if client is None:
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
        app.extensions["gosmart_redis"] = client
    return client


def check_redis():
    if not current_app.config.get("REDIS_URL"):
        return "not configured"
    try:
        _redis_client(current_app).ping()
        return "ok"
    except Exception:
        logger.warning("readiness: Redis unreachable", exc_info=True)
        return "unreachable"


def readiness():
    """(ready, details) — details names each check and its verdict."""
    details = {"database": check_database()}
    details["migrations"] = check_migrations() if details["database"] == "ok" else "unknown"
    details["redis"] = check_redis()
    ready = details["database"] == "ok" and details["migrations"] == "ok" and details["redis"] in ("ok", "not configured")
    details["status"] = "ok" if ready else "unavailable"
    return ready, details
