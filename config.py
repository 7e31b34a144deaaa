"""Settings for gosmart. Every value can be set from the environment."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("GOSMART_INSTANCE_DIR", BASE_DIR / "instance"))
DEFAULT_SECRET_KEY = "dev-only-not-secret"


def _bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(default_sqlite=INSTANCE_DIR / "gosmart.db"):
    """DATABASE_URL if set (plain postgresql:// URLs are given the psycopg 3 driver)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{default_sqlite}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    INSTANCE_DIR = INSTANCE_DIR
    # Stored files (uploads, certificate PDFs, ZIPs): "database" (the files table: every host sees
    # them, backups hold them) or "directory" (UPLOAD_DIR, one host; development).
    FILE_STORAGE = os.environ.get("FILE_STORAGE", "database")
    UPLOAD_DIR = Path(os.environ.get("GOSMART_UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    OUTBOX_DIR = Path(os.environ.get("GOSMART_OUTBOX_DIR", INSTANCE_DIR / "outbox"))

    # Uploads: 5 documents of 10 MB each fit in one request with room for the form.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 52 * 1024 * 1024))

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Rate limits (Flask-Limiter); Redis shares them across workers and hosts.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", REDIS_URL or "memory://")
    # Redis down: each process limits on its own (in memory) and goes back to Redis when it answers.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = ({"socket_connect_timeout": 1, "socket_timeout": 1}
                                 if RATELIMIT_STORAGE_URI.startswith(("redis", "rediss")) else {})
    # Production refuses per-process rate limits (several workers would each allow the limit).
    ALLOW_MEMORY_RATELIMIT = _bool("ALLOW_MEMORY_RATELIMIT", False)
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute")
    # Public lookups and checks (inline validation of the application form, emailed links), per address.
    PUBLIC_CHECK_RATE_LIMIT = os.environ.get("PUBLIC_CHECK_RATE_LIMIT", "60 per minute;600 per hour")
    # Emails a non-secretariat user causes to an address (gosmart/mail_limits.py): per recipient,
    # and per sender (a representative's organization, or the user).
    EMAIL_RECIPIENT_LIMIT = os.environ.get("EMAIL_RECIPIENT_LIMIT", "5 per hour;20 per day")
    EMAIL_SENDER_LIMIT = os.environ.get("EMAIL_SENDER_LIMIT", "100 per hour;500 per day")

    PASSWORD_HASH_METHOD = "scrypt"
    PASSWORD_RESET_MAX_AGE = 3600  # seconds

    EXTERNAL_BASE_URL = os.environ.get("EXTERNAL_BASE_URL", "http://127.0.0.1:5000")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "GO SMART Secretariat <secretariat@gosmart.org>")
    # "smtp" sends; "outbox" writes each message to OUTBOX_DIR and the console.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # English and Traditional Chinese (Taiwan); the catalogs are compiled by `make translations`.
    LANGUAGES = ["en", "zh_Hant_TW"]
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Certificates: who signs, and how long one PDF may take to render.
    CERTIFICATE_SIGNATORIES = [
        s.strip() for s in os.environ.get(
            "CERTIFICATE_SIGNATORIES", "Chair of GO SMART, Taipei City|Secretary General of GO SMART").split("|")
        if s.strip()]
    # The same signatories as Chinese certificates name them (in the same order).
    CERTIFICATE_SIGNATORIES_ZH = [
        s.strip() for s in os.environ.get(
            "CERTIFICATE_SIGNATORIES_ZH", "GO SMART 主席 臺北市|GO SMART 秘書長").split("|")
        if s.strip()]
    PDF_RENDER_TIMEOUT = int(os.environ.get("PDF_RENDER_TIMEOUT", 20))
    # PDFs made on demand (minutes, e-tickets, badge sheets) are kept per process by their content
    # (gosmart/pdf.py), up to this many bytes; a render that is not in the cache is limited per user.
    PDF_CACHE_BYTES = int(os.environ.get("PDF_CACHE_BYTES", 32 * 1024 * 1024))
    PDF_RENDER_RATE_LIMIT = os.environ.get("PDF_RENDER_RATE_LIMIT", "30 per minute;300 per hour")
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")

    DEMO_ALLOWED = False
    # The directory's headline figures and filter lists may be this many seconds behind (per
    # process; production's default is 30, elsewhere changes show at once).
    DIRECTORY_FIGURES_SECONDS = int(os.environ.get("DIRECTORY_FIGURES_SECONDS", 0))
    TRUSTED_HOSTS = [h for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h] or None

    # Logs: "json" writes one JSON object per line on stdout; REQUEST_LOG adds a line per request.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    REQUEST_LOG = _bool("REQUEST_LOG", False)
    # A bulk job whose progress has not moved this long is queued again (its worker died).
    BULK_JOB_STALE_SECONDS = int(os.environ.get("BULK_JOB_STALE_SECONDS", 300))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = _bool("FLASK_DEBUG", True)
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)  # local http only
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "outbox")
    DEMO_ALLOWED = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_TRANSPORT = "memory"
    TASKS_IMMEDIATE = True  # background tasks run inline, in the test's own transaction order
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast in tests; production uses scrypt
    EXTERNAL_BASE_URL = "http://gosmart.test"
    DEMO_ALLOWED = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEBUG = False
    PREFERRED_URL_SCHEME = "https"
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_FIX = int(os.environ.get("PROXY_FIX", 0))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    REQUEST_LOG = _bool("REQUEST_LOG", True)
    DIRECTORY_FIGURES_SECONDS = int(os.environ.get("DIRECTORY_FIGURES_SECONDS", 30))

    @classmethod
    def check(cls, settings):
        key = settings.get("SECRET_KEY")
        if not key or key == DEFAULT_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "Refusing to start in production without a SECRET_KEY of at least 32 "
                "characters. Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
