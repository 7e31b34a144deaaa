"""Files with their rows: stored in the database by default (FILE_STORAGE=database), written and
deleted in the transaction of the row that names them, shared by rows of the same content,
streamed to downloads, and moved in from an instance's UPLOAD_DIR by `flask files import`."""
import hashlib
import io
import secrets
import zipfile
from datetime import date

import pytest
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage

from gosmart import uploads
from gosmart.auth.models import Role, User
from gosmart.certificates.models import BulkJob, Certificate
from gosmart.extensions import db
from gosmart.members import services as members
from gosmart.directory import services as directory
from gosmart.members.models import Application, ApplicationDocument
from gosmart.uploads import FileBlob, StoredFileMissing, read_stored_file, send_stored_file

from .concurrency import in_threads
from .test_applications import CITY_DATA, PDF
from .test_certificates import attended  # noqa: F401  (fixture)
from .test_uploads import PNG, JPEG


def blobs():
    return set(db.session.scalars(select(FileBlob.sha256)))


def files_on_disk(app):
    root = app.config["UPLOAD_DIR"]
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def document(application, user, data=PDF, name="letter.pdf"):
    stored = uploads.store_upload(FileStorage(io.BytesIO(data), name), uploads.DOCUMENT, "applications")
    return members.add_document(application, stored, user)


@pytest.fixture
def application(users):
    return members.start_application("city", CITY_DATA, applicant=users[Role.APPLICANT])


# --- In the database, by default ------------------------------------------------------------------

def test_by_default_uploads_certificates_and_zips_are_in_the_database_and_nothing_on_disk(
        app, users, attended, make_client):
    assert app.config["FILE_STORAGE"] == "database"
    before = files_on_disk(app)
    assembly, people = attended
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    url = f"/checkin/{assembly.id}/certificates"
    assert staff.post_form(url, page=url).status_code == 303
    job = db.session.scalar(select(BulkJob))
    archive = zipfile.ZipFile(io.BytesIO(staff.get(f"{url}/{job.id}.zip").data))
    assert len(archive.namelist()) == 2
    representative = make_client()
    representative.login(users[Role.REPRESENTATIVE].email)
    logo = representative.post_form("/my-organization", {"logo": (io.BytesIO(PNG), "logo.png"), "listed_publicly": "y"},
                                    page="/my-organization", content_type="multipart/form-data")
    assert logo.status_code == 303
    names = {c.stored_name for c in db.session.scalars(select(Certificate))} | {job.zip_name} | {
        users[Role.REPRESENTATIVE].organization.logo_stored_name}
    assert {name.split(".")[0] for name in names} == blobs()
    assert files_on_disk(app) == before


def test_a_download_is_streamed_a_slice_at_a_time(app, monkeypatch):
    monkeypatch.setattr(uploads, "CHUNK", 64 * 1024)
    data = secrets.token_bytes(150 * 1024)  # three slices
    stored = uploads.store_bytes(data, "zip", "certificate-zips")
    db.session.commit()
    statements = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if "files" in statement:
            statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        with app.test_request_context():
            response = send_stored_file("certificate-zips", stored.stored_name, "bulk.zip")
            assert response.is_streamed and response.content_length == len(data)
            assert len(statements) == 1  # the size and the first slice; the rest as it is sent
            body = b"".join(response.response)
            response.close()
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert body == data
    assert len(statements) == 3 and all("substr" in s.lower() for s in statements)
    assert response.headers["Content-Disposition"] == 'attachment; filename="bulk.zip"'
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


# --- Rows that share a file; deleted with the last of them ------------------------------------------

def test_the_same_document_twice_is_one_file_kept_until_its_last_row_is_removed(users, application):
    applicant = users[Role.APPLICANT]
    first, second = document(application, applicant, name="a.pdf"), document(application, applicant, name="b.pdf")
    assert first.stored_name == second.stored_name and len(blobs()) == 1
    members.remove_document(first, applicant)
    assert read_stored_file("applications", second.stored_name) == PDF
    members.remove_document(second, applicant)
    assert blobs() == set()
    with pytest.raises(StoredFileMissing):
        read_stored_file("applications", second.stored_name)


def test_a_replaced_logo_goes_with_the_commit_unless_another_organization_has_it_too(users, organization):
    taipei, seoul = users[Role.REPRESENTATIVE].organization, organization(name="Seoul", number="GS-2019-0002")
    png = uploads.store_bytes(PNG, "png", "logos")
    directory.set_logo(taipei, png.stored_name, None)
    directory.set_logo(seoul, uploads.store_bytes(PNG, "png", "logos").stored_name, None)
    jpeg = uploads.store_bytes(JPEG, "jpeg", "logos")
    directory.set_logo(taipei, jpeg.stored_name, None)
    assert blobs() == {png.sha256, jpeg.sha256}  # Seoul still shows the PNG
    directory.set_logo(seoul, jpeg.stored_name, None)
    assert blobs() == {jpeg.sha256}


@pytest.mark.postgres
def test_removing_a_file_while_another_request_stores_the_same_content_never_loses_it(
        app, is_postgres, users, application):
    """Deletion locks the file's row and then looks for rows that name it; storing touches the row
    (and so locks it): whichever comes first, the new document keeps its file."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    applicant_id, application_id = users[Role.APPLICANT].id, application.id
    for round_ in range(4):
        old = document(application, users[Role.APPLICANT]).id

        def work(i):
            applicant = db.session.get(User, applicant_id)
            if i == 0:
                members.remove_document(db.session.get(ApplicationDocument, old), applicant)
                return "removed"
            return document(db.session.get(Application, application_id), applicant).id

        results = in_threads(app, 2, work)
        db.session.expire_all()
        new = next(r for r in results if r != "removed")
        kept = db.session.get(ApplicationDocument, new)
        assert read_stored_file("applications", kept.stored_name) == PDF, f"round {round_}"
        members.remove_document(kept, users[Role.APPLICANT])
        assert blobs() == set()


# --- Moving an instance's files from UPLOAD_DIR into the database ------------------------------------

def test_flask_files_import_moves_an_instances_files_in_and_renames_their_rows(app, users, application):
    upload_dir = app.config["UPLOAD_DIR"]
    legacy = {}
    for folder, data, extension in (("applications", PDF, ".pdf"), ("logos", PNG, ".png"),
                                    ("certificates", PDF, ".pdf"), ("applications", b"missing", ".pdf")):
        name = secrets.token_hex(16) + extension  # as files were named before
        legacy[folder, data] = name
        if data != b"missing":
            (upload_dir / folder).mkdir(parents=True, exist_ok=True)
            (upload_dir / folder / name).write_bytes(data)
    for data in (PDF, b"missing"):
        db.session.add(ApplicationDocument(application_id=application.id, stored_name=legacy["applications", data],
                                           original_name="letter.pdf", content_type="application/pdf", size=1,
                                           sha256=hashlib.sha256(data).hexdigest()))
    taipei = users[Role.REPRESENTATIVE].organization
    taipei.logo_stored_name = legacy["logos", PNG]
    db.session.add(Certificate(kind="membership", serial="GS-CERT-2019-000001", verification_code="X" * 16,
                               holder_type="organization", holder_id=taipei.id, holder_name="Taipei City",
                               subject="City", issued_on=date(2019, 1, 1), sha256=hashlib.sha256(PDF).hexdigest(),
                               stored_name=legacy["certificates", PDF]))
    db.session.commit()
    # Before the import, the database storage still reads them from UPLOAD_DIR.
    assert read_stored_file("logos", legacy["logos", PNG]) == PNG

    runner = app.test_cli_runner()
    result = runner.invoke(args=["files", "import", "--remove"])
    assert result.exit_code == 1 and "3 file(s) moved" in result.output
    assert f"missing: applications/{legacy['applications', b'missing']}" in result.output
    db.session.expire_all()
    documents = {d.sha256: d.stored_name for d in db.session.scalars(select(ApplicationDocument))}
    assert documents[hashlib.sha256(PDF).hexdigest()] == hashlib.sha256(PDF).hexdigest() + ".pdf"
    assert documents[hashlib.sha256(b"missing").hexdigest()] == legacy["applications", b"missing"]  # left alone
    assert db.session.get(type(taipei), taipei.id).logo_stored_name == hashlib.sha256(PNG).hexdigest() + ".png"
    certificate = db.session.scalar(select(Certificate))
    assert certificate.stored_name == certificate.sha256 + ".pdf"
    assert blobs() == {hashlib.sha256(PDF).hexdigest(), hashlib.sha256(PNG).hexdigest()}
    assert read_stored_file("certificates", certificate.stored_name) == PDF
    assert not any((upload_dir / folder / name).exists() for (folder, _data), name in legacy.items())  # --remove
    again = runner.invoke(args=["files", "import"])
    assert "0 file(s) moved" in again.output and db.session.scalar(select(func.count()).select_from(FileBlob)) == 2


def test_flask_files_import_refuses_when_files_are_kept_in_a_directory(app, monkeypatch):
    monkeypatch.setitem(app.config, "FILE_STORAGE", "directory")
    result = app.test_cli_runner().invoke(args=["files", "import"])
    assert result.exit_code == 1 and "stay in UPLOAD_DIR" in result.output
