"""Logs: one JSON object per line on stdout in production, and one line per request.

The request line carries the request id that the response returns in X-Request-ID and that
error pages and audit entries show, so a user's "Reference: …" finds the line and the entry."""
import json
import logging
import re
import secrets
import sys
import time
from datetime import datetime, timezone

from flask import g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect

REQUEST_LOGGER = "gosmart.request"
# Attributes every LogRecord has; anything else was passed in `extra=` and goes into the line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time (UTC, ISO 8601), level, logger, message, the
    fields given in `extra=`, the request id when there is a request, and the traceback."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if "request_id" not in line and has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a line is written (test runners replace it)."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def configure(app):
    """JSON lines on stdout for the app's loggers when LOG_FORMAT is "json" (production's
    default); the request line when REQUEST_LOG is on."""
    if app.config.get("LOG_FORMAT") == "json":
        for name in ("gosmart", "flask-limiter"):
            logger = logging.getLogger(name)
            logger.removeHandler(default_handler)  # Flask's own, on stderr, in plain text
            if not any(isinstance(h, StdoutHandler) for h in logger.handlers):
                handler = StdoutHandler()
                handler.setFormatter(JsonFormatter())
                logger.addHandler(handler)
            logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if app.config.get("REQUEST_LOG"):
        app.after_request(_log_request)


# What a request id from the proxy may look like: letters, digits, "._-", short enough that with
# our suffix it fits the audit log's column (64). Anything else is dropped, never stored or echoed.
PROXY_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,47}")


def request_id(incoming, trusted_proxy):
    """The id of this request. Ours (32 hex digits) unless a trusted proxy (PROXY_FIX > 0) sent
    one of a safe format; that one is kept as a prefix, followed by ".", and 16 hex digits of
    ours — so the proxy's logs still find it, and two requests never share an id even when
    the client chose the header and the proxy passed it on."""
    if trusted_proxy and incoming and PROXY_REQUEST_ID.fullmatch(incoming):
        return f"{incoming}.{secrets.token_hex(8)}"
    return secrets.token_hex(16)


def start_timer():
    g.request_started = time.perf_counter()


def _user_id():
    """The id of the user this request already loaded, read from the identity map: logging
    never queries the database (which may be the thing that just failed)."""
    state = inspect(g.get("_login_user"), raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None


QUIET_PATHS = {"/healthz", "/readyz"}  # a load balancer asks every few seconds; only failures are news


# URL parts that are secrets (a password-reset or email-confirmation link, an attendee's
# certificate link, a certificate's verification code): logged as the route names them.
SECRET_URL_PARTS = ("token", "code")


def _loggable_path():
    path = request.path
    for name in SECRET_URL_PARTS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, f"<{name}>")
    return path


def _log_request(response):
    if request.path in QUIET_PATHS and response.status_code == 200:
        return response
    path = _loggable_path()
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    logging.getLogger(REQUEST_LOGGER).info(
        "%s %s %s", request.method, path, response.status_code,
        extra={"method": request.method, "path": path, "status": response.status_code,
               "duration_ms": duration, "user_id": _user_id(), "request_id": g.get("request_id"),
               "remote_addr": request.remote_addr})
    return response
