"""The task worker's entry point: `huey_consumer gosmart.worker.huey -w 2`."""
from . import create_app
from .tasks import bind_app, huey  # noqa: F401  (huey_consumer imports it from here)

app = create_app()
bind_app(app)
