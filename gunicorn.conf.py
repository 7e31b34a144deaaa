"""gunicorn settings for gosmart: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value comes from the environment (README, "Deploying"):
  BIND / PORT          where to listen: BIND="127.0.0.1:8000" (default), or PORT alone (127.0.0.1:$PORT);
                       several addresses separated by commas. Behind a load balancer on another host,
                       bind the host's private address (and set PROXY_FIX=1).
  WEB_CONCURRENCY      worker processes; default 2 × cores + 1, at most 12
  GUNICORN_THREADS     threads per worker (1)
  GUNICORN_TIMEOUT     seconds a request may take before its worker is replaced (60: a PDF may take 20)
  GUNICORN_ACCESS_LOG  "-" for gunicorn's own access line on stdout; off by default, because the
                       application writes one JSON line per request (with the user and request id)
  GUNICORN_CONTROL_SOCKET  a path for gunicornc's control socket (off by default: one path per user
                       would be shared by every instance of the host)
  GUNICORN_PRELOAD     import the application once in the master (1, the default): faster start,
                       less memory, an import error stops the start. Restart (not HUP) to load new code.

In production (GOSMART_ENV=production) it refuses to start when rate limits would be counted in
each process's memory (no REDIS_URL): set REDIS_URL, or ALLOW_MEMORY_RATELIMIT=1 knowingly.
"""
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # config.py, wherever gunicorn starts
from config import CONFIGS  # noqa: E402


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_bind():
    if os.environ.get("BIND"):
        return [address.strip() for address in os.environ["BIND"].split(",") if address.strip()]
    return [f"127.0.0.1:{_int('PORT', 8000)}"]


bind = _default_bind()
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # a deploy lets requests in flight finish
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # longer than none, shorter than the load balancer's idle timeout
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)  # workers are replaced now and then (memory)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip().lower() in {"1", "true", "yes", "on"}
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeats off the disk

# Logs: errors to stderr; the optional access line names the request id, which is also in the
# application's JSON line, on error pages and in audit entries.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = ('%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s '
                     'referer="%(f)s" agent="%(a)s"')
proc_name = "gosmart"
# gunicorn's control socket (gunicornc) is one path per user by default: several instances on a
# host would take each other's. Off, unless GUNICORN_CONTROL_SOCKET names a path for this one.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None


def on_starting(server):
    """Refuse a production start that would keep rate limits in each worker's memory."""
    env = os.environ.get("GOSMART_ENV", "development")
    settings = CONFIGS.get(env)
    if env != "production" or settings is None:
        return
    if settings.RATELIMIT_STORAGE_URI.startswith("memory") and not settings.ALLOW_MEMORY_RATELIMIT:
        raise SystemExit(
            "gosmart: refusing to start in production with rate limits in process memory: every worker "
            "would count on its own. Set REDIS_URL=redis://host:6379/0 (shared by all workers and hosts), "
            "or ALLOW_MEMORY_RATELIMIT=1 if you really run one process.")


def when_ready(server):
    """With preload_app, the application is loaded in this master process: warm it here, once,
    for every worker it forks (gosmart/warmup.py)."""
    app = server.app.wsgi() if preload_app else None
    if getattr(app, "import_name", None) == "gosmart":  # not another app served with these settings
        from gosmart.warmup import warm_up
        warm_up(app)
