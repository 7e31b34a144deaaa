"""Issuing certificates: once per holder under concurrency, never a file without its row, a
revoked certificate stays revoked, and no GET issues one (approval, grants and
`flask certificates backfill` do)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from gosmart.auth.models import Role, User
from gosmart.auth.services import hash_password
from gosmart.certificates import services as certificates
from gosmart.certificates.models import BulkJob, Certificate
from gosmart.checkin import attendance
from gosmart.extensions import db
from gosmart.members import services as members
from gosmart.members.models import HonoraryMember, MemberStatus, Organization
from gosmart.uploads import FileBlob

from .concurrency import in_threads
from .conftest import PASSWORD
from .test_certificates import attended, membership_certificate, taipei  # noqa: F401  (fixtures)
from .test_operations import outage  # noqa: F401  (fixture)


def stored_certificate_files(app):
    """Certificate PDFs wherever they are stored: the files table, or the upload directory."""
    folder = app.config["UPLOAD_DIR"] / "certificates"
    on_disk = {p.name for p in folder.iterdir()} if folder.exists() else set()
    in_database = {f"{sha}.pdf" for sha in db.session.scalars(
        select(FileBlob.sha256).where(FileBlob.content_type == "application/pdf"))}
    return on_disk | in_database


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def revoke(certificate, secretariat, reason="Registered by mistake"):
    certificates.revoke(certificate, secretariat, reason)
    db.session.commit()


# --- First issuance: once, whatever the number of clicks; no file without its row -------------------

@pytest.mark.postgres
def test_eight_simultaneous_clicks_on_an_attendance_link_give_everyone_the_one_certificate(
        app, is_postgres, attended, make_client):
    """Before: 1 × 200 and 7 × 500 (the unique index refused the others' rows), 1 certificate
    and 8 PDF files, 7 of them orphans."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    _assembly, people = attended
    url = f"/attendance/{attendance.link_token(people[0])}"
    clients = [make_client() for _ in range(8)]
    tokens = [c.csrf_token(url) for c in clients]

    def click(i):
        response = clients[i].raw.post(url, data={"csrf_token": tokens[i]})
        return response.status_code, response.data

    results = in_threads(app, 8, click, errors=(Exception,))
    assert [r if isinstance(r, Exception) else r[0] for r in results] == [200] * 8
    assert len({pdf for _status, pdf in results}) == 1  # everyone got the same certificate
    rows = db.session.scalars(select(Certificate)).all()
    assert len(rows) == 1 and rows[0].serial.endswith("-000001")
    assert stored_certificate_files(app) == {rows[0].stored_name}
    assert count(BulkJob) == 0


@pytest.mark.postgres
def test_simultaneous_issues_for_one_holder_make_one_certificate_and_use_one_serial(app, is_postgres, taipei):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    organization_id = taipei.id

    def issue(i):
        certificate = certificates.issue("membership", members.membership_holder(db.session.get(
            Organization, organization_id)))
        db.session.commit()
        return certificate.serial

    serials = in_threads(app, 6, issue, errors=(Exception,))
    assert serials == [serials[0]] * 6, serials
    assert count(Certificate) == 1
    # The losers' serials were taken back with their savepoint: the next one follows on.
    assert certificates.reserve_serials(date.today().year)[0].endswith("-000002")


def test_a_database_outage_during_issuance_leaves_no_file_and_no_serial_used(app, attended, outage, make_client):
    """Before: the PDF stayed in the upload folder without its row, and its serial was then given
    to another certificate."""
    _assembly, people = attended
    url = f"/attendance/{attendance.link_token(people[0])}"
    client = make_client()
    token = client.csrf_token(url)
    outage.start(when=lambda statement: statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"))
    response = client.raw.post(url, data={"csrf_token": token})
    outage.stop()
    assert response.status_code == 503
    assert count(Certificate) == 0 and stored_certificate_files(app) == set()
    again = client.raw.post(url, data={"csrf_token": client.csrf_token(url)})
    assert again.status_code == 200 and again.data.startswith(b"%PDF")
    certificate = db.session.scalar(select(Certificate))
    assert certificate.serial.endswith("-000001")
    assert stored_certificate_files(app) == {certificate.stored_name}


# --- Revocation lasts ---------------------------------------------------------------------------------

def test_a_revoked_attendance_certificate_stays_revoked_and_the_attendee_sees_why(users, attended, make_client):
    """Before: the next click on the link issued a fresh, valid certificate."""
    _assembly, people = attended
    url = f"/attendance/{attendance.link_token(people[0])}"
    client = make_client()
    first = client.post_form(url, page=url)
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    revoke(db.session.scalar(select(Certificate)), users[Role.SECRETARIAT], "Checked in by mistake")

    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "was revoked on" in text and "Checked in by mistake" in text
    assert "Download my certificate" not in text
    again = client.post_form(url, {"csrf_token": client.csrf_token(url)}, page=url)
    assert b"%PDF" not in again.data and "Checked in by mistake" in again.get_data(as_text=True)
    with pytest.raises(attendance.AttendanceError, match="was revoked on"):
        attendance.issue(people[0])
    assert count(Certificate) == 1 and count(Certificate, Certificate.revoked_at.is_(None)) == 0


def test_a_bulk_run_leaves_a_revoked_certificate_revoked_and_still_finishes(users, attended):
    assembly, people = attended
    revoke(attendance.issue(people[0]), users[Role.SECRETARIAT])
    job = attendance.start_bulk(assembly, users[Role.SECRETARIAT])
    db.session.refresh(job)
    assert (job.state, job.done, job.total) == ("done", 2, 2)
    holders = db.session.execute(select(Certificate.holder_id, Certificate.revoked_at.is_(None))).all()
    assert sorted(holders) == [(people[0].id, False), (people[1].id, True)]


def test_a_revoked_membership_certificate_stays_revoked_until_the_secretariat_reissues_it(
        users, taipei, make_client):
    certificate = membership_certificate(taipei)
    revoke(certificate, users[Role.SECRETARIAT], "Issued to the wrong name")
    representative = make_client()
    representative.login(users[Role.REPRESENTATIVE].email)
    download = representative.get("/my-organization/certificate.pdf")
    assert download.status_code == 303
    page = representative.get(download.headers["Location"]).get_data(as_text=True)
    assert "was revoked on" in page and "Issued to the wrong name" in page
    assert "Download the membership certificate" not in page
    with pytest.raises(certificates.CertificateRevoked):
        certificates.issue("membership", members.membership_holder(taipei))
    # a revoked certificate is not "missing" (the users fixture's honorary member has none: not asked here)
    assert members.backfill_certificates(organization_ids=[taipei.id], honorary_ids=[]) == []
    # Only the secretariat's explicit reissue makes a new one, which replaces the revoked one.
    new = members.reissue_membership_certificate(taipei, users[Role.SECRETARIAT])
    assert new.is_valid and new.replaces_id == certificate.id and count(Certificate) == 2
    again = representative.get("/my-organization/certificate.pdf")
    assert again.status_code == 200 and again.data == certificates.pdf_of(new)


# --- No GET writes: certificates are issued when membership or honour is granted -----------------------

def test_downloading_a_certificate_that_was_never_issued_says_so_and_issues_nothing(users, taipei, make_client):
    """Before: the first download of a membership or honorary certificate issued it (a GET that wrote)."""
    # the users fixture's honorary member, granted (with no certificate) on 2019-06-19
    honorary = db.session.scalar(select(HonoraryMember).where(HonoraryMember.user_id == users[Role.HONORARY].id))
    for role, url in ((Role.REPRESENTATIVE, "/my-organization/certificate.pdf"),
                      (Role.HONORARY, "/honorary/certificate.pdf")):
        client = make_client()
        client.login(users[role].email)
        response = client.get(url)
        assert response.status_code == 303, url
        assert "has not been issued yet" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(Certificate) == 0


def test_approval_and_a_grant_issue_the_certificates(users, make_user):
    granted = members.grant_honorary("Dr. Ada Chen", "ada@example.org", "IoT consultant", "formerly IDC",
                                     "For services to smart cities.", users[Role.SECRETARIAT])
    assert certificates.holder_certificate("honorary", "honorary_member", granted.id).is_valid
    # (approval: test_certificates.test_approval_issues_the_certificate_and_emails_it)


def test_backfill_issues_what_was_never_issued_once(app, users, taipei, organization):
    withdrawn = organization(name="Gone City", number="GS-2019-0009", status=MemberStatus.WITHDRAWN)
    # the users fixture's honorary member, granted (with no certificate) on 2019-06-19
    honorary = db.session.scalar(select(HonoraryMember).where(HonoraryMember.user_id == users[Role.HONORARY].id))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["certificates", "backfill"])
    assert first.exit_code == 0, first.output
    assert "2 certificate(s) issued" in first.output
    made = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert [(c.kind, c.holder_id, c.issued_on) for c in made] == [
        ("membership", taipei.id, taipei.member_since), ("honorary", honorary.id, date(2019, 6, 19))]
    assert count(Certificate, Certificate.holder_id == withdrawn.id, Certificate.kind == "membership") == 0
    second = runner.invoke(args=["certificates", "backfill"])
    assert second.exit_code == 0 and "0 certificate(s) issued" in second.output
    assert count(Certificate) == 2


def test_the_demo_logins_have_their_certificates(app, make_client):
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    for email, url in (("taipei@demo.gosmart.org", "/my-organization/certificate.pdf"),
                       ("honorary@demo.gosmart.org", "/honorary/certificate.pdf")):
        db.session.scalar(select(User).where(User.email == email)).password_hash = hash_password(PASSWORD)
        db.session.commit()
        client = make_client()
        client.login(email)
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), email
