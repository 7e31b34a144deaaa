"""The background task queue (Huey): SQLite next to the database by default, Redis when
REDIS_URL is set, so that several worker processes on several hosts share the work.

Tasks run inside an application context: in a worker process the one `gosmart.worker`
binds; in tests (immediate mode) the caller's own.

A task is lost neither when Redis is down (the web process keeps the job in the database and
the workers wait for Redis to return) nor when its worker stops: one stopped by a signal
(a deploy, `kill`) puts its task back in the queue, and a job whose worker died without a
word is found by its lack of progress (see checkin/resume.py)."""
import logging
import os
from contextlib import nullcontext

from flask import has_app_context
from huey import RedisHuey, SqliteHuey
from huey.signals import SIGNAL_INTERRUPTED
from redis import ConnectionPool

from config import INSTANCE_DIR


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        # Fail fast when Redis is unreachable, rather than hang a web request.
        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=2, health_check_interval=30)
        return RedisHuey("gosmart", connection_pool=pool)
    os.makedirs(INSTANCE_DIR, exist_ok=True)
    return SqliteHuey("gosmart", filename=os.environ.get("HUEY_SQLITE", str(INSTANCE_DIR / "tasks.db")))


huey = _make_huey()
_worker_app = None
logger = logging.getLogger("gosmart.tasks")


@huey.signal(SIGNAL_INTERRUPTED)
def _requeue_interrupted(signal, task, *args, **kwargs):
    """The worker was stopped before the task finished: queue it again (every task is idempotent)."""
    logger.warning("task %s interrupted by the worker's shutdown: queued again", task)
    huey.enqueue(task)


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
