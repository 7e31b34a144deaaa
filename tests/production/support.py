"""Real processes for the production tests: gunicorn, the huey worker, PostgreSQL, Redis, and a
small HTTP client with a cookie jar. Every wait is bounded in time; every address is loopback."""
import atexit
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from html import unescape
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("GOSMART_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
ENABLE = ("set GOSMART_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test "
          "(and have Redis on 127.0.0.1:6379) to run the production tests")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def log_dir(name):
    """Where a deployment's processes write: kept after the run (the last run's only), to read
    when a test fails."""
    path = Path(tempfile.gettempdir()) / "gosmart-production-logs" / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, check, timeout, interval=0.2):
    """check() until it returns something true; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001  (not ready yet)
            last = error
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s (last error: {last!r})")


# --- HTTP ------------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser: a cookie jar shared by every instance it talks to (cookies belong
    to the host, 127.0.0.1, whatever the port: as behind a load balancer)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, url, data=None, headers=None, timeout=30):
        body = urllib.parse.urlencode(data, doseq=True).encode() if isinstance(data, dict) else data
        req = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get(self, url, **kwargs):
        return self.request(url, **kwargs)

    def post(self, url, data, **kwargs):
        return self.request(url, data=data, **kwargs)

    def post_files(self, url, data, files, **kwargs):
        """A multipart/form-data POST: `files` maps a field to (filename, bytes)."""
        boundary = f"----gosmart{uuid.uuid4().hex}"
        body = bytearray()
        for name, value in data.items():
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()
        for name, (filename, content) in files.items():
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n").encode() + content + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return self.request(url, data=bytes(body), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", **kwargs.pop("headers", {})}, **kwargs)

    def csrf_token(self, url):
        page = self.get(url)
        match = CSRF.search(page.text)
        assert match, f"no CSRF token on {url} ({page.status})"
        return match.group(1) or match.group(2)

    def login(self, base, email, password="gosmart-demo"):
        response = self.post(f"{base}/login", {"email": email, "password": password,
                                               "csrf_token": self.csrf_token(f"{base}/login")})
        assert response.status in (302, 303), f"login of {email} on {base}: {response.status}\n{response.text[:500]}"
        return response


def resubmit_form(html):
    """The action and fields of the form a 503 page shows again."""
    form = re.search(r'<form method="post" action="([^"]*)" class="resubmit".*?</form>', html, re.S)
    assert form, "the 503 page does not show the form again"
    fields = [(unescape(n), unescape(v)) for n, v in
              re.findall(r'<input [^>]*name="([^"]+)" value="([^"]*)"', form.group(0))]
    fields += [(unescape(n), unescape(v)) for n, v in
               re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form.group(0), re.S)]
    return unescape(form.group(1)), dict(fields)


# --- Processes -------------------------------------------------------------------------------

_STARTED = []


@atexit.register
def _kill_leftovers():
    """Whatever happens to the test run, no process it started outlives it."""
    for process in _STARTED:
        process.kill()


class Process:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name, args, env, log_dir):
        self.name, self.args, self.env = name, args, env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        _STARTED.append(self)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _signal_group(self, signum):
        try:
            os.killpg(self.proc.pid, signum)
        except ProcessLookupError:  # the whole group is gone already
            pass

    def kill(self):
        """SIGKILL to the whole group: the process and its children die without a word."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=10)

    stop = kill  # at the end of a test nothing is waited for: the processes hold nothing to keep


def app_env(database_url, redis_url, instance_dir, **extra):
    """The environment of a production deployment, as README "Deploying" lists it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOSMART_", "TEST_DATABASE", "RATELIMIT", "REDIS", "DATABASE", "FLASK"))}
    env.update({
        "GOSMART_ENV": "production",
        "SECRET_KEY": "production-tests-" + "k" * 40,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EXTERNAL_BASE_URL": "http://127.0.0.1",
        "TRUSTED_HOSTS": "127.0.0.1,localhost",
        "SESSION_COOKIE_SECURE": "0",  # the tests speak plain http on loopback
        "MAIL_TRANSPORT": "outbox",
        "GOSMART_INSTANCE_DIR": str(instance_dir),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_TIMEOUT": "30",
        "HUEY_PERIODIC_SECONDS": "2",     # the stalled-job check, every minute in production
        "BULK_JOB_STALE_SECONDS": "10",   # a certificate takes well under a second, seconds on a busy machine
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def gunicorn(name, env, log_dir):
    port = free_port()
    process = Process(name, [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                      dict(env, BIND=f"127.0.0.1:{port}"), log_dir)
    process.base = f"http://127.0.0.1:{port}"
    return process.start()


def worker(name, env, log_dir):
    return Process(name, [str(BIN / "huey_consumer"), "gosmart.worker.huey", "-w", "2", "-k", "process"],
                   env, log_dir).start()


def wait_ready(process, timeout=120):
    def ready():
        assert process.alive(), f"{process.name} stopped:\n{process.log_tail()}"
        return Browser().get(f"{process.base}/readyz", timeout=5).status == 200
    try:
        wait_until(f"{process.name} ready", ready, timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{process.log_tail()}\n(logs: {process.log_path})") from None


# --- PostgreSQL ------------------------------------------------------------------------------

def reachable_postgres():
    """The test cluster's URL, or None and why."""
    url = os.environ.get("GOSMART_TEST_POSTGRES_URL") or ""
    if not url.startswith("postgresql"):
        return None, "PostgreSQL not configured: " + ENABLE
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001
        return None, f"PostgreSQL at {make_url(url).render_as_string()} is unreachable ({error.__class__.__name__}): " \
                     "start it (see ../shared/ENV.md)"
    finally:
        engine.dispose()
    return url, None


def reachable_redis(url):
    import redis
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return client, None
    except Exception as error:  # noqa: BLE001
        return None, f"Redis at {url} is unreachable ({error.__class__.__name__}): start it (see ../shared/ENV.md)"


def plain_url(url):
    """postgresql+psycopg://… → postgresql://… (the form README's DATABASE_URL uses)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(base_url, prefix):
    name = f"{prefix}_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    admin = create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url):
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Cluster:
    """A throwaway PostgreSQL cluster, run as the `postgres` user, on a free loopback port with its
    socket in its own directory: the test may stop and start it at will."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="gosmart-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.log = self.dir / "postgres.log"

    @staticmethod
    def unavailable():
        if not (PG_BIN / "initdb").exists():
            return f"no initdb in {PG_BIN} (set GOSMART_TEST_PG_BIN)"
        if os.geteuid() == 0 and not shutil.which("runuser"):
            return "runuser is needed to run PostgreSQL as the postgres user"
        if os.geteuid() != 0:
            return "the throwaway PostgreSQL cluster is started as the postgres user: run the tests as root"
        return None

    def _as_postgres(self, *args, timeout=60):
        return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.dir)

    def init(self):
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync",
                          "-E", "UTF8", "--locale=C")
        return self

    def start(self):
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                          f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                          "-c full_page_writes=off", "start")

    def stop(self, mode="fast"):
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database="postgres"):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self):
        try:
            self.stop("immediate")
        except Exception:  # noqa: BLE001  (already stopped)
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server on a free loopback port, that keeps nothing on disk."""

    def __init__(self, log_dir):
        self.port = free_port()
        self.log_dir = log_dir
        self.process = None

    @staticmethod
    def unavailable():
        return None if shutil.which("redis-server") else "redis-server is not installed"

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = Process(f"redis-{self.port}", ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                                      "--save", "", "--appendonly", "no", "--dir", str(self.log_dir)],
                               os.environ.copy(), self.log_dir).start()
        wait_until("redis-server up", lambda: reachable_redis(self.url)[0] is not None, 20)

    def stop(self):
        if self.process:
            self.process.stop()
