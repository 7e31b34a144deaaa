"""When the database goes away mid-request: roll back, log, and answer 503 "try again".

Nothing is half-written: every change of a request is one transaction, and the failed one is
rolled back (PostgreSQL discards it anyway when the connection drops). The application
recovers by itself: the pool checks each connection before use (pool_pre_ping) and replaces
dead ones. What the user typed is not lost either: a form posted during the outage comes
back on the 503 page, filled in, ready to be sent again to the same address."""
import logging

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from markupsafe import escape
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from .extensions import db

logger = logging.getLogger("gosmart.outage")
RETRY_AFTER = "5"
# Fields never echoed back: passwords (also the repeated one, "confirm"), secrets and tokens
# (the CSRF token too: the page brings a fresh one).
_SECRET_WORDS = ("password", "passwd", "secret", "confirm", "token")
DATABASE_ERRORS = (OperationalError, DisconnectionError, InterfaceError, PoolTimeoutError)


def resubmittable_fields(form):
    """(name, value, multiline) for each posted field worth showing again, in posted order."""
    fields = []
    for name, values in form.lists():
        lowered = name.lower()
        if any(word in lowered for word in _SECRET_WORDS):
            continue
        for value in values:
            fields.append((name, value, "\n" in value or len(value) > 120))
    return fields


def _label(name):
    return name.replace("_", " ").replace("-", " ").strip().capitalize() or name


def _plain_page(fields, action, request_id):
    """The same page without templates, for when even the layout cannot be rendered."""
    parts = ["<!doctype html><meta charset=utf-8><title>", escape(_("Temporarily unavailable")), "</title>",
             "<h1>", escape(_("Temporarily unavailable")), "</h1><p>",
             escape(_("The database cannot be reached right now. Nothing was saved. Please try again in a moment.")),
             "</p>"]
    if fields:
        parts += ['<form method="post" action="', escape(action), '">']
        for name, value, _multiline in fields:
            parts += ["<p><label>", escape(_label(name)), ' <input name="', escape(name), '" value="',
                      escape(value), '"></label></p>']
        parts += ["<button>", escape(_("Send again")), "</button></form>"]
    if request_id:
        parts += ["<p><small>", escape(_("Reference: %(id)s", id=request_id)), "</small></p>"]
    return "".join(str(p) for p in parts)


def database_unavailable(error):
    # Who is signed in (and in which language) cannot be read from the database now: nothing
    # below may try, or this page fails too.
    g._login_user = AnonymousUserMixin()
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool discards it
        logger.debug("rollback after a database error failed", exc_info=True)
    logger.error("database unavailable: %s %s", request.method, request.path, exc_info=error)
    headers = {"Retry-After": RETRY_AFTER}
    message = _("The database cannot be reached right now. Nothing was saved. Please try again in a moment.")
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return {"error": message, "retry": True, "request_id": g.get("request_id")}, 503, headers
    fields = resubmittable_fields(request.form) if request.method == "POST" else []
    action = request.full_path if request.query_string else request.path
    try:
        body = render_template("errors/unavailable.html", fields=fields, action=action, label=_label,
                               files_dropped=bool(request.method == "POST" and request.files))
    except Exception:
        logger.exception("the 503 page could not be rendered; sending the plain one")
        body = _plain_page(fields, action, g.get("request_id"))
    return body, 503, headers


def init_app(app):
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, database_unavailable)
