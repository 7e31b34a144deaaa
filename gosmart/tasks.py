"""The background task queue (Huey): SQLite next to the database by default, Redis when
REDIS_URL is set, so that several worker processes on several hosts share the work.

Tasks run inside an application context: in a worker process the one `gosmart.worker`
binds; in tests (immediate mode) the caller's own."""
import os
from contextlib import nullcontext

from flask import has_app_context
from huey import RedisHuey, SqliteHuey

from config import INSTANCE_DIR


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("gosmart", url=redis_url)
    os.makedirs(INSTANCE_DIR, exist_ok=True)
    return SqliteHuey("gosmart", filename=os.environ.get("HUEY_SQLITE", str(INSTANCE_DIR / "tasks.db")))


huey = _make_huey()
_worker_app = None


def bind_app(app):
    """Called once by a worker process: the application its tasks run in."""
    global _worker_app
    _worker_app = app


def app_context():
    if has_app_context():
        return nullcontext()
    if _worker_app is None:
        raise RuntimeError("start workers with: huey_consumer gosmart.worker.huey")
    return _worker_app.app_context()
