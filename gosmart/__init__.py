"""gosmart: membership and events of GO SMART, the Global Organization of Smart Cities."""
import os
import re
import uuid

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, ProductionConfig

from .mail import external_url  # (importing mail registers the send-after-commit hooks)
from . import main
from .assemblies import bp as assemblies_bp
from .auth import bp as auth_bp
from .certificates import bp as certificates_bp
from .checkin import bp as checkin_bp
from .demo import demo_cli
from .directory import bp as directory_bp
from .extensions import babel, csrf, db, htmx, limiter, login_manager, migrate, render_migration_item
from .extensions import mail as flask_mail
from .members import bp as members_bp
from .minutes import bp as minutes_bp
from .mou import bp as mou_bp
from .secretariat import bp as secretariat_bp
from .tasks import huey

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
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
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_path=str(config.INSTANCE_DIR))
    app.config.from_object(config)
    if config is ProductionConfig or issubclass(config, ProductionConfig):
        ProductionConfig.check(app.config)
        if app.config["PROXY_FIX"]:
            n = app.config["PROXY_FIX"]
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)
    os.makedirs(app.instance_path, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)
    _register_request_hooks(app)
    _register_error_pages(app)
    _register_cli(app)
    return app


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
    babel.init_app(app, locale_selector=_select_locale)
    huey.immediate = app.config.get("TASKS_IMMEDIATE", False)
    app.jinja_env.globals.update(get_locale=get_locale, external_url=external_url)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def _sqlite_for_several_processes(connection, _record):
    """The web server and the task workers share the SQLite file: readers must not block the
    writer (WAL), and a writer waits for another rather than failing at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _select_locale():
    if not has_request_context():  # emails and PDFs made outside a request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def _register_blueprints(app):
    for blueprint in (main.bp, auth_bp, members_bp, directory_bp, mou_bp, assemblies_bp, minutes_bp, checkin_bp,
                      certificates_bp, secretariat_bp):
        app.register_blueprint(blueprint)


def _register_request_hooks(app):
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
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
            return render_template("errors/error.html", code=code, message=message,
                                   description=getattr(error, "description", None)), code
        return handler

    app.register_error_handler(400, page(400))
    app.register_error_handler(403, page(403))
    app.register_error_handler(404, page(404))
    app.register_error_handler(405, page(405))
    app.register_error_handler(413, page(413))
    app.register_error_handler(429, page(429))
    app.register_error_handler(500, page(500))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/error.html", code=400, csrf=True, description=error.description), 400


def _register_cli(app):
    app.cli.add_command(demo_cli)
