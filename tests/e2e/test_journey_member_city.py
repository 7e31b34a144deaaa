"""The member city's journey: Taipei City's representative registers a delegate for the
upcoming General Assembly within the quota of three (two are already registered), meets
the quota (the form gives way to a message), cancels the registration, which frees the
place again, and downloads a delegate's e-ticket and the city's membership certificate."""
import io
import re

import pypdf
from playwright.sync_api import expect

from .conftest import PHONE, assert_clean, assert_fits_width, check_accessibility, login, screenshot

TAIPEI = "taipei@demo.gosmart.org"
UPCOMING = re.compile(r"^General Assembly \d{4}$")
DELEGATE = {"name": "Pei-Shan Kuo", "title": "Chief Information Officer", "email": "pei-shan.kuo@taipei.example"}
QUOTA_MESSAGE = "Your organization has used its whole quota. Cancel a registration to register someone else."


def visit(page, name):
    """Every page of the journey: accessible, clean, no sideways scrolling, and photographed."""
    check_accessibility(page, name)
    assert_clean(page)
    assert_fits_width(page)
    screenshot(page, name)


def pdf_text(download):
    data = open(download.path(), "rb").read()
    assert data.startswith(b"%PDF")
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_taipei_registers_delegates_within_its_quota_cancels_one_and_downloads_ticket_and_certificate(
        page, new_page, live_server):
    login(page, TAIPEI)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Taipei City")
    visit(page, "my-organization")

    # The upcoming assembly: two of three places used, and the form to register a third.
    page.get_by_role("navigation").get_by_role("link", name="Assemblies").click()
    visit(page, "assemblies")
    page.get_by_role("link", name=UPCOMING).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(UPCOMING)
    assembly_url = page.url
    registrations = page.locator("#registrations")
    expect(registrations.get_by_text("Quota: 2 of 3 used")).to_be_visible()
    expect(registrations.get_by_role("row")).to_have_count(3)  # the header and two delegates
    visit(page, "assembly-two-of-three")

    phone = new_page(viewport=PHONE, name="taipei phone")
    login(phone, TAIPEI)
    phone.goto(assembly_url)
    visit(phone, "assembly-two-of-three-phone")

    page.get_by_label("Name", exact=True).fill(DELEGATE["name"])
    page.get_by_label("Title or position").fill(DELEGATE["title"])
    page.get_by_label("Email").fill(DELEGATE["email"])
    page.get_by_label("Role").select_option(label="Delegate")
    page.get_by_label("Dietary needs (optional)").fill("Vegetarian")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text(f"{DELEGATE['name']} is registered; the e-ticket is on its way to {DELEGATE['email']}."))\
        .to_be_visible()
    assert live_server.latest_email(DELEGATE["email"], subject="Your e-ticket")

    # The quota is used up: the form gives way to the quota message.
    expect(registrations.get_by_text("Quota: 3 of 3 used")).to_be_visible()
    expect(registrations.get_by_role("row").filter(has_text=DELEGATE["name"])).to_contain_text("Confirmed")
    expect(page.get_by_text(QUOTA_MESSAGE)).to_be_visible()
    expect(page.get_by_role("button", name="Register")).to_have_count(0)
    expect(page.get_by_label("Name", exact=True)).to_have_count(0)
    visit(page, "quota-used-up")
    phone.reload()
    expect(phone.get_by_text(QUOTA_MESSAGE)).to_be_visible()
    visit(phone, "quota-used-up-phone")

    # Cancelling the new registration frees the place: the form is back.
    row = registrations.get_by_role("row").filter(has_text=DELEGATE["name"])
    row.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(f"The registration of {DELEGATE['name']} is cancelled.")).to_be_visible()
    expect(registrations.get_by_text("Quota: 2 of 3 used")).to_be_visible()
    expect(page.get_by_text(QUOTA_MESSAGE)).to_have_count(0)
    expect(page.get_by_role("button", name="Register")).to_be_visible()
    expect(registrations.get_by_role("row").filter(has_text=DELEGATE["name"])).to_contain_text("Cancelled")
    assert live_server.latest_email(DELEGATE["email"], subject="cancelled")
    visit(page, "registration-cancelled")

    # The e-ticket of the head of delegation, as a PDF with the name on it.
    head = registrations.get_by_role("row").filter(has_text="Head of delegation")
    head_name = head.get_by_role("cell").first.inner_text().splitlines()[0].strip()
    with page.expect_download() as download:
        head.get_by_role("link", name="E-ticket").click()
    assert re.fullmatch(r"ticket-\d+\.pdf", download.value.suggested_filename)
    text = pdf_text(download.value)
    assert head_name in text and "General Assembly" in text and "Taipei City" in text
    assert_clean(page)

    # The membership certificate, from My organization.
    page.get_by_role("navigation").get_by_role("link", name="My organization").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the membership certificate (PDF)").click()
    assert re.fullmatch(r"GS-CERT-\d{4}-\d{6}\.pdf", download.value.suggested_filename)
    text = pdf_text(download.value)
    assert "Taipei City" in text and "Membership certificate" in text.replace("\n", " ")
    visit(page, "my-organization-after-downloads")
