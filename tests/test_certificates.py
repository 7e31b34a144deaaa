"""Certificates: PDFs read back, verification, downloads per role, attendance rules, bulk ZIP."""
import hashlib
import io
import re
import threading
import zipfile
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from gosmart.assemblies import services as registrations
from gosmart.assemblies.models import Assembly
from gosmart.auth.models import Role
from gosmart.auth.services import hash_password
from gosmart.certificates import services
from gosmart.certificates.models import BulkJob, Certificate
from gosmart.checkin import attendance
from gosmart.checkin import services as checkin
from gosmart.extensions import db
from gosmart.members import services as members

from .test_applications import CITY_DATA, add_pdf
from .test_assemblies import NOW, make_assembly, person


def text_of(pdf):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def membership_certificate(organization, actor=None):
    """Issued as approval issues it (downloads never issue)."""
    certificate = services.issue("membership", members.membership_holder(organization), actor,
                                 issued_on=organization.member_since)
    db.session.commit()
    return certificate


@pytest.fixture
def taipei(users):
    organization = users[Role.REPRESENTATIVE].organization
    organization.name_local = "臺北市"
    db.session.commit()
    return organization


def test_membership_certificate_prints_names_in_any_script_serial_and_verification_code(taipei, users, make_client):
    membership_certificate(taipei)
    client = make_client()
    client.login(users[Role.REPRESENTATIVE].email)
    response = client.get("/my-organization/certificate.pdf")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    certificate = db.session.scalar(select(Certificate))
    text = text_of(response.data)
    assert "Taipei City" in text and "臺北市" in text
    assert re.fullmatch(r"GS-CERT-\d{4}-\d{6}", certificate.serial) and certificate.serial in text
    # The page to type it into, and the code on one line: four groups of four, none of I, L, O, U.
    assert "http://gosmart.test/verify" in text
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", certificate.verification_code)
    assert re.search(rf"^{certificate.printed_code}$", text, re.M), text
    assert hashlib.sha256(response.data).hexdigest() == certificate.sha256
    # Downloading again gives the same certificate, not a new one.
    assert client.get("/my-organization/certificate.pdf").data == response.data
    assert db.session.query(Certificate).count() == 1


def test_verification_valid_revoked_unknown(taipei, users, make_client):
    certificate = membership_certificate(taipei)
    visitor = make_client()
    valid = visitor.get(f"/verify/{certificate.verification_code}")
    assert valid.status_code == 200 and "Valid certificate" in valid.get_data(as_text=True)
    assert "Taipei City" in valid.get_data(as_text=True)
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    assert staff.post_form(f"/certificates/{certificate.id}/revoke", {"reason": "Name misspelt"},
                           page="/certificates/").status_code == 303
    revoked = visitor.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "Revoked — no longer valid" in revoked and "Valid certificate" not in revoked
    unknown = visitor.get("/verify/not-a-real-code")
    assert unknown.status_code == 404 and "Unknown code" in unknown.get_data(as_text=True)
    form = visitor.get(f"/verify?code={certificate.verification_code}")
    assert form.status_code == 303 and form.headers["Location"].endswith(certificate.printed_code)


def test_verification_is_rate_limited(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.get("/verify/unknown").status_code for _ in range(4)]
    finally:
        app.config["VERIFY_RATE_LIMIT"] = "30 per minute"
    assert statuses == [404, 404, 404, 429]


def test_reissue_revokes_the_old_certificate(taipei, users):
    old = membership_certificate(taipei)
    taipei.name = "Taipei City Government"
    new = members.reissue_membership_certificate(taipei, users[Role.SECRETARIAT])
    db.session.refresh(old)
    assert old.revoked_at is not None and new.replaces_id == old.id and new.holder_name == "Taipei City Government"
    assert services.find_by_code(new.verification_code).is_valid


def test_approval_issues_the_certificate_and_emails_it(users, make_user, outbox):
    applicant = make_user(Role.APPLICANT, "kao@example.org")
    applicant.email_confirmed_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    application = members.start_application("city", CITY_DATA, applicant=applicant)
    add_pdf(application, applicant)
    members.submit(application, applicant)
    organization = members.approve(application, users[Role.SECRETARIAT])
    certificate = services.valid_certificate("membership", "organization", organization.id)
    attachment = outbox[-1].attachments[0]
    assert attachment.filename == f"{certificate.serial}.pdf"
    assert "高雄市" in text_of(attachment.data)


def test_honorary_certificate_for_the_honorary_member_only(users, make_client):
    grant = members.grant_honorary("Dr. Ada Chen", "ada@example.org", "IoT consultant", "formerly IDC",
                                   "For services to smart cities.", users[Role.SECRETARIAT])
    ada = grant.user
    ada.password_hash = hash_password("correct horse battery staple")
    db.session.commit()
    client = make_client()
    client.login("ada@example.org")
    response = client.get("/honorary/certificate.pdf")
    assert response.status_code == 200 and "Dr. Ada Chen" in text_of(response.data)
    members.revoke_honorary(users[Role.HONORARY].honorary_membership, users[Role.SECRETARIAT], "Conflict of interest.")
    other = make_client()
    other.login(users[Role.HONORARY].email)  # an honorary member whose honour is revoked
    assert other.get("/honorary/certificate.pdf").status_code == 303


@pytest.mark.parametrize("role", [None, Role.APPLICANT, Role.DOOR_STAFF, Role.HONORARY, Role.REPRESENTATIVE])
def test_only_the_secretariat_downloads_any_certificate(taipei, users, make_client, role):
    certificate = membership_certificate(taipei)
    client = make_client()
    if role:
        client.login(users[role].email)
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code in (302, 403)
    assert client.post_form(f"/certificates/{certificate.id}/revoke", {"reason": "x"}).status_code in (302, 403)
    assert services.find_by_code(certificate.verification_code).is_valid


class _Recorder(BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_markup_and_urls_in_names_are_printed_not_fetched(taipei, users):
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        taipei.name = f'<img src="http://127.0.0.1:{port}/x"><link rel="attachment" href="file:///etc/passwd">'
        taipei.name_local = f"<style>@import url(http://127.0.0.1:{port}/y.css);</style>file:///etc/passwd"
        certificate = membership_certificate(taipei)
        pdf = services.pdf_of(certificate)
    finally:
        server.shutdown()
    assert _Recorder.hits == []
    reader = PdfReader(io.BytesIO(pdf))
    assert not reader.attachments
    text = text_of(pdf)
    assert "root:x:0:0" not in text and "file:///etc/passwd" in text.replace("\n", "")


# --- Attendance -------------------------------------------------------------------------------

@pytest.fixture
def attended(users):
    """An assembly that has begun, with three delegates of whom two were checked in."""
    assembly = make_assembly(capacity=10, quota=5)
    rep = users[Role.REPRESENTATIVE]
    people = [registrations.register(assembly, rep, **person(i)) for i in range(3)]
    for registration in people[:2]:
        checkin.check_in(assembly, users[Role.SECRETARIAT], f"scan-{registration.id}", "Door",
                         token=registration.checkin_token)
    assembly.starts_at = NOW - timedelta(hours=1)
    db.session.commit()
    return assembly, people


def test_attendance_only_after_check_in_and_once_begun(users, attended):
    assembly, people = attended
    with pytest.raises(attendance.AttendanceError):
        attendance.issue(people[2])  # never checked in
    certificate = attendance.issue(people[0])
    assert "Delegate 0" in text_of(services.pdf_of(certificate))
    assembly.starts_at = NOW + timedelta(days=1)
    db.session.commit()
    with pytest.raises(attendance.AttendanceError):
        attendance.issue(people[1])


def test_attendance_names_an_assembly_with_the_longest_title_and_city(users, attended):
    """Found by the security suite on PostgreSQL: title (200) + city (100) + date overflowed the
    certificate's subject column; SQLite does not enforce lengths, so only PostgreSQL failed."""
    assembly, people = attended
    assembly.title, assembly.city = "T" * 200, "C" * 100
    db.session.commit()
    certificate = attendance.issue(people[0])
    assert certificate.subject.startswith("T" * 200 + ", " + "C" * 100 + ", ")


def test_attendance_link_shows_a_button_then_gives_the_pdf(users, attended, make_client):
    _assembly, people = attended
    token = attendance.link_token(people[0])
    client = make_client()
    page = client.get(f"/attendance/{token}")
    assert page.status_code == 200 and db.session.query(Certificate).count() == 0  # GET changes nothing
    response = client.post_form(f"/attendance/{token}", page=f"/attendance/{token}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get("/attendance/forged-token").status_code == 404
    refused = client.post_form(f"/attendance/{attendance.link_token(people[2])}", page=f"/attendance/{token}")
    assert refused.status_code == 200 and b"%PDF" not in refused.data


def test_bulk_job_makes_a_zip_with_progress(users, attended, make_client, outbox):
    assembly, people = attended
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    url = f"/checkin/{assembly.id}/certificates"
    assert staff.post_form(url, {"email_links": "y"}, page=url).status_code == 303
    job = db.session.scalar(select(BulkJob))
    assert (job.state, job.total, job.done) == ("done", 2, 2)
    progress = staff.get(f"{url}/{job.id}/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "2 / 2" in progress and "<html" not in progress and "Download the ZIP" in progress
    archive = zipfile.ZipFile(io.BytesIO(staff.get(f"{url}/{job.id}.zip").data))
    names = sorted(archive.namelist())
    assert len(names) == 2 and all(n.startswith("GS-CERT-") for n in names)
    assert "Delegate 0" in text_of(archive.read(names[0])) + text_of(archive.read(names[1]))
    links = [m for m in outbox if m.subject.startswith("Your certificate of attendance")]
    assert sorted(m.recipients[0] for m in links) == ["d0@taipei.example", "d1@taipei.example"]
    # Running it again reuses the certificates already issued.
    staff.post_form(url, page=url)
    assert db.session.query(Certificate).count() == 2


def test_bulk_job_refused_before_the_assembly_begins(users):
    assembly = make_assembly()
    with pytest.raises(attendance.AttendanceError):
        attendance.start_bulk(assembly, users[Role.SECRETARIAT])
    assert db.session.query(BulkJob).count() == 0
