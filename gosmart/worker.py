"""The task worker's entry point: `huey_consumer gosmart.worker.huey -w 2`.

Besides the queued tasks, the workers run the check for bulk jobs that stopped moving
(checkin/resume.py): when the consumer starts and every HUEY_PERIODIC_SECONDS (60 s)."""
import os

from huey.consumer import Scheduler

from . import create_app
from .checkin import resume  # noqa: F401  (registers the periodic check)
from .tasks import bind_app, huey  # noqa: F401  (huey_consumer imports it from here)

app = create_app()
bind_app(app)
# How often the scheduler enqueues the periodic tasks (Huey's own default; tests shorten it).
Scheduler.periodic_task_seconds = int(os.environ.get("HUEY_PERIODIC_SECONDS", 60))
