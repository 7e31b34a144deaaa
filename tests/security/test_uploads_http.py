"""Uploads through the HTTP routes (tests/test_uploads.py covers the module): too large
(413), a wrong type whatever the name says (HTML or SVG renamed .pdf/.png, a PDF with a
script), a path in the filename; and every download is an attachment, never sniffed."""
import hashlib
import io

import pytest
from sqlalchemy import func, select

from gosmart import uploads
from gosmart.extensions import db
from gosmart.members.models import ApplicationDocument
from gosmart.mou.models import Mou

from ..test_uploads import PNG, minimal_pdf
from .world import PDF, Writes, everything_stored

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
JS_PDF = minimal_pdf(b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
POLYGLOT = PDF[:-6] + HTML + b"\n%%EOF\n"  # a PDF trailer after HTML: not what it claims to be


def files(app):
    return everything_stored(app)


def document_count():
    return db.session.scalar(select(func.count(ApplicationDocument.id)))


def mou_form(**extra):
    return {"title": "MOU with Brisbane", "partner_name": "Brisbane City Council", "partner_country": "AU",
            "visibility": "public", "signatories-0-name": "Mayor", "signatories-0-party": "partner", **extra}


# The application's answers, posted with its document (the form's "Upload" button).
CITY_ANSWERS = {"name": "Kaohsiung City", "country": "TW", "action": "upload"}


# The three upload routes: (role, address, form data without the file, file field, refusal shown).
# Each file goes with the form it is chosen in, so that what was typed is saved with it.
def routes(world):
    return {
        "application document": ("applicant", f"/applications/{world.application_own.id}/edit", CITY_ANSWERS,
                                 "document"),
        "logo": ("rep_a", "/my-organization", {}, "logo"),
        "MOU document": ("secretariat", "/mous/new", mou_form(), "document"),
    }


@pytest.mark.parametrize("route", ["application document", "logo", "MOU document"])
def test_a_request_over_the_size_limit_is_refused_with_413_and_nothing_is_stored(app, world, monkeypatch, route):
    key, url, data, field = routes(world)[route]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    client = world.client(key)
    before = files(app)
    with Writes() as writes:
        response = client.post(url, data=dict(data, **{field: (io.BytesIO(b"%PDF-" + b"0" * 100_000), "big.pdf")}),
                               content_type="multipart/form-data")
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)
    assert not writes and files(app) == before


@pytest.mark.parametrize("route, content, name", [
    ("application document", b"just text, not a PDF", "letter.pdf"),
    ("application document", HTML, "letter.pdf"),
    ("application document", HTML, "scan.png"),
    ("application document", SVG, "scan.png"),
    ("application document", JS_PDF, "letter.pdf"),
    ("application document", POLYGLOT, "letter.pdf"),
    ("logo", SVG, "logo.png"),
    ("logo", HTML, "logo.png"),
    ("logo", PDF, "logo.png"),
    ("MOU document", HTML, "signed.pdf"),
    ("MOU document", PNG, "signed.pdf"),
    ("MOU document", JS_PDF, "signed.pdf"),
])
def test_a_file_that_is_not_what_the_route_accepts_is_refused_whatever_its_name(app, world, route, content, name):
    key, url, data, field = routes(world)[route]
    client = world.client(key)
    before, documents, mous = files(app), document_count(), db.session.scalar(select(func.count(Mou.id)))
    response = client.post(url, data=dict(data, **{field: (io.BytesIO(content), name)}),
                           content_type="multipart/form-data")
    assert response.status_code in (303, 422)
    page = client.get(response.headers["Location"]).get_data(as_text=True) if response.status_code == 303 \
        else response.get_data(as_text=True)
    assert "is not a" in page or "contains scripts" in page or "not accepted" in page, page[:2000]
    assert files(app) == before
    assert document_count() == documents and db.session.scalar(select(func.count(Mou.id))) == mous


@pytest.mark.parametrize("name", ["../../../../etc/passwd.pdf", "..\\..\\..\\windows\\win.ini.pdf",
                                  "/etc/cron.d/evil.pdf", "letter\x00.pdf.exe", "\u202efdp.exe"])
def test_a_path_in_the_filename_stays_a_name_and_the_file_lands_in_the_upload_folder(app, world, name):
    client = world.client("applicant")
    application = world.application_own
    before = files(app)
    response = client.post(f"/applications/{application.id}/edit",
                           data=dict(CITY_ANSWERS, document=(io.BytesIO(PDF), name)), content_type="multipart/form-data")
    assert response.status_code == 303
    document = db.session.scalars(select(ApplicationDocument).order_by(ApplicationDocument.id.desc())).first()
    # Named by its content, nowhere on disk: the same bytes as the world's documents, stored once.
    assert document.stored_name == hashlib.sha256(PDF).hexdigest() + ".pdf"
    assert files(app) == before and uploads.read_stored_file("applications", document.stored_name) == PDF
    assert "/" not in document.original_name and "\\" not in document.original_name
    assert ".." not in document.original_name.replace("...", "") and "\x00" not in document.original_name
    assert document.original_name.endswith(".pdf") and "\u202e" not in document.original_name
    download = client.get(f"/applications/{application.id}/documents/{document.id}")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "/" not in disposition and "\\" not in disposition


def test_every_download_is_an_attachment_that_is_never_sniffed(app, world, fast_pdfs):
    w = world
    downloads = [
        ("applicant", f"/applications/{w.application_own.id}/documents/{w.application_own.documents[0].id}"),
        ("rep_b", f"/directory/{w.org_a.id}/logo"),
        ("visitor", f"/mous/{w.mous['public'].id}/document"),
        ("secretariat", f"/checkin/{w.assembly.id}/certificates/{w.job.id}.zip"),
        ("secretariat", f"/certificates/{w.certificate.id}.pdf"),
        ("secretariat", f"/assemblies/{w.assembly.id}/badges/{w.badge_sheet.id}.pdf"),
        ("rep_a", f"/assemblies/{w.assembly.id}/registrations/{w.registrations['a'].id}/ticket.pdf"),
        ("visitor", f"/minutes/{w.minutes['public'].id}.pdf"),
        ("rep_a", "/my-organization/certificate.pdf"),
        ("honorary", "/honorary/certificate.pdf"),
        ("secretariat", "/directory/export.csv"),
        ("secretariat", f"/assemblies/{w.assembly.id}/registrations.csv"),
        ("secretariat", f"/checkin/{w.assembly.id}/checkins.csv"),
    ]
    downloads += [("secretariat", rule.rule) for rule in app.url_map.iter_rules()
                  if rule.rule.endswith(".csv") and not rule.arguments and "GET" in rule.methods]
    for key, url in dict.fromkeys(downloads):
        response = world.client(key).get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.mimetype in ("application/pdf", "image/png", "image/jpeg", "application/zip", "text/csv"), url
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors" in csp and "unsafe-inline" not in csp.split("script-src")[-1].split(";")[0], url
