"""Uploads: the type comes from the content, limits hold, nothing is written on refusal,
names are the content's, downloads are attachments that cannot leave the upload folder — with
the files in the database (the default) and in a directory alike."""
import hashlib
import io
import re
import struct
import uuid
import zlib
from pathlib import Path

import pytest
import weasyprint
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import NotFound
from wtforms import FileField, Form, MultipleFileField

from sqlalchemy import select

from gosmart.extensions import db
from gosmart.uploads import (DOCUMENT, LOGO, MOU_DOCUMENT, AcceptedUpload, FileBlob, StoredFileMissing,
                             UploadKind, UploadRefused, delete_stored_file, read_stored_file,
                             send_stored_file, store_upload)

GENERATED = re.compile(r"^[0-9a-f]{64}\.(pdf|png|jpg)$")
NOT_A_DOCUMENT = "This file is not a PDF, PNG or JPEG image."


# --- sample files ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def pdf():
    return weasyprint.HTML(string="<p>GO SMART</p>").write_pdf()


def image(fmt, size=(16, 16)):
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, fmt)
    return out.getvalue()


PNG = image("PNG")
JPEG = image("JPEG")


def minimal_pdf(catalog_extra=b""):
    """A small valid PDF (pypdf opens it) whose catalog can carry an action."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
               b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_claiming(width, height):
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""
    ihdr = b"IHDR" + struct.pack(">II", width, height) + PNG[24:29]
    return PNG[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + PNG[33:]


def upload(data, filename="file.pdf", content_type="application/pdf"):
    return FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)


class LongUpload(io.RawIOBase):
    """A one-way stream of `size` bytes that counts what was read from it."""

    def __init__(self, size):
        self.size, self.given = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.given)
        buffer[:n] = b"\0" * n
        self.given += n
        return n


# --- helpers ---------------------------------------------------------------------------

@pytest.fixture(autouse=True, params=["database", "directory"])
def storage(request, app, monkeypatch):
    monkeypatch.setitem(app.config, "FILE_STORAGE", request.param)
    return request.param


@pytest.fixture
def upload_dir(app):
    return Path(app.config["UPLOAD_DIR"])


@pytest.fixture
def folder():
    return f"test-{uuid.uuid4().hex[:8]}"


def files_under(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).exists() else []


def everything_stored(upload_dir):
    """The files on disk and in the files table (what this transaction sees)."""
    return files_under(upload_dir), db.session.scalars(select(FileBlob.sha256).order_by(FileBlob.sha256)).all()


def assert_refused(upload_dir, file_storage, kind, folder, message):
    before = everything_stored(upload_dir)
    with pytest.raises(UploadRefused) as refused:
        store_upload(file_storage, kind, folder)
    assert str(refused.value) == message
    assert everything_stored(upload_dir) == before


# --- accepted --------------------------------------------------------------------------

@pytest.mark.parametrize("sample, filename, given_type, content_type, extension, shown_as", [
    ("pdf", "photo.png", "image/png", "application/pdf", ".pdf", "photo.png.pdf"),
    ("png", "scan.pdf", "application/pdf", "image/png", ".png", "scan.pdf.png"),
    ("jpeg", "Badge.JPEG", "text/html", "image/jpeg", ".jpg", "Badge.JPEG"),
])
def test_type_comes_from_the_content_not_the_filename_or_browser(
        upload_dir, folder, pdf, sample, filename, given_type, content_type, extension, shown_as):
    data = {"pdf": pdf, "png": PNG, "jpeg": JPEG}[sample]

    stored = store_upload(upload(data, filename, given_type), DOCUMENT, folder)

    assert GENERATED.match(stored.stored_name) and stored.stored_name.endswith(extension)
    assert stored.content_type == content_type
    assert stored.original_name == shown_as  # saved to disk, it opens as what it really is
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.stored_name == stored.sha256 + extension  # named by its content
    assert read_stored_file(folder, stored.stored_name) == data
    db.session.commit()
    assert read_stored_file(folder, stored.stored_name) == data


def test_the_same_file_twice_is_stored_once_under_its_contents_name(upload_dir, folder, pdf, storage):
    first = store_upload(upload(pdf, "a.pdf"), DOCUMENT, folder)
    second = store_upload(upload(pdf, "b.pdf"), DOCUMENT, folder)
    db.session.commit()
    assert first.stored_name == second.stored_name and first.original_name != second.original_name
    assert read_stored_file(folder, first.stored_name) == pdf
    if storage == "database":
        assert db.session.scalars(select(FileBlob.sha256)).all() == [first.sha256]
        assert files_under(upload_dir / folder) == []
    else:
        assert files_under(upload_dir / folder) == [upload_dir / folder / first.stored_name]


def test_a_file_is_kept_only_if_its_transaction_commits(upload_dir, folder, pdf, storage):
    kept = store_upload(upload(pdf), DOCUMENT, folder)
    db.session.commit()
    dropped = store_upload(upload(PNG, "logo.png"), LOGO, folder)
    assert read_stored_file(folder, dropped.stored_name) == PNG  # this transaction sees it
    db.session.rollback()
    with pytest.raises(StoredFileMissing):
        read_stored_file(folder, dropped.stored_name)
    assert read_stored_file(folder, kept.stored_name) == pdf
    if storage == "directory":  # no temporary file left either
        assert files_under(upload_dir / folder) == [upload_dir / folder / kept.stored_name]


def test_a_file_stored_in_a_savepoint_that_rolls_back_is_not_kept(upload_dir, folder, pdf, storage):
    kept = store_upload(upload(pdf), DOCUMENT, folder)
    savepoint = db.session.begin_nested()
    dropped = store_upload(upload(PNG, "logo.png"), LOGO, folder)
    savepoint.rollback()
    db.session.commit()
    assert read_stored_file(folder, kept.stored_name) == pdf
    with pytest.raises(StoredFileMissing):
        read_stored_file(folder, dropped.stored_name)
    if storage == "directory":
        assert files_under(upload_dir / folder) == [upload_dir / folder / kept.stored_name]


def test_a_jpeg_with_trailing_padding_is_accepted(folder):
    stored = store_upload(upload(JPEG + b"\0" * 32, "a.jpg"), LOGO, folder)
    assert stored.content_type == "image/jpeg"


# --- refused ---------------------------------------------------------------------------

HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.mark.parametrize("data, filename, content_type", [
    (HTML, "report.pdf", "application/pdf"),
    (b"%PDF-1.7\n" + HTML, "report.pdf", "application/pdf"),  # the magic alone is not a PDF
    (SVG, "logo.png", "image/png"),
    (b"MZ\x90\x00\x03" + b"\0" * 200, "statutes.pdf", "application/pdf"),
    (b"\x7fELF\x02\x01\x01" + b"\0" * 200, "scan.jpg", "image/jpeg"),
    (JPEG + HTML, "photo.jpg", "image/jpeg"),  # a polyglot: HTML after the end of the image
    (b"PK\x03\x04" + b"\0" * 100, "letter.pdf", "application/pdf"),
])
def test_anything_but_pdf_png_or_jpeg_is_refused_and_nothing_written(
        upload_dir, folder, data, filename, content_type):
    assert_refused(upload_dir, upload(data, filename, content_type), DOCUMENT, folder, NOT_A_DOCUMENT)


def test_an_empty_file_is_refused(upload_dir, folder):
    assert_refused(upload_dir, upload(b""), DOCUMENT, folder, "The file is empty.")


def test_no_file_chosen_is_refused(upload_dir, folder):
    assert_refused(upload_dir, upload(b"", filename=""), DOCUMENT, folder, "No file was chosen.")
    assert_refused(upload_dir, None, DOCUMENT, folder, "No file was chosen.")


def test_a_type_not_allowed_for_the_kind_is_refused(upload_dir, folder, pdf):
    assert_refused(upload_dir, upload(PNG, "mou.pdf"), MOU_DOCUMENT, folder, "This file is not a PDF.")
    assert_refused(upload_dir, upload(pdf, "logo.png"), LOGO, folder,
                   "This file is not a PNG or JPEG image.")


def test_a_damaged_png_is_refused(upload_dir, folder):
    damaged = PNG[:-20] + b"\0" * 20  # signature and header intact, the rest broken
    assert_refused(upload_dir, upload(damaged, "logo.png"), LOGO, folder,
                   "This image is damaged or incomplete.")


@pytest.mark.parametrize("width, height", [(8000, 8000), (20000, 20000)])
def test_an_image_claiming_too_many_pixels_is_refused(upload_dir, folder, width, height):
    assert_refused(upload_dir, upload(png_claiming(width, height), "logo.png"), LOGO, folder,
                   "The image is too large: at most 50 megapixels.")


@pytest.mark.parametrize("action, what", [
    (b" /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>", "scripts"),
    (b" /OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>", "scripts"),  # escaped names
    (b" /OpenAction << /S /Launch /F (cmd.exe) >>", "launch actions"),
    (b" /Names << /EmbeddedFiles << /Names [] >> >>", "embedded files"),
])
def test_a_pdf_with_scripts_launch_actions_or_embedded_files_is_refused(upload_dir, folder, action, what):
    assert_refused(upload_dir, upload(minimal_pdf(action)), DOCUMENT, folder,
                   f"This PDF contains {what}; please upload a plain PDF (for example, print it to PDF, "
                   "then check that nothing is missing).")


def test_a_plain_hand_made_pdf_is_accepted(folder):
    assert store_upload(upload(minimal_pdf()), MOU_DOCUMENT, folder).content_type == "application/pdf"


def test_a_file_over_the_kinds_limit_is_refused_and_one_at_the_limit_accepted(upload_dir, folder, pdf):
    assert_refused(upload_dir, upload(pdf), UploadKind(frozenset({"pdf"}), len(pdf) - 1), folder,
                   f"The file is larger than {len(pdf) - 1} bytes.")
    assert store_upload(upload(pdf), UploadKind(frozenset({"pdf"}), len(pdf)), folder).size == len(pdf)


def test_documents_stop_at_10_mb_and_a_huge_upload_is_not_read_fully(upload_dir, folder):
    assert DOCUMENT.max_bytes == 10 * 1024 * 1024
    stream = LongUpload(500 * 1024 * 1024)
    assert_refused(upload_dir, FileStorage(stream, filename="huge.pdf"), DOCUMENT, folder,
                   "The file is larger than 10 MB.")
    assert stream.given == DOCUMENT.max_bytes + 1


# --- names -----------------------------------------------------------------------------

@pytest.mark.parametrize("filename, shown_as", [
    ("../../etc/passwd", "passwd.pdf"),
    ("C:\\x\\y.pdf", "y.pdf"),
    ("臺北市.pdf", "臺北市.pdf"),
    ("a\x00b\r\nc.pdf", "abc.pdf"),
    ("\u202efdp.exe", "fdp.exe.pdf"),  # a right-to-left override would show "exe.pdf"
    (".htaccess", "htaccess.pdf"),
    ("../..", "document.pdf"),
    ("  Annual   report .PDF", "Annual report.PDF"),
])
def test_the_display_name_is_sanitized(folder, pdf, filename, shown_as):
    assert store_upload(upload(pdf, filename), DOCUMENT, folder).original_name == shown_as


def test_a_long_name_is_shortened_and_keeps_its_extension(folder, pdf):
    name = store_upload(upload(pdf, "會議" * 200 + ".pdf"), DOCUMENT, folder).original_name
    assert len(name) == 150 and name.endswith("會議.pdf")


def test_a_traversal_filename_is_stored_inside_the_folder(upload_dir, folder, pdf, storage):
    before = files_under(upload_dir.parent)
    stored = store_upload(upload(pdf, "../../../config.py"), DOCUMENT, folder)
    db.session.commit()
    added = set(files_under(upload_dir.parent)) - set(before)
    assert added == ({upload_dir / folder / stored.stored_name} if storage == "directory" else set())
    assert stored.original_name == "config.py.pdf" and GENERATED.match(stored.stored_name)


def test_a_folder_outside_the_upload_dir_is_refused(upload_dir, pdf):
    before = files_under(upload_dir.parent), everything_stored(upload_dir)
    for folder in ("../outside", "/tmp/outside", ""):
        with pytest.raises(ValueError):
            store_upload(upload(pdf), DOCUMENT, folder)
    assert (files_under(upload_dir.parent), everything_stored(upload_dir)) == before


# --- downloads and deletion ------------------------------------------------------------

def test_a_download_is_an_attachment_with_the_detected_type_and_nosniff(app, folder, pdf):
    stored = store_upload(upload(pdf, "臺北市 MOU.pdf", "text/html"), DOCUMENT, folder)
    with app.test_request_context():
        response = send_stored_file(folder, stored.stored_name, stored.original_name, stored.content_type)
        response.direct_passthrough = False
        body = response.get_data()
        response.close()
    assert response.status_code == 200
    assert body == pdf
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%87%BA%E5%8C%97%E5%B8%82%20MOU.pdf" in disposition
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_content_type_defaults_to_the_one_of_the_generated_name(app, folder):
    stored = store_upload(upload(JPEG, "x.png", "image/png"), LOGO, folder)
    with app.test_request_context():
        response = send_stored_file(folder, stored.stored_name, stored.original_name)
        response.close()
    assert response.mimetype == "image/jpeg"


@pytest.mark.parametrize("stored_name", [
    "../config.py", "../../config.py", "/etc/passwd", "..\\config.py", "",
    "0123456789abcdef0123456789abcdef.pdf",  # well formed, but no such file
    "0123456789abcdef" * 4 + ".pdf",
])
def test_a_download_outside_the_folder_or_of_a_missing_file_is_404(app, upload_dir, folder, pdf, stored_name):
    store_upload(upload(pdf), DOCUMENT, folder)
    (upload_dir / "config.py").write_text("SECRET_KEY = 'x'")  # what a traversal would reach
    with app.test_request_context(), pytest.raises(NotFound):
        send_stored_file(folder, stored_name, "config.py", "text/plain")


def test_delete_removes_the_stored_file_with_its_transaction_and_nothing_outside_the_folder(
        upload_dir, folder, pdf):
    stored = store_upload(upload(pdf), DOCUMENT, folder)
    db.session.commit()
    upload_dir.mkdir(parents=True, exist_ok=True)
    outside = upload_dir / "keep.pdf"
    outside.write_bytes(pdf)

    assert delete_stored_file(folder, stored.stored_name) is True
    db.session.rollback()  # a deletion that is not committed did not happen
    assert read_stored_file(folder, stored.stored_name) == pdf
    assert delete_stored_file(folder, stored.stored_name) is True
    db.session.commit()
    with pytest.raises(StoredFileMissing):
        read_stored_file(folder, stored.stored_name)
    assert not (upload_dir / folder / stored.stored_name).exists()
    assert delete_stored_file(folder, stored.stored_name) is False  # already gone: no error
    assert delete_stored_file(folder, "../keep.pdf") is False
    assert outside.exists()


# --- form validator --------------------------------------------------------------------

class ApplicationForm(Form):
    logo = FileField(validators=[AcceptedUpload(LOGO)])
    documents = MultipleFileField(validators=[AcceptedUpload(DOCUMENT)])


def test_the_validator_puts_the_refusal_on_the_field(pdf):
    form = ApplicationForm(MultiDict([("logo", upload(pdf, "logo.png")),
                                      ("documents", upload(pdf)), ("documents", upload(HTML))]))
    assert not form.validate()
    assert form.errors == {"logo": ["This file is not a PNG or JPEG image."],
                           "documents": [NOT_A_DOCUMENT]}


def test_a_validated_file_can_still_be_stored_whole(upload_dir, folder, pdf):
    form = ApplicationForm(MultiDict([("logo", upload(PNG, "logo.png")), ("documents", upload(pdf))]))
    assert form.validate(), form.errors
    stored = store_upload(form.documents.data[0], DOCUMENT, folder)
    assert read_stored_file(folder, stored.stored_name) == pdf
