"""Running in production: readiness, request logs, the database outage page, backups, jobs
that resume, and gunicorn's refusal of per-process rate limits. (The same behaviours across
real processes — two gunicorn instances, a worker, a PostgreSQL cluster that stops — are
tested in tests/production/.)"""
import json
import logging
import os
import re
import runpy
import sqlite3
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import stamp
from huey.signals import SIGNAL_INTERRUPTED
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

import config
from config import ProductionConfig, TestingConfig
from gosmart import create_app
from gosmart import outage as outage_handler
from gosmart.assemblies import services as registrations
from gosmart.assemblies.models import Registration
from gosmart.audit import AuditEntry
from gosmart.auth.models import Role, User
from gosmart.certificates.models import BulkJob, Certificate
from gosmart.checkin import attendance, resume
from gosmart.checkin import services as checkin
from gosmart.extensions import db
from gosmart.logs import JsonFormatter, REQUEST_LOGGER
from gosmart.tasks import huey

from .conftest import Client, IsolatedClient
from .test_assemblies import NOW, make_assembly, person

ROOT = Path(__file__).resolve().parent.parent


# --- /readyz --------------------------------------------------------------------------------

@pytest.fixture
def migrated(app):
    """The test database stamped at the migrations' head (tests build it from the models)."""
    stamp()
    yield
    db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()


def test_readyz_is_ok_when_the_database_answers_at_the_migrations_head(client, migrated):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "ok", "redis": "not configured"}


def test_readyz_is_503_and_says_why_when_the_schema_is_not_at_head(client):
    response = client.get("/readyz")  # no alembic_version at all
    assert response.status_code == 503
    assert response.get_json()["migrations"].startswith("not migrated")
    stamp(revision="0001_foundation")
    try:
        body = client.get("/readyz").get_json()
        assert body["status"] == "unavailable" and body["migrations"].startswith("at 0001_foundation, head is ")
    finally:
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()


def test_readyz_is_503_when_redis_does_not_answer(app, client, migrated):
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    app.extensions.pop("gosmart_redis", None)
    try:
        response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = None
        app.extensions.pop("gosmart_redis", None)
    assert response.status_code == 503
    assert response.get_json()["redis"] == "unreachable" and response.get_json()["database"] == "ok"


def test_readyz_reaches_redis(app, client, migrated):
    url = os.environ.get("GOSMART_TEST_REDIS_URL")
    if not url:
        pytest.skip("Redis not configured: set GOSMART_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run this")
    app.config["REDIS_URL"] = url
    try:
        assert client.get("/readyz").get_json()["redis"] == "ok"
    finally:
        app.config["REDIS_URL"] = None
        app.extensions.pop("gosmart_redis", None)


def test_readyz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unreachable")
    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


# --- Request logs ---------------------------------------------------------------------------

@pytest.fixture
def logging_app(app):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        INSTANCE_DIR = app.config["INSTANCE_DIR"]
        UPLOAD_DIR = app.config["UPLOAD_DIR"]
        REQUEST_LOG = True
    logged = create_app(Config)
    logged.test_client_class = IsolatedClient
    yield logged
    with logged.app_context():
        db.engine.dispose()


def test_each_request_is_logged_once_with_user_request_id_and_duration(logging_app, users, caplog):
    client = Client(logging_app.test_client())
    client.login("sec@example.org")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        response = client.get("/checkin/")
        client.get("/healthz")  # a successful health check is not news
    records = [r for r in caplog.records if r.name == REQUEST_LOGGER]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert len(response.headers["X-Request-ID"]) == 32
    assert {k: line[k] for k in ("method", "path", "status", "user_id", "request_id", "remote_addr")} == {
        "method": "GET", "path": "/checkin/", "status": 200, "user_id": users[Role.SECRETARIAT].id,
        "request_id": response.headers["X-Request-ID"], "remote_addr": "127.0.0.1"}
    assert isinstance(line["duration_ms"], float) and line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_secret_links_are_logged_without_their_secret(logging_app, caplog):
    client = Client(logging_app.test_client())
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        client.get("/password/reset/eyJpZCI6MX0.secret-part")
        client.get("/attendance/another-secret-token")
    paths = [json.loads(JsonFormatter().format(r))["path"] for r in caplog.records if r.name == REQUEST_LOGGER]
    assert paths == ["/password/reset/<token>", "/attendance/<token>"]
    assert "secret" not in caplog.text


def test_json_log_lines_carry_the_traceback(capsys):
    logger = logging.getLogger("gosmart.test-json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed", extra={"job": 7})
    finally:
        logger.removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip())
    assert line["message"] == "it failed" and line["job"] == 7 and "ValueError: boom" in line["exception"]


def test_a_request_refused_for_csrf_has_a_reference_too(users, client):
    response = client.raw.post("/login", data={"email": "x@example.org", "password": "x"})
    assert response.status_code == 400
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


# --- The database goes away mid-request -------------------------------------------------------

class DatabaseOutage:
    """Make every statement (or those matching `when`) fail as if the server had gone."""

    def __init__(self):
        self.when = None

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.when is None or self.when(statement):
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    def start(self, when=None):
        self.when = when
        event.listen(db.engine, "before_cursor_execute", self)

    def stop(self):
        event.remove(db.engine, "before_cursor_execute", self)


@pytest.fixture
def outage(app):
    down = DatabaseOutage()
    yield down
    if event.contains(db.engine, "before_cursor_execute", down):
        down.stop()


def _form_fields(html):
    """The (name, value) pairs of the page's resubmit form."""
    form = re.search(r'<form method="post" action="([^"]*)" class="resubmit".*?</form>', html, re.S)
    assert form, "no resubmit form on the page"
    fields = [(unescape(n), unescape(v)) for n, v in re.findall(r'<input [^>]*name="([^"]+)" value="([^"]*)"', form.group(0))]
    fields += [(unescape(n), unescape(v)) for n, v in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form.group(0), re.S)]
    return unescape(form.group(1)), fields


def test_a_form_posted_during_an_outage_is_shown_again_and_nothing_is_half_written(users, outage, make_client):
    assembly = make_assembly(capacity=5)
    staff = make_client()
    staff.login("sec@example.org")
    url = f"/assemblies/{assembly.id}"
    typed = {"name": 'Ada <script>alert("x")</script> Lovelace', "title": "Guest of honour",
             "email": "ada@example.org", "role": "guest", "dietary_needs": "vegetarian\nno nuts",
             "csrf_token": staff.csrf_token(url)}
    # The registration's own statements run; the audit entry, written last, finds the database gone.
    outage.start(when=lambda statement: statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"))
    response = staff.raw.post(url, data=typed)
    outage.stop()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Temporarily unavailable" in html and "Nothing was saved" in html
    assert response.headers["X-Request-ID"] in html
    assert "<script>alert" not in html and "Ada &lt;script&gt;" in html
    # Rolled back: no registration, the seat counter untouched, no audit entry.
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    db.session.refresh(assembly)
    assert assembly.confirmed_count == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "registration.created")) == 0
    # The page's form holds what was typed (and a fresh CSRF token): sent again, it works.
    action, fields = _form_fields(html)
    assert action == url
    values = dict(fields)
    assert {k: values[k] for k in ("name", "title", "email", "role", "dietary_needs")} == {
        k: typed[k] for k in ("name", "title", "email", "role", "dietary_needs")}
    assert values["csrf_token"]
    again = staff.raw.post(action, data=dict(fields))
    assert again.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert registration.name == typed["name"] and registration.state == "confirmed"
    db.session.refresh(assembly)
    assert assembly.confirmed_count == 1


def test_passwords_are_not_shown_again(users, outage, make_client):
    client = make_client()
    token = client.csrf_token("/login")
    outage.start()
    response = client.raw.post("/login", data={"email": "sec@example.org", "password": "hunter2-secret",
                                               "csrf_token": token})
    outage.stop()
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "hunter2-secret" not in html and 'value="sec@example.org"' in html
    assert 'name="password"' not in html


def test_no_field_of_a_password_form_is_shown_again(users, outage, make_client):
    """The repeated new password ("confirm") is a password too."""
    client = make_client()
    client.login("sec@example.org")
    token = client.csrf_token("/account/password")
    outage.start()
    response = client.raw.post("/account/password", data={"current_password": "old-secret-1", "new_password": "new-Secret-22x",
                                                  "confirm": "new-Secret-22x", "csrf_token": token})
    outage.stop()
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "old-secret-1" not in html and "new-Secret-22x" not in html


def test_pages_and_scans_answer_503_while_the_database_is_down_and_recover_after(users, outage, make_client):
    door = make_client()
    door.login("sec@example.org")
    scan_url = f"/checkin/{make_assembly().id}/scan"
    token = door.csrf_token("/checkin/")
    outage.start()
    page = door.get("/checkin/")
    scan = door.raw.post(scan_url, data={"token": "abc", "client_id": "c1", "csrf_token": token},
                         headers={"Accept": "application/json"})
    outage.stop()
    assert page.status_code == 503 and "Try again" in page.get_data(as_text=True)
    assert scan.status_code == 503 and scan.get_json()["retry"] is True  # the phone keeps it in its queue
    assert door.get("/checkin/").status_code == 200  # the same app, without restart


def test_the_503_page_is_plain_html_when_even_the_layout_fails(users, outage, make_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the layout needs something that is down too")
    monkeypatch.setattr(outage_handler, "render_template", broken)
    client = make_client()
    token = client.csrf_token("/login")
    outage.start()
    response = client.raw.post("/login", data={"email": "ada&co@example.org", "password": "p4ss", "csrf_token": token})
    outage.stop()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "Temporarily unavailable" in html
    assert 'value="ada&amp;co@example.org"' in html and "p4ss" not in html and 'name="password"' not in html
    assert response.headers["X-Request-ID"] in html


# --- Backups (SQLite) -----------------------------------------------------------------------

@pytest.fixture
def sqlite_app(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'live.db'}"
        INSTANCE_DIR = tmp_path
    live = create_app(Config)
    with live.app_context():
        db.create_all()
        stamp()
        db.session.add(User(email="kept@example.org", name="Kept", role=Role.SECRETARIAT, password_hash="x"))
        db.session.commit()
    with live.app_context():  # the commands run in this app, not the suite's (whose context is pushed)
        yield live
        db.session.remove()
        db.engine.dispose()


def _emails(path):
    connection = sqlite3.connect(path)
    try:
        return sorted(row[0] for row in connection.execute("SELECT email FROM users"))
    finally:
        connection.close()


def test_backup_is_consistent_while_the_app_writes_and_restore_brings_the_data_back(sqlite_app, tmp_path):
    runner = sqlite_app.test_cli_runner()
    live = tmp_path / "live.db"
    # A writer in the middle of a transaction: the backup has what was committed, not what was not.
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN")
    writer.execute("INSERT INTO users (email, name, role, password_hash, active, session_token, created_at) "
                   "SELECT 'uncommitted@example.org', name, role, password_hash, active, 'tok', created_at FROM users")
    result = runner.invoke(args=["backup", str(tmp_path / "b.db")])
    writer.execute("ROLLBACK")
    writer.close()
    assert result.exit_code == 0, result.output
    assert _emails(tmp_path / "b.db") == ["kept@example.org"]

    # Life goes on after the backup.
    db.session.add(User(email="later@example.org", name="Later", role=Role.HONORARY, password_hash="x"))
    db.session.commit()
    refused = runner.invoke(args=["restore", str(tmp_path / "b.db")], input="n\n")
    assert refused.exit_code != 0 and _emails(live) == ["kept@example.org", "later@example.org"]

    restored = runner.invoke(args=["restore", "--yes", str(tmp_path / "b.db")])
    assert restored.exit_code == 0, restored.output
    db.session.remove()
    assert db.session.scalars(select(User.email)).all() == ["kept@example.org"]
    assert sqlite_app.test_client().get("/healthz").status_code == 200
    kept = list(tmp_path.glob("live.db.before-restore-*"))
    assert len(kept) == 1 and _emails(kept[0]) == ["kept@example.org", "later@example.org"]


def test_backup_has_a_default_name_and_restore_refuses_what_is_not_a_gosmart_database(sqlite_app, tmp_path):
    runner = sqlite_app.test_cli_runner()
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0
    made = list((tmp_path / "backups").glob("gosmart-*.db"))
    assert len(made) == 1 and _emails(made[0]) == ["kept@example.org"]
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    assert "not a readable SQLite database" in runner.invoke(args=["restore", "--yes", str(junk)]).output
    assert _emails(tmp_path / "live.db") == ["kept@example.org"]


def test_backup_on_postgresql_points_to_pg_dump():
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    postgres_app = create_app(Config)
    with postgres_app.app_context():
        result = postgres_app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code != 0 and "pg_dump" in result.output


# --- Bulk jobs resume -----------------------------------------------------------------------

@pytest.fixture
def past_assembly(users):
    """An assembly that has begun, with four attendees checked in."""
    assembly = make_assembly(capacity=10, quota=5)
    people = [registrations.register(assembly, users[Role.REPRESENTATIVE], **person(i)) for i in range(4)]
    for registration in people:
        checkin.check_in(assembly, users[Role.SECRETARIAT], f"scan-{registration.id}", "Door",
                         token=registration.checkin_token)
    assembly.starts_at = NOW - timedelta(hours=1)
    db.session.commit()
    huey.storage.flush_results()  # the watch marks of earlier tests' jobs
    return assembly, people


def _attendance_certificates():
    return db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.kind == "attendance"))


def test_a_job_whose_worker_died_is_resumed_and_completed_once(app, users, past_assembly):
    assembly, people = past_assembly
    attendance.issue(people[0])  # the dead worker got this far
    job = BulkJob(label="x", scope_type="assembly", scope_id=assembly.id, total=4, state="running", done=1)
    db.session.add(job)
    db.session.commit()
    stale = app.config["BULK_JOB_STALE_SECONDS"]
    assert resume.resume_stalled(now=1000.0) == []  # first seen: maybe it is still moving
    assert resume.resume_stalled(now=1000.0 + stale / 2) == []  # not stale yet
    assert resume.resume_stalled(now=1001.0 + stale) == [job.id]
    db.session.refresh(job)
    assert (job.state, job.done) == ("done", 4) and job.zip_name
    assert _attendance_certificates() == 4  # the first one was not made twice


def test_a_job_stuck_while_zipping_is_finished(app, users, past_assembly):
    assembly, people = past_assembly
    for registration in people:
        attendance.issue(registration)
    job = BulkJob(label="x", scope_type="assembly", scope_id=assembly.id, total=4, state="zipping", done=4)
    db.session.add(job)
    db.session.commit()
    resume.resume_stalled(now=0.0)
    assert resume.resume_stalled(now=app.config["BULK_JOB_STALE_SECONDS"] + 1.0) == [job.id]
    db.session.refresh(job)
    assert job.state == "done" and job.zip_name and _attendance_certificates() == 4


def test_a_job_that_keeps_stalling_fails_instead_of_looping(app, users, past_assembly, monkeypatch):
    assembly, _people = past_assembly
    job = BulkJob(label="x", scope_type="assembly", scope_id=assembly.id, total=4, state="running")
    db.session.add(job)
    db.session.commit()
    monkeypatch.setattr(attendance, "run_bulk_job", lambda *args: None)  # the queue swallows it each time
    stale = app.config["BULK_JOB_STALE_SECONDS"] + 1
    now = 0.0
    resume.resume_stalled(now=now)
    for _ in range(resume.MAX_RESUMES):
        now += stale
        assert resume.resume_stalled(now=now) == [job.id]
    now += stale
    assert resume.resume_stalled(now=now) == []
    db.session.refresh(job)
    assert job.state == "failed" and "stopped making progress" in job.error


def test_a_job_started_while_the_queue_is_down_waits_in_the_database(app, users, past_assembly, make_client,
                                                                      monkeypatch):
    assembly, _people = past_assembly
    staff = make_client()
    staff.login("sec@example.org")
    url = f"/checkin/{assembly.id}/certificates"

    def queue_down(task):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    monkeypatch.setattr(huey, "enqueue", queue_down)
    assert staff.post_form(url, page=url).status_code == 303
    job = db.session.scalar(select(BulkJob))
    assert job.state == "queued" and "Working" in staff.get(url).get_data(as_text=True)
    monkeypatch.undo()  # the queue is back; the workers' periodic check finds the job
    resume.resume_stalled(now=0.0)
    assert resume.resume_stalled(now=app.config["BULK_JOB_STALE_SECONDS"] + 1.0) == [job.id]
    db.session.refresh(job)
    assert job.state == "done" and _attendance_certificates() == 4


def test_a_resumed_job_emails_those_it_had_not_reached_once_and_nobody_twice(app, users, past_assembly, outbox):
    """The queue was down when the secretariat asked for the certificates with emailed links:
    the resumed job still sends the links (kept on the job), and only to those it issues."""
    assembly, people = past_assembly
    attendance.issue(people[0])  # made, and its link sent, before the worker died
    job = BulkJob(label="x", scope_type="assembly", scope_id=assembly.id, total=4, state="running", done=1,
                  email_links=True)
    db.session.add(job)
    db.session.commit()
    outbox.clear()
    resume.resume_stalled(now=0.0)
    assert resume.resume_stalled(now=app.config["BULK_JOB_STALE_SECONDS"] + 1.0) == [job.id]
    assert sorted(m.recipients[0] for m in outbox) == sorted(p.email for p in people[1:])


def test_no_job_counts_as_stalled_while_tasks_wait_in_the_queue(app, users, past_assembly, monkeypatch):
    """Behind another assembly's thousands of certificates, a job shows no progress for a while:
    it is waiting, not stalled, and is neither queued again nor failed."""
    assembly, _people = past_assembly
    job = BulkJob(label="x", scope_type="assembly", scope_id=assembly.id, total=4, state="queued")
    db.session.add(job)
    db.session.commit()
    monkeypatch.setattr(huey, "pending_count", lambda: 120)
    stale = app.config["BULK_JOB_STALE_SECONDS"] + 1
    assert [resume.resume_stalled(now=i * stale) for i in range(resume.MAX_RESUMES + 3)] == [[]] * (
        resume.MAX_RESUMES + 3)
    db.session.refresh(job)
    assert job.state == "queued"
    monkeypatch.setattr(huey, "pending_count", lambda: 0)  # drained: the clock runs from the last check
    last_check = (resume.MAX_RESUMES + 2) * stale
    assert resume.resume_stalled(now=last_check + stale / 2) == []
    assert resume.resume_stalled(now=last_check + stale) == [job.id]


def test_a_task_interrupted_by_a_worker_shutdown_is_queued_again(monkeypatch):
    queued = []
    monkeypatch.setattr(huey, "enqueue", queued.append)
    task = attendance.make_chunk.s(7, [1, 2], False)
    huey._emit(SIGNAL_INTERRUPTED, task)  # what a worker does when SIGTERM stops it mid-task
    assert queued == [task]


# --- gunicorn.conf.py -------------------------------------------------------------------------

def _gunicorn_conf(monkeypatch, **env):
    for name in ("BIND", "PORT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_conf_reads_the_environment(monkeypatch):
    conf = _gunicorn_conf(monkeypatch, WEB_CONCURRENCY="3", BIND="127.0.0.1:8101,127.0.0.1:8102")
    assert conf["workers"] == 3 and conf["bind"] == ["127.0.0.1:8101", "127.0.0.1:8102"]
    assert "%({x-request-id}o)s" in conf["access_log_format"]
    default = _gunicorn_conf(monkeypatch, PORT="8200")
    assert default["bind"] == ["127.0.0.1:8200"] and 3 <= default["workers"] <= 12


def test_gunicorn_refuses_production_with_rate_limits_in_process_memory(monkeypatch):
    conf = _gunicorn_conf(monkeypatch, GOSMART_ENV="production")
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setattr(ProductionConfig, "ALLOW_MEMORY_RATELIMIT", False)
    with pytest.raises(SystemExit, match="REDIS_URL"):
        conf["on_starting"](None)
    monkeypatch.setattr(ProductionConfig, "ALLOW_MEMORY_RATELIMIT", True)
    conf["on_starting"](None)  # knowingly, for one process
    monkeypatch.setattr(ProductionConfig, "ALLOW_MEMORY_RATELIMIT", False)
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    conf["on_starting"](None)
    assert config.Config.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED  # Redis down: limits degrade, pages stay up


def test_the_gunicorn_master_warms_gosmart_before_forking_and_leaves_other_apps_alone(app, monkeypatch):
    conf = _gunicorn_conf(monkeypatch)
    server = type("Server", (), {})()
    server.app = type("Loaded", (), {"wsgi": lambda self: app})()
    app.jinja_env.cache.clear()
    conf["when_ready"](server)
    compiled = {name for _loader, name in app.jinja_env.cache.keys()}
    assert {"base.html", "directory/index.html", "email/application_approved.txt", "pdf/certificate.html"} <= compiled
    bare = Flask("bench.bare")
    server.app = type("Loaded", (), {"wsgi": lambda self: bare})()
    conf["when_ready"](server)  # the benchmark's bare app, served with the same settings: untouched
