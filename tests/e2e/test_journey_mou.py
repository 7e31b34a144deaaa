"""The MOU journey, in the browser: the secretariat finds the LGAQ MOU, filters the list,
records an MOU with a new outside partner and its signed PDF, signs it; a member sees it
and downloads the PDF, a visitor does not, until the secretariat opens it to the public."""
import re

import pytest
import weasyprint
from playwright.sync_api import expect

from .conftest import assert_clean, check_accessibility, expect_http_error, login, logout, screenshot

SECRETARIAT = "secretariat@demo.gosmart.org"
HONORARY = "honorary@demo.gosmart.org"
TITLE = "Smart-city cooperation with the Association of Netherlands Municipalities"
PARTNER = "Association of Netherlands Municipalities"


@pytest.fixture
def signed_pdf(tmp_path):
    path = tmp_path / "VNG MOU signed.pdf"
    weasyprint.HTML(string=f"<h1>Memorandum of understanding</h1><p>GO SMART and {PARTNER}</p>").write_pdf(path)
    return path


def visit(page, name):
    check_accessibility(page, name)
    assert_clean(page)
    screenshot(page, name)


def test_the_secretariat_records_an_mou_and_members_see_it_by_its_visibility(page, new_page, signed_pdf):
    login(page, SECRETARIAT)
    page.get_by_role("navigation").get_by_role("link", name="MOUs", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Memoranda of understanding")
    expect(page.get_by_role("link", name=re.compile("Local Government Association of Queensland"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Expires in \d+ days"))).to_be_visible()
    visit(page, "mou-list")

    # Filters swap the results in place and keep their state in the address.
    page.get_by_label("Status").select_option("expired")
    expect(page).to_have_url(re.compile(r"status=expired"))
    expect(page.get_by_role("link", name="Urban living labs exchange", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Queensland"))).to_have_count(0)
    page.get_by_label("Status").select_option("")
    page.get_by_label("Partner").fill("queensland")
    expect(page).to_have_url(re.compile(r"partner=queensland"))
    expect(page.get_by_role("link", name="Urban living labs exchange (renewal)")).to_have_count(0)

    # The renewal chain, both ways.
    page.goto("/mous/?partner=amsterdam")
    page.get_by_role("link", name="Urban living labs exchange (renewal)").click()
    expect(page.get_by_text("renewed by this MOU")).to_be_visible()
    visit(page, "mou-detail-renewal")

    # A new MOU with an outside partner and its signed PDF; a wrong expiry is refused first.
    page.goto("/mous/")
    page.get_by_role("button", name="Record an MOU").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an MOU")
    visit(page, "mou-new")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("or an outside body").fill(PARTNER)
    page.get_by_label("Outside body's country").select_option("NL")
    page.get_by_label("Name of signatory 1").fill("Jan van Dijk")
    page.get_by_label("Title of signatory 1").fill("Director")
    page.get_by_label("Party of signatory 1").select_option("partner")
    page.get_by_label("Effective date").fill("2024-05-01")
    page.get_by_label("Expiry date (optional)").fill("2024-04-30")
    page.get_by_label("Scope").fill("Exchange of practice between Dutch municipalities and GO SMART members.")
    page.get_by_label("Who may see it").select_option("members")
    page.get_by_label("Signed document (PDF, at most 20 MB)").set_input_files(signed_pdf)
    with expect_http_error(page, 422):
        page.get_by_role("button", name="Save the draft").click()
        expect(page.get_by_text("The expiry date is before the effective date.")).to_be_visible()
    visit(page, "mou-new-refused")
    page.get_by_label("Expiry date (optional)").fill("2029-04-30")
    page.get_by_label("Signed document (PDF, at most 20 MB)").set_input_files(signed_pdf)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("hgroup .state")).to_have_text("Draft")
    mou_url = page.url

    page.get_by_role("button", name="Mark as signed").click()
    page.get_by_label("Signing date").fill("2024-05-01")
    page.get_by_label("Signing place").fill("Taipei")
    page.get_by_role("button", name="Record the signature").click()
    expect(page.get_by_text(f"“{TITLE}” is signed.")).to_be_visible()
    expect(page.locator("hgroup .state")).to_have_text("Signed")
    visit(page, "mou-signed")

    # A member sees it and downloads the PDF; a visitor does not see it.
    member = new_page(name="honorary")
    login(member, HONORARY)
    member.get_by_role("navigation").get_by_role("link", name="MOUs", exact=True).click()
    member.get_by_role("link", name=TITLE).click()
    with member.expect_download() as download:
        member.get_by_role("link", name="VNG MOU signed.pdf").click()
    assert download.value.suggested_filename == "VNG MOU signed.pdf"
    visit(member, "mou-detail-member")
    visitor = new_page(name="visitor")
    visitor.goto("/mous/")
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
    with expect_http_error(visitor, 404):
        visitor.goto(mou_url)
    assert_clean(visitor)

    # Opened to the public, the visitor sees it too.
    page.goto(mou_url + "/edit")
    page.get_by_label("Who may see it").select_option("public")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(f"“{TITLE}” is saved.")).to_be_visible()
    visitor.goto("/mous/")
    expect(visitor.get_by_role("link", name=TITLE)).to_be_visible()
    visit(visitor, "mou-list-visitor")
    logout(page)
