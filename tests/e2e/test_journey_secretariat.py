"""The secretariat's journey: work the application queue of the demo (filter it, open
Kumamoto's resubmitted application, comment, approve it; reject Cebu City's), record an MOU
with the new member and its signed PDF, create an assembly, and revoke a membership
certificate, which the public verification page then calls revoked. Drafting, approving and
publishing minutes is a test of its own, skipped while the minutes pages are not in the app."""
import io
import re

import pypdf
import pytest
import weasyprint
from playwright.sync_api import expect

from .conftest import PHONE, assert_clean, assert_fits_width, check_accessibility, login, screenshot

SECRETARIAT = "secretariat@demo.gosmart.org"
TAIPEI = "taipei@demo.gosmart.org"
MOU_TITLE = "Kumamoto–GO SMART cooperation on disaster-resilient smart cities"
ASSEMBLY = "Smart Cities Forum on Water Resilience"
COMMENT = "Checked the letter of the Mayor of Kumamoto against the city's website: it matches."
REJECTION = "Cebu City's application was sent by a contractor, not by the city; the city may apply itself."


def visit(page, name):
    """Every page of the journey: accessible, clean, no sideways scrolling, and photographed."""
    check_accessibility(page, name)
    assert_clean(page)
    assert_fits_width(page)
    screenshot(page, name)


@pytest.fixture
def signed_mou(tmp_path):
    path = tmp_path / "Kumamoto MOU signed.pdf"
    weasyprint.HTML(string="""<html><body style="font-family: sans-serif">
        <h1>Memorandum of understanding</h1>
        <p>between GO SMART and Kumamoto (熊本市) on disaster-resilient smart cities.</p>
        <p>Signed in Taipei.</p></body></html>""").write_pdf(path)
    return path


def settled(page):
    """htmx binds the triggers of swapped-in content when it settles, just after the swap."""
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bhtmx-(swapping|settling)\b"))


def queue_row(page, name):
    return page.locator("#queue").get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_the_secretariat_works_the_queue_records_an_mou_creates_an_assembly_and_revokes_a_certificate(
        page, new_page, live_server, signed_mou):
    login(page, SECRETARIAT)
    expect(page).to_have_url(re.compile(r"/secretariat/$"))
    visit(page, "dashboard")

    # The queue: what waits for review by default; filters by state and category swap the table in place.
    page.get_by_role("navigation").get_by_role("link", name="Applications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Membership applications")
    expect(queue_row(page, "Cebu City")).to_contain_text("Submitted")
    expect(queue_row(page, "Kumamoto")).to_contain_text("Resubmitted")
    expect(queue_row(page, "Lumen Grid Analytics Pte. Ltd.")).to_have_count(0)
    visit(page, "queue")
    page.get_by_role("combobox", name="State").select_option(label="Changes requested")
    expect(page).to_have_url(re.compile(r"state=changes_requested"))
    expect(queue_row(page, "Lumen Grid Analytics Pte. Ltd.")).to_contain_text("Changes requested")
    expect(queue_row(page, "Cebu City")).to_have_count(0)
    visit(page, "queue-changes-requested")
    page.get_by_role("combobox", name="State").select_option("")
    page.get_by_role("combobox", name="Category").select_option(label="City")
    expect(page).to_have_url(re.compile(r"category=city"))
    expect(queue_row(page, "Cebu City")).to_be_visible()
    expect(queue_row(page, "Kumamoto")).to_be_visible()
    expect(page.locator("#queue").get_by_role("row").filter(has_text="Industry")).to_have_count(0)
    visit(page, "queue-cities")

    phone = new_page(viewport=PHONE, name="secretariat phone")
    login(phone, SECRETARIAT)
    phone.goto("/applications/?category=city")
    expect(queue_row(phone, "Kumamoto")).to_be_visible()
    visit(phone, "queue-cities-phone")

    # Kumamoto: a comment for the file, then the approval.
    queue_row(page, "Kumamoto").get_by_role("link", name="Kumamoto").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kumamoto")
    expect(page.get_by_text("Please name the smart-city office.")).to_be_visible()
    visit(page, "kumamoto-application")
    page.get_by_label("Comment", exact=True).fill(COMMENT)
    page.get_by_role("combobox", name="Visible to").select_option(label="The secretariat only")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Your comment is added.")).to_be_visible()
    expect(page.locator(".timeline li.internal")).to_contain_text(COMMENT)
    page.get_by_role("button", name="Approve").click()
    approved = page.get_by_text(re.compile(r"Approved: Kumamoto is member GS-\d{4}-\d{4}\."))
    expect(approved).to_be_visible()
    number = re.search(r"GS-\d{4}-\d{4}", approved.inner_text()).group(0)
    expect(page.get_by_text(f"Member {number} since")).to_be_visible()
    visit(page, "kumamoto-approved")
    assert live_server.latest_email("kumamoto@demo.gosmart.org", subject="Welcome to GO SMART")

    # Cebu City: rejected, with the reason, which the applicant is sent.
    page.get_by_role("link", name="← Back to the queue").click()
    expect(queue_row(page, "Kumamoto")).to_have_count(0)
    queue_row(page, "Cebu City").get_by_role("link", name="Cebu City").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cebu City")
    page.get_by_label("Reason for rejection").fill(REJECTION)
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("The application is rejected; the applicant has been emailed.")).to_be_visible()
    expect(page.locator("hgroup .state")).to_have_text("Rejected")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    visit(page, "cebu-rejected")
    rejection = live_server.latest_email("cebu@demo.gosmart.org", subject="application")
    assert REJECTION in rejection.get_body(preferencelist=("plain",)).get_content()
    page.get_by_role("navigation").get_by_role("link", name="Applications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Membership applications")
    settled(page)  # else the State select may change before htmx listens to it
    expect(queue_row(page, "Cebu City")).to_have_count(0)
    page.get_by_role("combobox", name="State").select_option(label="Rejected")
    expect(queue_row(page, "Cebu City")).to_contain_text("Rejected")

    # An MOU with the new member, and its signed PDF.
    page.get_by_role("navigation").get_by_role("link", name="MOUs").click()
    page.get_by_role("button", name="Record an MOU").click()
    page.get_by_label("Title", exact=True).fill(MOU_TITLE)
    page.get_by_label("Member organization").select_option(label="Kumamoto")
    page.get_by_label("Name of signatory 1").fill("Kazufumi Onishi")
    page.get_by_label("Title of signatory 1").fill("Mayor of Kumamoto")
    page.get_by_label("Party of signatory 1").select_option("partner")
    page.get_by_label("Effective date").fill("2026-01-01")
    page.get_by_label("Expiry date (optional)").fill("2030-12-31")
    page.get_by_label("Scope").fill("Exchange of practice on early warning and recovery after earthquakes.")
    page.get_by_label("Who may see it").select_option("members")
    page.get_by_label("Signed document (PDF, at most 20 MB)").set_input_files(signed_mou)
    visit(page, "mou-form")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_text(f"“{MOU_TITLE}” is saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(MOU_TITLE)
    expect(page.locator("hgroup .state")).to_have_text("Draft")
    with page.expect_download() as download:
        page.get_by_role("link", name="Kumamoto MOU signed.pdf").click()
    assert open(download.value.path(), "rb").read() == signed_mou.read_bytes()
    visit(page, "mou-recorded")

    # A new assembly, open for registration.
    page.get_by_role("navigation").get_by_role("link", name="Assemblies").click()
    page.get_by_role("button", name="New assembly or meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New assembly or meeting")
    page.get_by_role("combobox", name="Type").select_option(index=1)
    page.get_by_role("textbox", name="Title").fill(ASSEMBLY)
    page.get_by_role("textbox", name="Venue", exact=True).fill("Kaohsiung Exhibition Center")
    page.get_by_role("textbox", name="City", exact=True).fill("Kaohsiung")
    page.get_by_label("Starts (venue time)").fill("2031-05-20T09:30")
    page.get_by_label("Ends (venue time)").fill("2031-05-20T17:00")
    page.get_by_label("Registration opens (venue time)").fill("2026-01-05T09:00")
    page.get_by_label("Registration closes (venue time)").fill("2031-05-13T17:00")
    page.get_by_role("spinbutton", name="Capacity").fill("120")
    page.get_by_label("Delegates per member organization").fill("2")
    page.get_by_label("Description").fill("Flood warning, water reuse and sponge-city design, with site visits.")
    visit(page, "assembly-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"“{ASSEMBLY}” is saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(ASSEMBLY)
    expect(page.get_by_text("2031-05-20 09:30 – 17:00 (Asia/Taipei)")).to_be_visible()
    expect(page.locator(".figure").filter(has_text="Capacity")).to_contain_text("120")
    visit(page, "assembly-created")
    page.get_by_role("link", name="← Assemblies and meetings").click()
    expect(page.get_by_role("link", name=ASSEMBLY)).to_be_visible()

    # A membership certificate is issued (Taipei City downloads its own) ...
    taipei = new_page(name="taipei")
    login(taipei, TAIPEI)
    with taipei.expect_download() as download:
        taipei.get_by_role("link", name="Download the membership certificate (PDF)").click()
    serial = download.value.suggested_filename.removesuffix(".pdf")
    assert re.fullmatch(r"GS-CERT-\d{4}-\d{6}", serial)
    pdf = pypdf.PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "".join(p.extract_text() for p in pdf.pages)
    code = re.search(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}", text).group(0)  # printed to be typed
    assert_clean(taipei)

    # ... and the secretariat revokes it, with the reason.
    page.get_by_role("navigation").get_by_role("link", name="Certificates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificates")
    page.get_by_label("Serial number or holder").fill(serial)
    expect(page).to_have_url(re.compile(rf"q={serial}"))
    row = page.locator("#certificate_table").get_by_role("row").filter(has_text=serial)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Valid")
    row.get_by_text("Revoke", exact=True).click()
    row.get_by_label("Reason").fill("Issued for the test of the revocation; a new one replaces it.")
    visit(page, "certificate-revoke")
    row.get_by_role("button", name=f"Revoke {serial}").click()
    expect(page.get_by_text(f"Certificate {serial} is revoked.")).to_be_visible()
    page.get_by_label("Serial number or holder").fill(serial)
    expect(page.locator("#certificate_table").get_by_role("row").filter(has_text=serial)).to_contain_text("Revoked")
    visit(page, "certificate-revoked")

    # Anyone checking the certificate's code is told it is revoked.
    visitor = new_page(name="visitor")
    visitor.goto(f"/verify/{code}")
    expect(visitor.get_by_text("Revoked — no longer valid")).to_be_visible()
    expect(visitor.locator("dl")).to_contain_text(serial)
    expect(visitor.locator("dl")).to_contain_text("Taipei City")
    visit(visitor, "verify-revoked")

    # Taipei City sees that it was revoked and why; no download issues another behind its back.
    taipei.reload()
    expect(taipei.get_by_text("Issued for the test of the revocation")).to_be_visible()
    expect(taipei.get_by_role("link", name="Download the membership certificate (PDF)")).to_have_count(0)
    assert_clean(taipei)

    # Only the secretariat's reissue makes a new one.
    page.goto("/members/?q=Taipei")
    page.locator("#member_table").get_by_role("link", name="Taipei City", exact=True).click()
    expect(page.get_by_role("heading", name="Membership certificate")).to_be_visible()
    page.get_by_role("button", name="Issue the membership certificate again").click()
    expect(page.get_by_text("is issued; any earlier one is revoked")).to_be_visible()
    taipei.reload()
    expect(taipei.get_by_role("link", name="Download the membership certificate (PDF)")).to_be_visible()


def test_the_secretariat_drafts_approves_and_publishes_minutes(page, live_server):
    login(page, SECRETARIAT)
    page.get_by_role("navigation").get_by_role("link", name="Committees").click()
    visit(page, "committees")
    first_committee = page.locator("main table tbody").get_by_role("link").first
    committee = first_committee.inner_text()
    first_committee.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(committee)
    page.get_by_label("Date of the meeting").fill("2019-12-04")
    page.get_by_label("Place").fill("Taipei City Hall, room 1201")
    page.get_by_role("button", name="Add the meeting and write its minutes").click()
    expect(page).to_have_url(re.compile(r"/minutes/\d+/edit$"))
    page.locator("#items-0-title").fill("Smart-city data charter")
    page.locator("#items-0-discussion").fill("The secretariat presented the draft charter; members asked for "
                                              "a section on open data licences.")
    page.locator("#resolutions-0-text").fill("The committee adopts the smart-city data charter.")
    visit(page, "minutes-draft-editing")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile(r"Saved as revision \d+\."))).to_be_visible()

    page.get_by_role("link", name="← The minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Minutes of the {committee}")
    expect(page.locator("hgroup .state")).to_have_text("Draft")
    visit(page, "minutes-draft")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(re.compile(r"The minutes are approved and locked\."))).to_be_visible()
    expect(page.locator("hgroup .state")).to_have_text("Approved")
    visit(page, "minutes-approved")
    page.get_by_label("Publish to").select_option(label="Members")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The minutes are published to members.")).to_be_visible()
    expect(page.locator("hgroup .state")).to_have_text("Published")
    expect(page.get_by_text("The committee adopts the smart-city data charter.")).to_be_visible()
    visit(page, "minutes-published")
