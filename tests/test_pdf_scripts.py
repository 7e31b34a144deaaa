"""Names in every script print in the PDFs: certificates, tickets, badges and minutes read the
name back as it was written (a glyph missing from the fonts comes out as .notdef, not as the
letter), each script set in its own Noto font (scripts/system-deps.sh installs them), and names
written right to left (Arabic, Hebrew) in their own order."""
import io
import secrets
from datetime import date

import pypdfium2
import pytest
from pypdf import PdfReader

from gosmart.assemblies import badges, services as assemblies
from gosmart.assemblies.models import Registration
from gosmart.auth.models import Role
from gosmart.certificates import services as certificates
from gosmart.extensions import db
from gosmart.i18n import text_direction
from gosmart.members import services as members
from gosmart.minutes import services as minutes_services

from .test_assemblies import make_assembly

# A name in each script (Devanagari without a vowel sign written before its consonant: text
# extraction reorders those, whatever the font).
NAMES = {
    "Thai": "เชียงใหม่", "Korean": "김민준", "Japanese": "さとう はなこ", "Arabic": "محمد الأحمد",
    "Hebrew": "דוד כהן", "Devanagari": "सुनीता देवी", "Cyrillic": "Анна Иванова",
    "Greek": "Γιώργος Παπαδόπουλος", "Chinese": "臺北市",
}
# The font each script must be set in (sans on tickets, badges and minutes; serif on certificates).
FONTS = {"Thai": ("NotoSansThai", "NotoSerifThai"), "Arabic": ("NotoSansArabic", "NotoNaskhArabic"),
         "Hebrew": ("NotoSansHebrew", "NotoSerifHebrew"), "Devanagari": ("NotoSansDevanagari", "NotoSerifDevanagari"),
         "Korean": ("CJK",), "Japanese": ("CJK",), "Chinese": ("CJK",)}


def text_of(pdf):
    """The text of every page, with lines joined (a long name may wrap)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def fonts_of(pdf):
    """The names of the fonts embedded in a PDF, without their subset prefix or dashes."""
    found = set()

    def walk(resources):
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            found.add(str(font.get_object()["/BaseFont"]).split("+")[-1].replace("-", ""))
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get_object().get("/Resources"))
    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"))
    return found


def assert_every_script(pdf, names=NAMES, serif=False):
    text, fonts = text_of(pdf), fonts_of(pdf)
    for script, name in names.items():
        assert name in text, f"{script}: {name!r} does not read back from the PDF"
        if script in FONTS:
            wanted = FONTS[script][-1 if serif and len(FONTS[script]) > 1 else 0]
            assert any(wanted in font for font in fonts), f"{script}: no {wanted} font in {sorted(fonts)}"


def order_on_page(pdf, number, text):
    """The left edge of each character of `text` as the page shows it, in the text's own order."""
    textpage = pypdfium2.PdfDocument(pdf)[number].get_textpage()
    chars = [textpage.get_text_range(i, 1) for i in range(textpage.count_chars())]
    joined = "".join(chars)
    start = joined.find(text)
    assert start >= 0, (text, joined)
    return [textpage.get_charbox(i)[0] for i in range(start, start + len(text))]


def test_direction_follows_the_first_letter():
    assert text_direction("محمد الأحمد 5") == text_direction("דוד כהן") == "rtl"
    assert text_direction("5 Mei-Ling") == text_direction("臺北市") == text_direction("") == "ltr"


@pytest.fixture
def assembly_of_every_script(users):
    assembly = make_assembly(capacity=50)
    taipei = users[Role.REPRESENTATIVE].organization
    rows = [Registration(assembly_id=assembly.id, organization_id=taipei.id, name=name, email=f"s{i}@example.org",
                         role="delegate", state="confirmed", checkin_token=secrets.token_urlsafe(24))
            for i, name in enumerate(NAMES.values())]
    db.session.add_all(rows)
    db.session.commit()
    return assembly, rows


def test_badges_print_every_script(app, assembly_of_every_script):
    assembly, _rows = assembly_of_every_script
    with app.test_request_context():
        pdf = badges.sheet_pdf(assembly, badges.confirmed(assembly))
    assert_every_script(pdf)


def test_tickets_print_every_script(assembly_of_every_script):
    _assembly, rows = assembly_of_every_script
    for script, registration in zip(NAMES, rows):
        assert_every_script(assemblies.ticket_pdf(registration), {script: NAMES[script]})


@pytest.mark.parametrize("script", list(NAMES))
def test_certificates_print_every_script(users, organization, script):
    """The defect: Chiang Mai's เชียงใหม่ was a row of boxes on its certificate."""
    holder = organization(name=f"A city writing {script}", name_local=NAMES[script], number=f"GS-2019-{len(script):04d}")
    certificate = certificates.issue("membership", members.membership_holder(holder), users[Role.SECRETARIAT])
    assert_every_script(certificates.pdf_of(certificate), {script: NAMES[script]}, serif=True)


def test_minutes_print_every_script(users, make_client):
    secretariat = users[Role.SECRETARIAT]
    committee = minutes_services.create_committee({"name": "Strategy Committee", "code": "SC"}, secretariat)
    for name in NAMES.values():
        minutes_services.add_member(committee, secretariat, person_name=name)
    minutes = minutes_services.create_minutes(committee, date(2019, 3, 27), "Taipei City Hall", secretariat)
    staff = make_client()
    staff.login(secretariat.email)
    response = staff.get(f"/minutes/{minutes.id}.pdf")
    assert response.status_code == 200
    assert_every_script(response.data)


def test_right_to_left_names_side_by_side_keep_their_order_in_the_minutes(users, make_client):
    secretariat = users[Role.SECRETARIAT]
    committee = minutes_services.create_committee({"name": "Strategy Committee", "code": "SC"}, secretariat)
    for name in ("Kaohsiung", "דוד כהן", "محمد الأحمد", "Seoul"):
        minutes_services.add_member(committee, secretariat, person_name=name)
    minutes = minutes_services.create_minutes(committee, date(2019, 3, 27), "Taipei City Hall", secretariat)
    staff = make_client()
    staff.login(secretariat.email)
    pdf = staff.get(f"/minutes/{minutes.id}.pdf").data
    hebrew, arabic = order_on_page(pdf, 0, "ד")[0], order_on_page(pdf, 0, "م")[0]
    kaohsiung, seoul = order_on_page(pdf, 0, "Kaohsiung")[0], order_on_page(pdf, 0, "Seoul")[0]
    assert kaohsiung < hebrew < arabic < seoul  # as listed: Kaohsiung, דוד כהן, محمد الأحمد, Seoul


@pytest.mark.parametrize("name", ["محمد الأحمد 5", "דוד כהן 2"])
def test_names_written_right_to_left_read_right_to_left(app, users, name):
    """On a badge and a ticket, the letters run from right to left and the number that ends the
    name is at its left end, as an Arabic or Hebrew reader writes it."""
    assembly = make_assembly()
    registration = Registration(assembly_id=assembly.id, name=name, email="rtl@example.org", role="guest",
                                state="confirmed", checkin_token=secrets.token_urlsafe(24))
    db.session.add(registration)
    db.session.commit()
    with app.test_request_context():
        sheet = badges.sheet_pdf(assembly, [registration])
    for pdf in (sheet, assemblies.ticket_pdf(registration)):
        letters = name[:3]
        xs = order_on_page(pdf, 0, letters)
        assert xs == sorted(xs, reverse=True), f"{letters!r} should run right to left: {xs}"
        digit = order_on_page(pdf, 0, name[-1])[0]
        assert digit < min(order_on_page(pdf, 0, name.split()[0])), "the number should end the name on its left"
