"""Two gunicorn instances on two loopback ports, sharing one PostgreSQL database and one Redis,
with a huey worker beside them — README "Deploying" on several hosts, on one machine.

Whatever one instance knows, the other knows too: nothing that matters lives in a process."""
import io
import threading
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import func, select

from gosmart.assemblies.models import Assembly, BadgeSheet, Registration
from gosmart.certificates.models import BulkJob, Certificate
from gosmart.checkin.models import CheckInScan
from gosmart.extensions import db
from gosmart.members.models import Organization
from gosmart.uploads import FileBlob

from . import support
from .conftest import add_assembly, committed, setup_app

LOGIN_LIMIT = 8  # per minute and client address, for these instances


@pytest.fixture(scope="module")
def deployment(postgres_url, shared_redis, tmp_path_factory):
    """README "Deploying", several hosts: a fresh database, `flask db upgrade`, two gunicorn
    instances with gunicorn.conf.py and a worker — and the demo, loaded while they start. Each
    process has an instance directory of its own, as on hosts that share no storage: the files
    are in the database."""
    redis_url, redis_client = shared_redis
    logs = support.log_dir("two-instances")
    instance = tmp_path_factory.mktemp("deployment-instance")
    url = support.create_database(postgres_url, "gosmart_production")
    app = setup_app(url, instance / "setup")
    env = support.app_env(support.plain_url(url), redis_url, instance / "worker",
                          LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute")
    running = {}
    try:
        with app.app_context():
            upgrade()
            running.update(a=support.gunicorn("web-a", dict(env, GOSMART_INSTANCE_DIR=str(instance / "web-a")), logs),
                           b=support.gunicorn("web-b", dict(env, GOSMART_INSTANCE_DIR=str(instance / "web-b")), logs),
                           worker=support.worker("worker-1", env, logs))
            result = app.test_cli_runner().invoke(args=["demo", "load"])
            assert result.exit_code == 0, result.output
            db.session.remove()
        support.wait_ready(running["a"])
        support.wait_ready(running["b"])
        running.update(env=env, logs=logs, app=app, redis=redis_client, instance=instance)
        yield running  # a test may replace the worker: the one running at the end is stopped
    finally:
        for process in running.values():
            if isinstance(process, support.Process):
                process.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        support.drop_database(url)


def _bases(deployment):
    return deployment["a"].base, deployment["b"].base


def test_both_instances_serve_the_demo_and_are_ready(deployment):
    for base in _bases(deployment):
        browser = support.Browser()
        ready = browser.get(f"{base}/readyz")
        assert ready.status == 200
        assert ready.json() == {"status": "ok", "database": "ok", "migrations": "ok", "redis": "ok"}
        assert browser.get(f"{base}/healthz").json() == {"status": "ok", "database": "ok"}
        directory = browser.get(f"{base}/directory/")
        assert directory.status == 200 and "Taipei City" in directory.text
        assert len(directory.headers["X-Request-ID"]) >= 16


def test_a_session_from_one_instance_is_valid_on_the_other(deployment):
    a, b = _bases(deployment)
    browser = support.Browser()
    browser.login(a, "secretariat@demo.gosmart.org")
    on_b = browser.get(f"{b}/accounts/")
    assert on_b.status == 200 and "door@demo.gosmart.org" in on_b.text
    assert browser.get(f"{a}/accounts/").status == 200
    # Signing out on B ends the session on A too (its token lives in the database), even for a
    # copy of the cookies taken before.
    copy = support.Browser()
    for cookie in browser.jar:
        copy.jar.set_cookie(cookie)
    assert browser.post(f"{b}/logout", {"csrf_token": browser.csrf_token(f"{b}/accounts/")}).status in (302, 303)
    refused = copy.get(f"{a}/accounts/")
    assert refused.status == 302 and "/login" in refused.headers["Location"]


def test_the_login_rate_limit_is_shared_by_both_instances(deployment):
    a, b = _bases(deployment)
    redis_client = deployment["redis"]
    browser = support.Browser()
    token = browser.csrf_token(f"{a}/login")
    statuses = []
    for key in list(redis_client.scan_iter(match="*LIMIT*", count=1000)):
        redis_client.delete(key)  # the sign-ins of the tests before
    try:
        # Per process, four workers would allow 4 × LOGIN_LIMIT wrong passwords; shared, LOGIN_LIMIT in all.
        for attempt in range(LOGIN_LIMIT + 2):
            base = (a, b)[attempt % 2]
            response = browser.post(f"{base}/login", {"email": "secretariat@demo.gosmart.org",
                                                      "password": "wrong", "csrf_token": token})
            statuses.append(response.status)
            if response.status == 429:
                break
        # The wrong password is shown again LOGIN_LIMIT times, half of them by each instance; then 429.
        assert statuses == [200] * LOGIN_LIMIT + [429], statuses
        assert browser.post(f"{a}/login", {"email": "x@example.org", "password": "x", "csrf_token": token}).status == 429
        assert browser.post(f"{b}/login", {"email": "x@example.org", "password": "x", "csrf_token": token}).status == 429
        assert any(b"auth.login" in key for key in redis_client.scan_iter(match="*LIMIT*", count=1000))
    finally:
        for key in list(redis_client.scan_iter(match="*LIMIT*", count=1000)):
            redis_client.delete(key)  # the other tests sign in from the same address


def test_an_htmx_sign_in_with_a_next_in_any_script_keeps_its_session_through_gunicorn(deployment):
    """A `next` of "/。" (non-Latin-1 once decoded) used to reach gunicorn raw in HX-Redirect: a
    bare 500 without a request id, and the session cookie lost. Percent-encoded, it goes through."""
    a, b = _bases(deployment)
    browser = support.Browser()
    token = browser.csrf_token(f"{a}/login")
    response = browser.post(f"{a}/login?next=/%E3%80%82", {"email": "secretariat@demo.gosmart.org",
                                                           "password": "gosmart-demo", "csrf_token": token},
                            headers={"HX-Request": "true"})
    assert response.status == 204, (response.status, response.text[:300])
    assert response.headers["HX-Redirect"] == "/%E3%80%82" and response.headers["X-Request-ID"]
    assert browser.get(f"{b}/accounts/").status == 200  # signed in, on either instance


def _race(calls, workers):
    """Run the calls at the same moment (as far as threads allow); their results in order."""
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(call):
        barrier.wait()
        return call()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls, timeout=120))


def test_a_check_in_race_across_both_instances_gives_exactly_one_check_in(deployment):
    a, b = _bases(deployment)
    app = deployment["app"]
    door = support.Browser()
    door.login(a, "door@demo.gosmart.org")
    token = door.csrf_token(f"{a}/checkin/")

    def ticket():
        upcoming = db.session.scalar(select(Assembly).where(Assembly.title.like("General Assembly 2%")))
        registration = db.session.scalar(select(Registration).where(
            Registration.assembly_id == upcoming.id, Registration.state == "confirmed",
            Registration.checked_in_at.is_(None)).order_by(Registration.id).limit(1))
        return upcoming.id, registration.id, registration.checkin_token
    assembly_id, registration_id, ticket_token = committed(app, ticket)
    n = 16
    client_ids = [f"race-{uuid.uuid4().hex}" for _ in range(n)]

    def scan(i):
        base = (a, b)[i % 2]
        return lambda: door.post(f"{base}/checkin/{assembly_id}/scan",
                                 {"token": ticket_token, "client_id": client_ids[i], "station": f"Door {i % 2}"},
                                 headers={"Accept": "application/json", "X-CSRFToken": token})
    responses = _race([scan(i) for i in range(n)], workers=n)
    assert [r.status for r in responses] == [200] * n, [(r.status, r.text[:200]) for r in responses]
    verdicts = sorted(r.json()["verdict"] for r in responses)
    assert verdicts.count("checked_in") == 1 and verdicts.count("already_checked_in") == n - 1, verdicts

    def stored():
        registration = db.session.get(Registration, registration_id)
        scans = db.session.scalar(select(func.count()).select_from(CheckInScan).where(
            CheckInScan.client_id.in_(client_ids)))
        return registration.checked_in_at is not None, scans
    assert committed(app, stored) == (True, n)


def test_a_capacity_race_across_both_instances_never_overbooks(deployment):
    a, b = _bases(deployment)
    app = deployment["app"]
    capacity, n = 3, 12
    assembly_id = committed(app, lambda: add_assembly("Capacity race", capacity=capacity, began=False))
    staff = support.Browser()
    staff.login(b, "secretariat@demo.gosmart.org")
    url = f"/assemblies/{assembly_id}"
    token = staff.csrf_token(f"{a}{url}")

    def register(i):
        base = (a, b)[i % 2]
        return lambda: staff.post(f"{base}{url}", {"name": f"Guest {i}", "email": f"guest{i}@race.example",
                                                   "role": "guest", "csrf_token": token})
    responses = _race([register(i) for i in range(n)], workers=n)
    assert [r.status for r in responses] == [303] * n, [(r.status, r.text[:300]) for r in responses]

    def outcome():
        states = db.session.execute(select(Registration.state, func.count()).where(
            Registration.assembly_id == assembly_id).group_by(Registration.state)).all()
        return dict(states), db.session.get(Assembly, assembly_id).confirmed_count
    states, confirmed_count = committed(app, outcome)
    assert states == {"confirmed": capacity, "waiting": n - capacity}
    assert confirmed_count == capacity


def _job_state(app, job_id):
    return committed(app, lambda: db.session.get(BulkJob, job_id).state)


def _start_bulk_job(browser, base, assembly_id):
    url = f"{base}/checkin/{assembly_id}/certificates"
    response = browser.post(url, {"csrf_token": browser.csrf_token(url)})
    assert response.status == 303, response.text[:500]


def _job_of(app, assembly_id):
    return committed(app, lambda: db.session.scalar(select(BulkJob.id).where(BulkJob.scope_id == assembly_id)))


def _certificates(app, assembly_id):
    def read():
        holders = select(Registration.id).where(Registration.assembly_id == assembly_id)
        rows = db.session.execute(select(Certificate.holder_id, Certificate.serial).where(
            Certificate.kind == "attendance", Certificate.holder_id.in_(holders))).all()
        return [r.holder_id for r in rows], [r.serial for r in rows]
    return committed(app, read)


def _zip_names(browser, base, assembly_id, job_id):
    response = browser.get(f"{base}/checkin/{assembly_id}/certificates/{job_id}.zip")
    assert response.status == 200, response.status
    return zipfile.ZipFile(io.BytesIO(response.body)).namelist()


def test_a_bulk_job_queued_through_one_instance_is_done_by_the_worker(deployment):
    a, b = _bases(deployment)
    app = deployment["app"]
    attendees = 4
    assembly_id = committed(app, lambda: add_assembly("Bulk job", capacity=50, began=True, attendees=attendees))
    staff = support.Browser()
    staff.login(a, "secretariat@demo.gosmart.org")
    _start_bulk_job(staff, a, assembly_id)
    job_id = _job_of(app, assembly_id)
    progress = f"{b}/checkin/{assembly_id}/certificates/{job_id}/progress"
    support.wait_until("the job done", lambda: _job_state(app, job_id) == "done", 90, interval=0.5)
    assert "Download the ZIP" in staff.get(progress, headers={"HX-Request": "true"}).text
    holders, serials = _certificates(app, assembly_id)
    assert len(holders) == len(set(holders)) == attendees and len(set(serials)) == attendees
    assert len(_zip_names(staff, b, assembly_id, job_id)) == attendees


def test_a_badge_sheet_asked_for_on_one_instance_is_made_by_the_worker(deployment):
    a, b = _bases(deployment)
    app = deployment["app"]
    assembly_id = committed(app, lambda: add_assembly("Badge sheet", capacity=50, began=True, attendees=12))
    staff = support.Browser()
    staff.login(a, "secretariat@demo.gosmart.org")
    url = f"{a}/assemblies/{assembly_id}/badges"
    assert staff.post(url, {"csrf_token": staff.csrf_token(url)}).status == 303
    sheet_id = committed(app, lambda: db.session.scalar(select(BadgeSheet.id).where(
        BadgeSheet.assembly_id == assembly_id)))
    support.wait_until("the sheet made", lambda: committed(
        app, lambda: db.session.get(BadgeSheet, sheet_id).state) == "done", 90, interval=0.5)
    progress = f"{b}/assemblies/{assembly_id}/badges/{sheet_id}/progress"
    assert "12 of 12 badges" in staff.get(progress, headers={"HX-Request": "true"}).text
    pdf = staff.get(f"{b}/assemblies/{assembly_id}/badges/{sheet_id}.pdf")
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")


def test_a_worker_killed_mid_job_is_resumed_and_nothing_is_done_twice(deployment):
    a, _b = _bases(deployment)
    app = deployment["app"]
    attendees = 8  # one chunk: the worker dies in its middle
    assembly_id = committed(app, lambda: add_assembly("Killed worker", capacity=50, began=True, attendees=attendees))
    staff = support.Browser()
    staff.login(a, "secretariat@demo.gosmart.org")
    _start_bulk_job(staff, a, assembly_id)
    job_id = _job_of(app, assembly_id)
    support.wait_until("the first certificates", lambda: len(_certificates(app, assembly_id)[0]) >= 1, 90,
                       interval=0.1)
    deployment["worker"].kill()  # SIGKILL: no chance to put anything back
    made_before = len(_certificates(app, assembly_id)[0])
    assert _job_state(app, job_id) != "done" and made_before < attendees
    deployment["worker"] = support.worker("worker-2", deployment["env"], deployment["logs"])
    support.wait_until("the resumed job done", lambda: _job_state(app, job_id) == "done", 120, interval=0.5)
    holders, serials = _certificates(app, assembly_id)
    assert sorted(holders) == sorted(set(holders)) and len(holders) == attendees  # each attendee once
    assert len(set(serials)) == attendees
    assert len(_zip_names(staff, a, assembly_id, job_id)) == attendees
    assert "queued again" in deployment["worker"].log_tail(400)


def test_an_upload_to_one_instance_is_served_by_the_other_with_no_shared_directory(deployment):
    """Files live in the database (FILE_STORAGE=database, the default): a logo uploaded through A
    is served by B, a bulk job's ZIP made by the worker by both, and no instance wrote a file."""
    a, b = _bases(deployment)
    logo = _png(seed=uuid.uuid4().bytes)
    representative = support.Browser()
    representative.login(a, "taipei@demo.gosmart.org")
    token = representative.csrf_token(f"{a}/my-organization")
    # The logo is chosen in the profile form and saved with it.
    uploaded = representative.post_files(f"{a}/my-organization", {"csrf_token": token, "listed_publicly": "y",
                                                                  "visible": "logo"}, {"logo": ("logo.png", logo)})
    assert uploaded.status in (302, 303), uploaded.text[:2000]
    organization_id = committed(deployment["app"], lambda: db.session.scalar(
        select(Organization.id).where(Organization.name == "Taipei City")))
    for base in (b, a):
        served = representative.get(f"{base}/directory/{organization_id}/logo")
        assert served.status == 200 and served.body == logo, base
        assert served.headers["Content-Disposition"].startswith("attachment")
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served.headers["Content-Security-Policy"]
    stored = committed(deployment["app"], lambda: db.session.scalar(select(func.count()).select_from(FileBlob)))
    assert stored >= 1
    written = [p for p in deployment["instance"].rglob("*") if p.is_file() and "uploads" in p.parts]
    assert written == [], written


def _png(seed):
    """A small PNG whose pixels come from `seed` (a logo no earlier run stored)."""
    out = io.BytesIO()
    image = Image.frombytes("RGB", (4, 4), (seed * 4)[:48])
    image.save(out, "PNG")
    return out.getvalue()
