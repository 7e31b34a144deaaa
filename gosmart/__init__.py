"""gosmart: membership and events of GO SMART, the Global Organization of Smart Cities."""
import os
import re

from flask import g, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.exc import DataError
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, ProductionConfig

from .mail import external_url  # (importing mail registers the send-after-commit hooks)
from .permissions import may_open
from . import backup, headers, i18n, logs, main, outage, uploads
from .assemblies import bp as assemblies_bp
from .auth import bp as auth_bp
from .certificates import bp as certificates_bp
from .checkin import bp as checkin_bp
from .core import transaction
from .demo import demo_cli
from .directory import bp as directory_bp
from .extensions import babel, csrf, db, htmx, limiter, login_manager, migrate, render_migration_item
from .extensions import mail as flask_mail
from .members import bp as members_bp
from .members.cli import certificates_cli
from .minutes import bp as minutes_bp
from .mou import bp as mou_bp
from .secretariat import bp as secretariat_bp
from .tasks import huey

# What the database says of a value it cannot hold: a number past its integers, NUL in text.
OUT_OF_RANGE = re.compile(r"out of range|too large to convert|NUL \(0x00\)|numeric field overflow")
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def create_app(config=None):
    """Build the application. `config` is a Config class, a name from
    config.CONFIGS, or None for $GOSMART_ENV (development by default)."""
    if config is None or isinstance(config, str):
        config = CONFIGS[config or os.environ.get("GOSMART_ENV", "development")]
    app = transaction.App(__name__, template_folder="../templates", static_folder="../static",
                instance_path=str(config.INSTANCE_DIR))
    app.config.from_object(config)
    if config is ProductionConfig or issubclass(config, ProductionConfig):
        ProductionConfig.check(app.config)
        if app.config["PROXY_FIX"]:
            n = app.config["PROXY_FIX"]
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)
    os.makedirs(app.instance_path, exist_ok=True)
    logs.configure(app)
    if app.config.get("ENV_NAME") == "production":
        _warn_about_production_settings(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_request_hooks(app)
    _register_error_pages(app)
    _register_cli(app)
    return app


def _warn_about_production_settings(app):
    """Loudly, at start: settings that work on one process but not on several or behind a proxy."""
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        app.logger.warning("RATE LIMITS ARE KEPT IN PROCESS MEMORY: each worker counts on its own, so the login "
                           "limit is multiplied by the number of workers. Set REDIS_URL (gunicorn.conf.py refuses "
                           "to start without it unless ALLOW_MEMORY_RATELIMIT=1).")
    if not app.config.get("REDIS_URL"):
        app.logger.warning("REDIS_URL is not set: the task queue is a SQLite file in %s, shared only by the "
                           "processes of this host.", app.instance_path)
    if not app.config.get("TRUSTED_HOSTS"):
        app.logger.warning("TRUSTED_HOSTS is not set: any Host header is accepted.")


def _init_extensions(app):
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_for_several_processes)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
                     render_as_batch=True, compare_type=True, render_item=render_migration_item)
    csrf.init_app(app)
    limiter.init_app(app)
    flask_mail.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    huey.immediate = app.config.get("TASKS_IMMEDIATE", False)
    app.jinja_env.globals.update(get_locale=get_locale, external_url=external_url, may_open=may_open)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.localize_callback = str  # the lazy message, in the language of the request
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def _sqlite_for_several_processes(connection, _record):
    """The web server and the task workers share the SQLite file: readers must not block the
    writer (WAL), and a writer waits for another rather than failing at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _register_blueprints(app):
    for blueprint in (main.bp, auth_bp, members_bp, directory_bp, mou_bp, assemblies_bp, minutes_bp, checkin_bp,
                      certificates_bp, secretariat_bp):
        app.register_blueprint(blueprint)


def _register_request_hooks(app):
    def assign_request_id():
        logs.start_timer()
        # Only a proxy we trust (PROXY_FIX > 0: production behind a load balancer) may name the request.
        g.request_id = logs.request_id(request.headers.get("X-Request-ID"), bool(app.config.get("PROXY_FIX")))
    # First of all hooks, so that a request refused by another one (CSRF) has its id too.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)
    # Last of all after-request hooks: every header value is one the WSGI server can send.
    app.after_request_funcs.setdefault(None, []).insert(0, headers.make_sendable)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        if "frame-ancestors" not in headers["Content-Security-Policy"]:  # a download's or a preview's own policy
            headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("ENV_NAME") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "request_id" in g:
            headers["X-Request-ID"] = g.request_id
        return response


def _register_error_pages(app):
    def page(code, message=None):
        def handler(error):
            db.session.rollback()
            # When to try again (a 429 raised by the application itself, not by Flask-Limiter).
            headers = [(k, v) for k, v in getattr(error, "get_headers", lambda: [])() if k == "Retry-After"]
            return render_template("errors/error.html", code=code, message=message,
                                   description=getattr(error, "description", None)), code, headers
        return handler

    app.register_error_handler(400, page(400))
    app.register_error_handler(403, page(403))
    app.register_error_handler(404, page(404))
    app.register_error_handler(405, page(405))
    app.register_error_handler(413, page(413))
    app.register_error_handler(429, page(429))
    app.register_error_handler(500, page(500))
    bad_request = page(400)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def value_the_database_cannot_hold(error):
        """An id or a number past the database's integers, NUL in text (from a URL, a query or a
        form): a bad request, not a server error. Any other such error stays a 500."""
        if not OUT_OF_RANGE.search(str(getattr(error, "orig", error))):
            raise error
        return bad_request(error)

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        """A Host header not in TRUSTED_HOSTS: no address can be built for it, so no page either."""
        return "400 Bad Request: this site does not answer to that host name.\n", 400, {
            "Content-Type": "text/plain; charset=utf-8"}

    outage.init_app(app)  # the database gone: 503, try again, the posted form shown again

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/error.html", code=400, csrf=True, description=error.description), 400


def _register_cli(app):
    app.cli.add_command(demo_cli)
    app.cli.add_command(uploads.files_cli)
    app.cli.add_command(certificates_cli)
    backup.init_app(app)
