"""The visitor's journey: someone handed Taipei City's membership certificate verifies it by
the code printed on it, through the form linked from every page's footer; a mistyped code
gets a clear "unknown code" page (a 404) on a phone."""
import io
import re

import pypdf
from playwright.sync_api import expect

from .conftest import PHONE, assert_clean, assert_fits_width, check_accessibility, expect_http_error, login, screenshot

TAIPEI = "taipei@demo.gosmart.org"


def visit(page, name):
    """Every page of the journey: accessible, clean, no sideways scrolling, and photographed."""
    check_accessibility(page, name)
    assert_clean(page)
    assert_fits_width(page)
    screenshot(page, name)


def test_a_visitor_verifies_a_membership_certificate_by_its_code_and_an_unknown_code_is_refused(page, new_page):
    # Taipei City's representative downloads the certificate; the code is printed under its QR code.
    taipei = new_page(name="taipei")
    login(taipei, TAIPEI)
    with taipei.expect_download() as download:
        taipei.get_by_role("link", name="Download the membership certificate (PDF)").click()
    serial = download.value.suggested_filename.removesuffix(".pdf")
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    # Printed on one line in four groups, from an alphabet without I, L, O or U.
    code = re.search(r"^([0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3})$", text, re.M).group(1)
    assert_clean(taipei)

    # The visitor finds the verification form from the landing page and types the code.
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Verify a certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a certificate")
    visit(page, "verify-form")
    page.get_by_label("Verification code").fill(code.lower().replace("-", " "))  # as a person may type it
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(rf"/verify/{re.escape(code)}$"))
    expect(page.get_by_text("Valid certificate")).to_be_visible()
    details = page.locator("dl.answers")
    expect(details).to_contain_text("Taipei City")
    expect(details).to_contain_text("Membership certificate")
    expect(details).to_contain_text(serial)
    visit(page, "verify-valid")

    # The prominent serial number works too, with the holder's name as a second factor.
    page.get_by_role("link", name="Verify another certificate").click()
    page.get_by_label("Verification code").fill(serial)
    page.get_by_label("Holder's name").fill("taipei city")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Valid certificate")).to_be_visible()
    expect(page.locator("dl.answers")).to_contain_text(code)
    visit(page, "verify-by-serial")

    # On a phone, a mistyped code: a clear page that says so, and the way to try again.
    phone = new_page(viewport=PHONE, name="visitor phone")
    phone.goto("/verify")
    visit(phone, "verify-form-phone")
    phone.get_by_label("Verification code").fill(code[:-3] + "xyz")
    with expect_http_error(phone, 404, "/verify/"):
        phone.get_by_role("button", name="Verify").click()
        expect(phone.get_by_text("Unknown code")).to_be_visible()
    expect(phone.get_by_text("No GO SMART certificate has this code.")).to_be_visible()
    expect(phone.locator("dl.answers")).to_have_count(0)
    expect(phone.get_by_role("link", name="Verify another certificate")).to_be_visible()
    visit(phone, "verify-unknown-phone")

    # An empty form asks for the code again instead of looking anything up.
    phone.get_by_role("link", name="Verify another certificate").click()
    phone.get_by_role("button", name="Verify").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Verify a certificate")
    assert_clean(phone)
