"""Outages, for real: a PostgreSQL cluster and a Redis server of the test's own (loopback, free
ports) that it stops in the middle of the work and starts again, under one gunicorn instance
and one huey worker that are never restarted.

Redis down: the site keeps serving, rate limits fall back to each process, a bulk job started
meanwhile waits in the database and is done once Redis is back. PostgreSQL down: 503 pages
that say to try again and show the posted form again, nothing half-written, and the same
instance serves again once the database is back."""
import threading
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from gosmart.assemblies.models import Assembly, Registration
from gosmart.audit import AuditEntry, utcnow
from gosmart.auth.models import Role, User
from gosmart.auth.services import hash_password
from gosmart.certificates.models import BulkJob
from gosmart.extensions import db

from . import support
from .conftest import add_assembly, committed, setup_app

EMAIL, PASSWORD = "secretariat@outage.example", "outage-test-password"


@pytest.fixture(scope="module")
def stack(postgres_url, tmp_path_factory):
    """postgres_url only gates the module: the cluster below is the test's own."""
    for why in (support.Cluster.unavailable(), support.RedisServer.unavailable()):
        if why:
            pytest.skip(why)
    logs = support.log_dir("outage")
    instance = tmp_path_factory.mktemp("outage-instance")
    cluster = support.Cluster().init()
    redis_server = support.RedisServer(logs)
    processes = []
    app = None
    try:
        cluster.start()
        url = support.create_database(cluster.url(), "gosmart_outage")
        app = setup_app(url, instance)
        with app.app_context():
            upgrade()
            db.session.add(User(email=EMAIL, name="Outage Secretariat", role=Role.SECRETARIAT,
                                password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow()))
            db.session.commit()
            open_id = add_assembly("Open assembly", capacity=1000, began=False)
            began_id = add_assembly("Begun assembly", capacity=10, began=True, attendees=3)
            db.session.remove()
        redis_server.start()
        env = support.app_env(support.plain_url(url), redis_server.url, instance, WEB_CONCURRENCY="2")
        web = support.gunicorn("web", env, logs)
        processes += [web, support.worker("worker", env, logs)]
        support.wait_ready(web)
        yield {"web": web, "worker": processes[1], "cluster": cluster, "redis": redis_server, "app": app,
               "open": open_id, "began": began_id}
    finally:
        for process in processes:
            process.stop()
        redis_server.stop()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        cluster.destroy()


def test_with_redis_down_the_site_serves_and_a_job_started_meanwhile_is_done_when_it_returns(stack):
    base, app = stack["web"].base, stack["app"]
    staff = support.Browser()
    staff.login(base, EMAIL, PASSWORD)
    stack["redis"].stop()
    try:
        visitor = support.Browser()
        assert visitor.get(f"{base}/directory/").status == 200
        assert visitor.get(f"{base}/healthz").status == 200
        ready = visitor.get(f"{base}/readyz")
        assert ready.status == 503 and ready.json()["redis"] == "unreachable" and ready.json()["database"] == "ok"
        # Rate-limited routes still answer: the limits are counted in each process meanwhile.
        wrong = visitor.post(f"{base}/login", {"email": EMAIL, "password": "wrong",
                                               "csrf_token": visitor.csrf_token(f"{base}/login")})
        assert wrong.status == 200 and "not right" in wrong.text
        url = f"{base}/checkin/{stack['began']}/certificates"
        assert staff.post(url, {"csrf_token": staff.csrf_token(url)}).status == 303
        job_id = committed(app, lambda: db.session.scalar(select(BulkJob.id).where(BulkJob.scope_id == stack["began"])))
        assert job_id and committed(app, lambda: db.session.get(BulkJob, job_id).state) == "queued"
    finally:
        stack["redis"].start()  # a fresh Redis: whatever it held is gone
    support.wait_until("the job done after Redis returned",
                       lambda: committed(app, lambda: db.session.get(BulkJob, job_id).state) == "done", 90, interval=0.5)
    support.wait_until("ready again", lambda: support.Browser().get(f"{base}/readyz").status == 200, 30)


def test_with_postgresql_down_pages_say_try_again_forms_come_back_and_nothing_is_half_written(stack):
    base, app, cluster, web = stack["web"].base, stack["app"], stack["cluster"], stack["web"]
    url = f"{base}/assemblies/{stack['open']}"
    staff = support.Browser()
    staff.login(base, EMAIL, PASSWORD)
    token = staff.csrf_token(url)
    pid = web.proc.pid
    sent = []  # (email, status, page) of every registration posted
    stop = threading.Event()

    def register_people():
        for i in range(400):  # bounded; stopped long before
            if stop.is_set():
                return
            email = f"person{i}@outage.example"
            response = staff.post(url, {"name": f"Person <{i}> Ünal", "email": email, "role": "guest",
                                        "csrf_token": token}, timeout=30)
            sent.append((email, response.status, response.text))
            if response.status == 503:
                time.sleep(0.2)
    poster = threading.Thread(target=register_people)
    poster.start()
    try:
        support.wait_until("a few registrations made", lambda: sum(s == 303 for _e, s, _t in sent) >= 3, 60, 0.05)
        cluster.stop("immediate")  # the server is gone, whatever it was doing
        support.wait_until("posts refused while down", lambda: sum(s == 503 for _e, s, _t in sent) >= 3, 60, 0.1)
        page = staff.get(f"{base}/assemblies/")
        assert page.status == 503 and "Temporarily unavailable" in page.text and page.headers["Retry-After"]
        assert support.Browser().get(f"{base}/healthz").status == 503
    finally:
        stop.set()
        poster.join(timeout=60)
        cluster.start()
    assert not poster.is_alive()
    support.wait_until("the same instance serves again",
                       lambda: support.Browser().get(f"{base}/healthz").status == 200, 60, 0.5)
    assert web.proc.pid == pid and web.alive()  # recovered by itself, not restarted

    refused = [(email, page) for email, status, page in sent if status == 503]
    assert refused and all(status in (303, 503) for _e, status, _t in sent), sorted({s for _e, s, _t in sent})
    for email, page in refused:
        assert "Try again in a moment" in page or "try again in a moment" in page
        action, fields = support.resubmit_form(page)
        assert fields["email"] == email and fields["name"].startswith("Person <") and "csrf_token" in fields
        again = staff.post(f"{base}{action}", fields)
        # 303: registered now. 422 "already registered": the first attempt had committed when the
        # connection dropped (its answer was lost, its data was not) — either way, once.
        assert again.status == 303 or (again.status == 422 and "already registered" in again.text), again.status

    def invariants():
        assembly = db.session.get(Assembly, stack["open"])
        per_email = dict(db.session.execute(select(Registration.email, func.count()).where(
            Registration.assembly_id == assembly.id).group_by(Registration.email)).all())
        confirmed = db.session.scalar(select(func.count()).select_from(Registration).where(
            Registration.assembly_id == assembly.id, Registration.state == "confirmed"))
        audited = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "registration.created"))
        return per_email, confirmed, assembly.confirmed_count, audited
    per_email, confirmed, counter, audited = committed(app, invariants)
    assert per_email == {email: 1 for email, _s, _t in sent}  # everyone sent is there, once
    assert counter == confirmed == len(per_email)  # the seat counter agrees with the rows
    assert audited == len(per_email)  # and every registration has its audit entry, none without
