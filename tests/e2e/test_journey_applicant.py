"""The applicant's journey, in the browser, as a new city would make it: apply with a new
account, confirm the email, upload a letter of intent, submit; the secretariat asks for a
change; the applicant changes and resubmits; the secretariat approves; the new member
signs in and sees its membership number."""
import re
from datetime import datetime, timezone

import pytest
import weasyprint
from playwright.sync_api import expect

from .conftest import (
    PHONE, assert_clean, check_accessibility, expect_http_error, link_in, login, logout, screenshot,
)


# A real city that is not in the demo data (gosmart/demo_members.py), with a CJK local name.
CITY, CITY_LOCAL, COUNTRY = "Kanazawa", "金沢市", "Japan"
APPLICANT = {"name": "Aiko Nakamura", "email": "smartcity@kanazawa-city.example",
             "password": "snow country tram lines"}
SECRETARIAT = "secretariat@demo.gosmart.org"
CHANGE_REQUEST = "Please give the full name of the smart-city office, as on the letter of intent."


@pytest.fixture
def letter_of_intent(tmp_path):
    path = tmp_path / "kanazawa-letter-of-intent.pdf"
    weasyprint.HTML(string=f"""<html><body style="font-family: sans-serif">
        <h1>Letter of intent</h1>
        <p>{CITY} ({CITY_LOCAL}) intends to join GO SMART, the Global Organization of Smart Cities.</p>
        </body></html>""").write_pdf(path)
    return path


@pytest.fixture
def annex(tmp_path):
    path = tmp_path / "kanazawa-smart-city-office.pdf"
    weasyprint.HTML(string="<p>The Digital Policy Office of the Mayor's Office of Kanazawa City.</p>").write_pdf(path)
    return path


def visit(page, name, shot=True):
    """Every page of the journey: accessible, clean, and photographed."""
    check_accessibility(page, name)
    assert_clean(page)
    if shot:
        screenshot(page, name)


def test_a_new_city_applies_is_asked_for_a_change_and_becomes_a_member(page, new_page, live_server,
                                                                       letter_of_intent, annex):
    # A visitor finds the way from the landing page to the city application form.
    page.goto("/")
    visit(page, "landing")
    page.get_by_role("button", name="Apply for membership").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for membership")
    visit(page, "apply-choose-category")
    page.get_by_role("button", name="Apply as a city").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Membership application")
    expect(page).to_have_url(re.compile(r"/apply/city$"))
    visit(page, "apply-city-form")

    phone = new_page(viewport=PHONE, name="phone")
    phone.goto("/apply/city")
    visit(phone, "apply-city-form-phone")

    # The account and the organization, in one form.
    page.get_by_label("Your name").fill(APPLICANT["name"])
    page.get_by_label("Your email").fill(APPLICANT["email"])
    page.get_by_label("Choose a password").fill(APPLICANT["password"])
    page.get_by_label("Official name in English").fill(CITY)
    page.get_by_label("Name in the local language and script").fill(CITY_LOCAL)
    page.get_by_label("Country").select_option(label=COUNTRY)
    page.get_by_label("Population").fill("463000")
    page.get_by_label("Head of government").fill("Mayor of Kanazawa")
    page.get_by_label("Smart-city office").fill("Digital Policy Office")
    page.get_by_label("smart mobility").check()
    page.get_by_label("education").check()
    page.get_by_label("Contact person", exact=True).fill(APPLICANT["name"])
    page.get_by_label("Contact person's title").fill("Director, Digital Policy Office")

    # A mistyped contact email is pointed out while typing (htmx), and the note goes once it is right.
    contact_email = page.get_by_label("Contact email")
    feedback = page.locator("#contact_email-feedback")
    contact_email.press_sequentially("aiko.nakamura@", delay=20)
    expect(feedback.locator(".field-error")).to_have_text("Invalid email address.")
    expect(contact_email).to_have_attribute("hx-post", "/apply/city/validate")
    expect(contact_email).to_have_attribute("aria-describedby", "contact_email-feedback")
    expect(contact_email).to_have_attribute("aria-invalid", "true")
    screenshot(page, "inline-validation-bad-email")
    contact_email.press_sequentially("kanazawa-city.example", delay=20)
    expect(feedback.locator(".field-error")).to_have_count(0)
    expect(contact_email).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Contact phone").fill("+81 76 220 2111")
    page.get_by_label("Website").fill("https://www4.city.kanazawa.lg.jp")
    assert_clean(page)

    # The answer is the same whether the address had an account or not: "we have sent you an email".
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text(f"We have sent an email to {APPLICANT['email']}")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))
    visit(page, "draft-saved")

    # The confirmation link from the email, then the password chosen with the application.
    message = live_server.latest_email(APPLICANT["email"], subject="Confirm your email address")
    page.goto(link_in(message, "/confirm-email/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    visit(page, "confirm-email")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Thank you: your email address is confirmed.")).to_be_visible()
    login(page, APPLICANT["email"], APPLICANT["password"])
    expect(page.get_by_role("heading", level=1)).to_have_text("My membership applications")
    visit(page, "my-applications-draft")

    # The letter of intent, then the submission.
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/applications/\d+/edit$"))
    application_path = re.search(r"/applications/\d+", page.url).group(0)
    page.get_by_label("Add a document").set_input_files(letter_of_intent)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("“kanazawa-letter-of-intent.pdf” is added.")).to_be_visible()
    expect(page.locator("#documents").get_by_role("link", name="kanazawa-letter-of-intent.pdf")).to_be_visible()
    visit(page, "document-uploaded")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_text("Your application is submitted.")).to_be_visible()
    # (The #documents of the upload's redirect stays on the URL: a redirect keeps the fragment.)
    expect(page).to_have_url(re.compile(application_path + "(#documents)?$"))
    visit(page, "submitted")

    # The secretariat, signed in meanwhile in a browser of its own, asks for a change.
    office = new_page(name="secretariat")
    login(office, SECRETARIAT)
    visit(office, "secretariat-dashboard")
    office.get_by_role("navigation").get_by_role("link", name="Applications").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("Membership applications")
    row = office.get_by_role("row").filter(has_text=CITY)
    expect(row).to_contain_text("Submitted")
    visit(office, "secretariat-queue")
    row.get_by_role("link", name=CITY).click()
    expect(office.get_by_role("heading", level=1)).to_contain_text(CITY)
    expect(office.get_by_role("link", name="kanazawa-letter-of-intent.pdf")).to_be_visible()
    visit(office, "secretariat-application")
    office.get_by_label("What should change").fill(CHANGE_REQUEST)
    office.get_by_role("button", name="Request changes").click()
    expect(office.get_by_text("Changes requested; the applicant has been emailed.")).to_be_visible()
    visit(office, "secretariat-changes-requested")

    # The applicant reads the request, changes the office's name and resubmits.
    assert CHANGE_REQUEST in plain_text(live_server.latest_email(APPLICANT["email"], subject="changes requested"))
    page.get_by_role("navigation").get_by_role("link", name="My application").click()
    expect(page.get_by_text("The secretariat asked for changes.")).to_be_visible()
    visit(page, "my-applications-changes-requested")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(CHANGE_REQUEST)).to_be_visible()
    # Inline validation on the saved application asks the validation URL, never the form's own.
    expect(page.get_by_label("Smart-city office")).to_have_attribute(
        "hx-post", re.compile(r"/apply/city/validate\?application=\d+$"))
    visit(page, "changes-requested-form")
    office_name = "Digital Policy Office, Mayor's Office of Kanazawa City"
    page.get_by_label("Smart-city office").fill(office_name)

    # Leaving with the change unsaved asks first; staying keeps it.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("navigation").get_by_role("link", name="My application").click()
    expect(page.get_by_label("Smart-city office")).to_have_value(office_name)
    assert asked and "not saved" in asked[0]
    expect(page).to_have_url(re.compile(application_path + "/edit"))

    # An annex chosen and uploaded: the change typed above goes with it (it used to be lost).
    page.get_by_label("Add a document").set_input_files(annex)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text(f"“{annex.name}” is added.")).to_be_visible()
    expect(page.get_by_text("Your draft is saved.")).to_be_visible()
    expect(page.get_by_label("Smart-city office")).to_have_value(office_name)
    expect(page.locator("#documents").get_by_role("link", name=annex.name)).to_be_visible()
    visit(page, "annex-uploaded-answers-kept")
    page.get_by_role("button", name="Resubmit application").click()
    expect(page.get_by_text("Your application is submitted.")).to_be_visible()
    expect(page.locator(".state").first).to_have_text("Resubmitted")
    visit(page, "resubmitted")

    # The secretariat approves.
    office.reload()
    expect(office.get_by_text("Mayor's Office of Kanazawa City")).to_be_visible()
    office.get_by_role("button", name="Approve").click()
    approved = office.get_by_text(re.compile(rf"Approved: {CITY} is member GS-\d{{4}}-\d{{4}}\."))
    expect(approved).to_be_visible()
    year = datetime.now(timezone.utc).year
    number = re.search(r"GS-\d{4}-\d{4}", approved.inner_text()).group(0)
    assert number.startswith(f"GS-{year}-")
    visit(office, "secretariat-approved")

    # The new member signs in again and lands on its organization, with the number.
    logout(page)
    login(page, APPLICANT["email"], APPLICANT["password"])
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITY)
    expect(page.get_by_role("navigation").get_by_role("link", name="My organization")).to_be_visible()
    expect(page.locator(".figure").filter(has_text="Membership number")).to_contain_text(number)
    visit(page, "my-organization")

    assert live_server.latest_email(APPLICANT["email"], subject="Welcome to GO SMART")


def test_a_city_that_is_already_a_member_is_warned_once_and_the_warning_follows_the_name(page):
    page.goto("/apply/city")
    page.get_by_label("Official name in English").fill("Taipei City")
    page.get_by_label("Country").select_option("TW")
    warning = "Note: Taipei City is already a member of GO SMART."  # listed publicly; no number
    expect(page.locator("#country-feedback .field-warning")).to_have_text(warning)

    # Saved without the account: the form comes back (422) with the warning under the name, once.
    with expect_http_error(page, 422, "/apply/city"):
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator("#applicant_name-feedback .field-error")).to_be_visible()
    expect(page.locator("#name-feedback")).to_have_count(1)
    expect(page.locator("#name-feedback .field-warning")).to_have_text(warning)
    expect(page.get_by_label("Your name")).to_have_attribute("aria-invalid", "true")
    visit(page, "form-with-errors-and-warning")

    # Another name: the warning under it goes.
    name = page.get_by_label("Official name in English")
    name.fill("")
    name.press_sequentially("Taipei County", delay=10)
    expect(page.locator("#name-feedback .field-warning")).to_have_count(0)
    assert_clean(page)


def plain_text(message):
    return message.get_body(preferencelist=("plain",)).get_content()
