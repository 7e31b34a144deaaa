"""The secretariat's workspace: dashboard figures, the audit log, exports, emails, home pages."""
import csv
import io
import re
from pathlib import Path

import pytest
from jinja2 import StrictUndefined, Undefined
from sqlalchemy import event, select

from gosmart import audit
from gosmart.audit import AuditEntry
from gosmart.auth.models import Role
from gosmart.extensions import db
from gosmart.members.models import Application
from gosmart.secretariat import notifications, services

EMAIL_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output


def staff_client(make_client, email="secretariat@demo.gosmart.org", password="gosmart-demo"):
    client = make_client()
    assert client.login(email, password).status_code == 303
    return client


def test_dashboard_shows_the_demo_figures_with_links(demo, make_client):
    page = staff_client(make_client).get("/secretariat/").get_data(as_text=True)
    assert [n for _category, n in services.members_by_category()] == [91, 54, 5]
    assert ">91<" in page and ">54<" in page and ">5<" in page
    assert 'href="/directory/?category=industry"' in page
    assert "General Assembly" in page and "/assemblies/" in page
    assert "changes requested" in page and 'href="/applications/?state=submitted"' in page
    assert "MOUs expiring within 90 days" in page
    assert "<svg" in page and "<script" not in page.split("<main")[1]


def test_dashboard_query_count_is_bounded(demo, make_client):
    client = staff_client(make_client)
    counter = {"n": 0}

    def count(*args, **kwargs):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get("/secretariat/")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert counter["n"] <= 12


def test_audit_log_answers_who_approved_this_application(users, make_client):
    secretariat = users[Role.SECRETARIAT]
    application = Application(category="city", state="submitted", applicant=users[Role.APPLICANT], name="Nara",
                              country="JP")
    db.session.add(application)
    db.session.commit()
    audit.record("application.approve", application, actor=secretariat, details={"from": "submitted"})
    audit.record("application.comment", application, actor=users[Role.APPLICANT])
    db.session.commit()
    client = make_client()
    client.login(secretariat.email)
    by_object = client.get(f"/secretariat/audit?object_type=Application&object_id={application.id}"
                           "&action=application.approve", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "application.approve" in by_object and "sec@example.org" in by_object and "application.comment" not in by_object
    assert f'href="/applications/{application.id}"' in by_object and "<html" not in by_object
    by_prefix = client.get("/secretariat/audit?action=application").get_data(as_text=True)
    assert "application.approve" in by_prefix and "application.comment" in by_prefix
    by_who = client.get("/secretariat/audit?who=app@", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "application.comment" in by_who and "application.approve" not in by_who


def test_a_whole_address_finds_that_person_only_and_the_object_kinds_are_offered(users, make_client):
    secretariat = users[Role.SECRETARIAT]
    audit.record("test.one", actor=secretariat, object_type="Widget", object_id="1")
    db.session.add(AuditEntry(action="test.other", actor_email=secretariat.email + ".au", object_type="Gadget"))
    db.session.commit()
    client = make_client()
    client.login(secretariat.email)
    exact = client.get(f"/secretariat/audit?who={secretariat.email.upper()}",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "test.one" in exact and "test.other" not in exact  # not a longer address that starts the same
    prefix = client.get(f"/secretariat/audit?who={secretariat.email[:4]}", headers={"HX-Request": "true"})
    assert "test.one" in prefix.get_data(as_text=True) and "test.other" in prefix.get_data(as_text=True)
    db.session.add(AuditEntry(action="test.third", actor_email="x@taipei.gov.tw"))
    db.session.commit()
    nobody_exactly = client.get("/secretariat/audit?who=x@taipei.gov", headers={"HX-Request": "true"})
    assert "test.third" in nobody_exactly.get_data(as_text=True)  # nobody has that address: its beginning
    page = client.get("/secretariat/audit").get_data(as_text=True)
    assert '<option value="Gadget">' in page and '<option value="Widget">' in page
    assert services.object_types() == sorted(services.object_types())


def test_audit_paging_and_date_filters(users, make_client):
    for i in range(120):
        audit.record(f"test.entry{i:03d}", object_type="Thing", object_id=str(i), actor=users[Role.SECRETARIAT])
    db.session.commit()
    client = make_client()
    client.login(users[Role.SECRETARIAT].email)
    seen, url = [], "/secretariat/audit?object_type=Thing"
    while url:
        body = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        seen += re.findall(r"test\.entry(\d{3})", body)
        match = re.search(r'href="([^"]+)" rel="next"', body)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert seen == [f"{i:03d}" for i in reversed(range(120))]
    none = client.get("/secretariat/audit?object_type=Thing&date_to=2000-01-01").get_data(as_text=True)
    assert "No entry matches." in none


def test_audit_csv_is_escaped_and_complete(users, make_client):
    audit.record("test.formula", object_type="Thing", details={"note": "=HYPERLINK(1)"}, actor=users[Role.SECRETARIAT])
    db.session.commit()
    client = make_client()
    client.login(users[Role.SECRETARIAT].email)
    raw = client.get("/secretariat/audit.csv?action=test.formula").data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "at_utc", "who", "action"] and rows[1][3] == "test.formula"


def test_nobody_can_change_the_audit_log_through_the_app(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("secretariat.audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}


def test_mou_export(demo, make_client):
    raw = staff_client(make_client).get("/secretariat/exports/mous.csv").data.decode("utf-8-sig")
    assert "Local Government Association of Queensland" in raw and "status_today" in raw.splitlines()[0]
    page = staff_client(make_client).get("/secretariat/exports").get_data(as_text=True)
    assert "/directory/export.csv" in page and "registrations.csv" in page and "checkins.csv" in page


def test_every_email_template_is_listed_and_renders_both_parts(app):
    templates = {p.stem for p in EMAIL_DIR.glob("*.txt")}
    assert templates == set(notifications.EMAILS), "register each email in secretariat/notifications.EMAILS"
    app.jinja_env.undefined = StrictUndefined  # a missing variable fails here
    try:
        with app.test_request_context():
            for name in templates:
                text, html = notifications.preview(name)
                assert text.strip() and "<p>" in html, name
                assert "http://gosmart.test/" in text, name  # links work from outside
    finally:
        app.jinja_env.undefined = Undefined


def test_email_preview_pages(users, make_client):
    client = make_client()
    client.login(users[Role.SECRETARIAT].email)
    index = client.get("/secretariat/emails").get_data(as_text=True)
    assert "registration confirmed" in index
    page = client.get("/secretariat/emails/application_approved").get_data(as_text=True)
    assert "Welcome to GO SMART" in page
    html = client.get("/secretariat/emails/application_approved.html")
    assert "style-src 'unsafe-inline'" in html.headers["Content-Security-Policy"]
    assert client.get("/secretariat/emails/nope").status_code == 404


def test_home_pages_by_role(demo, make_client):
    taipei = staff_client(make_client, "taipei@demo.gosmart.org")
    page = taipei.get("/my-organization").get_data(as_text=True)
    assert "Assemblies open for registration" in page and "2 of 3 delegates registered" in page
    assert "/my-organization/certificate.pdf" in page
    honorary = staff_client(make_client, "honorary@demo.gosmart.org")
    assert "Open for registration:" in honorary.get("/directory/").get_data(as_text=True)
    door = staff_client(make_client, "door@demo.gosmart.org")
    assert "Open the check-in screen" in door.get("/checkin/").get_data(as_text=True)
    applicant = staff_client(make_client, "applicant@demo.gosmart.org")
    assert "Formosa Mobility Lab" in applicant.get("/my-applications").get_data(as_text=True)
