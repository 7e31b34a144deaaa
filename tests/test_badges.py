"""Badge sheets: asked for on the assembly's badge page, made by the task worker (inline in the
tests) in chunks of pages with progress, eight badges to an A4 page with the role on a coloured
band and in words, every QR code readable, the names in their own script and direction."""
import io
import math
import secrets
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select

from gosmart.assemblies import badges
from gosmart.assemblies.models import BadgeSheet, Registration
from gosmart.audit import AuditEntry, utcnow
from gosmart.auth.models import Role
from gosmart.extensions import db
from gosmart.uploads import FileBlob

from .test_assemblies import make_assembly

MM = 72 / 25.4  # PDF points per millimetre


def add_registrations(assembly, organization, names, roles=("delegate",)):
    rows = [Registration(assembly_id=assembly.id, organization_id=organization.id, name=name,
                         email=f"b{i}@example.org", role=roles[i % len(roles)], state="confirmed",
                         checkin_token=secrets.token_urlsafe(24)) for i, name in enumerate(names)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


@pytest.fixture
def staff(users, make_client):
    client = make_client()
    client.login(users[Role.SECRETARIAT].email)
    return client


@pytest.fixture
def taipei(users):
    return users[Role.REPRESENTATIVE].organization


def make_sheet(staff, assembly):
    url = f"/assemblies/{assembly.id}/badges"
    response = staff.post_form(url, page=url)
    assert response.status_code == 303 and response.headers["Location"] == url
    sheet = db.session.scalars(select(BadgeSheet).order_by(BadgeSheet.id.desc())).first()
    download = staff.get(f"{url}/{sheet.id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    return sheet, download.data


def page_text(pdf, number=0, box=None):
    """The text of a page, or of the part of it in `box` (left, bottom, right, top in points)."""
    textpage = pypdfium2.PdfDocument(pdf)[number].get_textpage()
    return textpage.get_text_bounded(*box) if box else textpage.get_text_range()


# --- Asked for, made by the worker, downloaded --------------------------------------------------

def test_the_sheet_is_asked_for_made_in_the_background_and_downloaded(staff, taipei, users):
    assembly = make_assembly(capacity=50)
    add_registrations(assembly, taipei, [f"Delegate {i:02d}" for i in range(10)])
    url = f"/assemblies/{assembly.id}/badges"
    page = staff.get(url).get_data(as_text=True)
    assert "A badge for each confirmed registration (10 now)" in page and "Make the badge sheet" in page
    assert f'href="{url}"' in staff.get(f"/assemblies/{assembly.id}").get_data(as_text=True)
    sheet, pdf = make_sheet(staff, assembly)
    assert (sheet.state, sheet.done, sheet.total) == ("done", 10, 10)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    page = staff.get(url).get_data(as_text=True)
    assert "Download the badge sheet (10 badges, PDF)" in page and "hx-trigger" not in page
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "BadgeSheet")).all()
    assert actions == ["assembly.badges_started", "assembly.badges_made"]
    # A GET changes nothing: no sheet without the secretariat's POST.
    staff.get(url)
    assert db.session.scalar(select(func.count(BadgeSheet.id))) == 1


def test_the_progress_is_a_fragment_that_polls_while_the_sheet_is_made(staff, taipei, users):
    assembly = make_assembly()
    sheet = BadgeSheet(assembly_id=assembly.id, state="running", total=400, done=200)
    db.session.add(sheet)
    db.session.commit()
    url = f"/assemblies/{assembly.id}/badges/{sheet.id}/progress"
    fragment = staff.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="badge_progress"' in fragment
    assert 'hx-trigger="every 1s"' in fragment and "200 of 400 badges" in fragment
    assert 'value="200" max="400"' in fragment
    assert "<html" in staff.get(url).get_data(as_text=True)  # without htmx, the whole page
    other = make_assembly(title="Another assembly")
    assert staff.get(f"/assemblies/{other.id}/badges/{sheet.id}/progress").status_code == 404


def test_a_sheet_being_made_is_not_started_twice_and_a_stalled_one_can_be_made_again(staff, taipei, users, app):
    assembly = make_assembly()
    secretariat = users[Role.SECRETARIAT]
    moving = BadgeSheet(assembly_id=assembly.id, state="running", total=3, done=0, updated_at=utcnow())
    db.session.add(moving)
    db.session.commit()
    assert badges.start(assembly, secretariat).id == moving.id
    stale = app.config["BULK_JOB_STALE_SECONDS"]
    moving.updated_at = utcnow() - timedelta(seconds=stale + 1)
    db.session.commit()
    assert badges.is_stalled(moving)
    page = staff.get(f"/assemblies/{assembly.id}/badges").get_data(as_text=True)
    assert "The sheet stopped moving" in page and "hx-trigger" not in page
    again = badges.start(assembly, secretariat)
    assert again.id != moving.id and again.state == "done"


def test_a_failed_sheet_says_why_and_stores_nothing(staff, taipei, monkeypatch):
    assembly = make_assembly()
    add_registrations(assembly, taipei, ["Delegate"])

    def broken(*args, **kwargs):
        raise RuntimeError("the renderer broke")
    monkeypatch.setattr(badges, "sheet_pdf", broken)
    staff.post_form(f"/assemblies/{assembly.id}/badges", page=f"/assemblies/{assembly.id}/badges")
    sheet = db.session.scalar(select(BadgeSheet))
    assert sheet.state == "failed" and sheet.stored_name is None
    page = staff.get(f"/assemblies/{assembly.id}/badges").get_data(as_text=True)
    assert "The sheet could not be made: the renderer broke" in page
    assert staff.get(f"/assemblies/{assembly.id}/badges/{sheet.id}.pdf").status_code == 404


def test_a_sheet_made_twice_by_the_task_is_stored_once(users, taipei, app):
    assembly = make_assembly()
    add_registrations(assembly, taipei, ["Delegate"])
    sheet = badges.start(assembly, users[Role.SECRETARIAT])
    stored = db.session.get(BadgeSheet, sheet.id).stored_name
    before = set(db.session.scalars(select(FileBlob.sha256)))
    badges.make_sheet(sheet.id)  # a retried or doubly queued task
    assert set(db.session.scalars(select(FileBlob.sha256))) == before
    assert db.session.get(BadgeSheet, sheet.id).stored_name == stored


# --- The layout ------------------------------------------------------------------------------

def test_eight_badges_to_a_page_in_two_columns_of_four(staff, taipei):
    assembly = make_assembly(capacity=50)
    names = [f"Delegate {i:02d}" for i in range(19)]
    add_registrations(assembly, taipei, names)
    _sheet, pdf = make_sheet(staff, assembly)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == math.ceil(19 / 8)
    width, height = 210 * MM, 297 * MM
    left = page_text(pdf, 0, (0, 0, width / 2, height))
    right = page_text(pdf, 0, (width / 2, 0, width, height))
    assert [n for n in names[:8] if n in left] == names[0:8:2]  # the order: left, right, next row
    assert [n for n in names[:8] if n in right] == names[1:8:2]
    rows = [page_text(pdf, 0, (0, height - (12.5 + 68 * (r + 1)) * MM, width, height - (12.5 + 68 * r) * MM))
            for r in range(4)]
    assert [[n for n in names[:8] if n in row] for row in rows] == [names[i:i + 2] for i in range(0, 8, 2)]
    assert "Delegate 18" in page_text(pdf, 2)


def test_the_role_is_on_a_band_of_its_own_colour_and_in_words(staff, taipei):
    assembly = make_assembly()
    add_registrations(assembly, taipei, ["Head", "Delegate", "Speaker", "Guest"],
                      roles=("head_of_delegation", "delegate", "speaker", "guest"))
    _sheet, pdf = make_sheet(staff, assembly)
    text = page_text(pdf)
    for words in ("HEAD OF DELEGATION", "DELEGATE", "SPEAKER", "GUEST"):
        assert words in text
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil().convert("RGB")
    px = 2 * MM  # pixels per millimetre at this scale

    def band(slot):  # inside the band's left padding, clear of its text
        x, y = 10 + 95 * (slot % 2) + 1.5, 12.5 + 68 * (slot // 2) + 6.5
        return image.getpixel((round(x * px), round(y * px)))
    # The order of the sheet is by organization, then name: Delegate, Guest, Head, Speaker.
    colours = [band(slot) for slot in range(4)]
    expected = [(0x1c, 0x4e, 0x80), (0x6a, 0x3d, 0x9a), (0x0b, 0x6e, 0x4f), (0xa3, 0x26, 0x1e)]
    assert all(max(abs(a - b) for a, b in zip(c, e)) < 12 for c, e in zip(colours, expected)), colours
    assert len(set(colours)) == 4


def test_every_qr_code_on_a_page_decodes_to_its_ticket(staff, taipei):
    assembly = make_assembly()
    rows = add_registrations(assembly, taipei, [f"Delegate {i}" for i in range(8)])
    _sheet, pdf = make_sheet(staff, assembly)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    codes = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert sorted(codes) == sorted(r.checkin_token for r in rows)


def test_a_large_sheet_is_rendered_in_chunks_joined_in_order_with_its_progress(app, taipei, monkeypatch):
    assembly = make_assembly(capacity=50)
    names = [f"Delegate {i:02d}" for i in range(20)]
    add_registrations(assembly, taipei, names)
    monkeypatch.setattr(badges, "PAGES_PER_CHUNK", 1)
    rendered, progress = [], []
    real = badges.html_to_pdf

    def counting(html, **kwargs):
        rendered.append(kwargs)
        return real(html, **kwargs)
    monkeypatch.setattr(badges, "html_to_pdf", counting)
    with app.test_request_context():
        pdf = badges.sheet_pdf(assembly, badges.confirmed(assembly), progress=progress.append)
    assert progress == [8, 16, 20] and len(rendered) == 3
    # One font configuration and one parsed stylesheet for every chunk.
    assert len({id(r["font_config"]) for r in rendered}) == 1
    assert len({id(r["stylesheets"][0]) for r in rendered}) == 1
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3 and reader.metadata.title.startswith("Badges")
    assert [n for n in names if n in reader.pages[1].extract_text()] == names[8:16]
