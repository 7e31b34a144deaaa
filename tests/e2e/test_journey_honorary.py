"""The honorary member's journey: browse the member directory, search it in Chinese and in
English (the results change in place), filter French industry members, and open Taipei
City's profile, which shows exactly what Taipei City's representative chose to show members
(set just before, on "My organization", in a browser of its own) and less to a visitor."""
import re

from playwright.sync_api import expect

from .conftest import PHONE, assert_clean, assert_fits_width, check_accessibility, login, screenshot

HONORARY = "honorary@demo.gosmart.org"
TAIPEI = "taipei@demo.gosmart.org"
PHONE_NUMBER = "+886 2 2720 8889"
CONTACT_EMAIL = "contact@taipei-city.example"


def visit(page, name):
    """Every page of the journey: accessible, clean, no sideways scrolling, and photographed."""
    check_accessibility(page, name)
    assert_clean(page)
    assert_fits_width(page)
    screenshot(page, name)


def results(page):
    return page.locator("#directory_results")


def member_link(page, name):
    return results(page).get_by_role("link", name=name, exact=True)


def test_an_honorary_member_searches_the_directory_and_sees_what_privacy_allows(page, new_page):
    # Taipei City shows members its email and phone, and no longer its website.
    taipei = new_page(name="taipei")
    login(taipei, TAIPEI)
    form = taipei.locator("#profile_form")
    form.get_by_role("textbox", name="Phone").fill(PHONE_NUMBER)
    shown = form.get_by_role("group", name="Other members see")
    shown.get_by_label("Email").check()
    shown.get_by_label("Phone").check()
    shown.get_by_label("Website").uncheck()
    shown.get_by_label("Contact person").uncheck()
    visit(taipei, "taipei-privacy")
    form.get_by_role("button", name="Save profile").click()
    expect(taipei.get_by_text("Your organization's profile is saved.")).to_be_visible()
    expect(shown.get_by_label("Phone")).to_be_checked()
    expect(shown.get_by_label("Website")).not_to_be_checked()
    assert_clean(taipei)

    # The honorary member lands on the directory.
    login(page, HONORARY)
    expect(page.get_by_role("heading", level=1)).to_have_text("Member directory")
    visit(page, "directory")

    # Browsing: the next page of members comes in place, and the address keeps the place.
    page.evaluate("window.__samePage = true")
    rows = results(page).locator("tbody tr")
    first_on_page_1 = rows.first.get_by_role("link").inner_text()
    results(page).get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"after="))
    expect(rows.first.get_by_role("link")).not_to_have_text(first_on_page_1)
    expect(results(page).get_by_role("link", name="← Previous")).to_be_visible()
    visit(page, "directory-page-2")
    results(page).get_by_role("link", name="← Previous").click()
    expect(rows.first.get_by_role("link")).to_have_text(first_on_page_1)

    # A search in Chinese, then in English: the results change in place and the address keeps the query.
    search = page.get_by_role("searchbox", name="Search")
    search.press_sequentially("臺北", delay=30)
    expect(page).to_have_url(re.compile(r"q=%E8%87%BA%E5%8C%97"))
    expect(member_link(page, "Taipei City")).to_be_visible()
    expect(member_link(page, "New Taipei City")).to_have_count(0)
    expect(member_link(page, "Kaohsiung City")).to_have_count(0)
    visit(page, "search-chinese")
    search.fill("")
    search.press_sequentially("taipei", delay=30)
    expect(page).to_have_url(re.compile(r"q=taipei"))
    expect(member_link(page, "New Taipei City")).to_be_visible()
    expect(member_link(page, "Taipei City")).to_be_visible()
    expect(member_link(page, "Kaohsiung City")).to_have_count(0)
    visit(page, "search-english")

    # French industry members.
    search.fill("")
    page.get_by_role("combobox", name="Category").select_option(label="Industry")
    page.get_by_role("combobox", name="Country").select_option(label="France")
    expect(page).to_have_url(re.compile(r"category=industry"))
    expect(page).to_have_url(re.compile(r"country=FR"))
    expect(member_link(page, "Citémobile Solutions SAS")).to_be_visible()
    expect(member_link(page, "Paris")).to_have_count(0)
    expect(member_link(page, "Taipei City")).to_have_count(0)
    for row in results(page).locator("tbody tr").all():
        expect(row).to_contain_text("Industry")
        expect(row).to_contain_text("France")
    assert page.evaluate("window.__samePage") is True  # all of it without loading the page again
    visit(page, "industry-in-france")

    # Taipei City's profile: email and phone, no website, no contact person.
    page.get_by_role("combobox", name="Category").select_option("")
    page.get_by_role("combobox", name="Country").select_option("")
    search.press_sequentially("taipei", delay=30)
    member_link(page, "Taipei City").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Taipei City")
    profile = page.locator("dl.answers")
    expect(profile.get_by_role("link", name=CONTACT_EMAIL)).to_be_visible()
    expect(profile).to_contain_text(PHONE_NUMBER)
    expect(profile.get_by_text("Website")).to_have_count(0)
    expect(profile.get_by_text("Contact person")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("https://taipei-city.example")  # the website
    expect(page).to_have_url(re.compile(r"/directory/\d+$"))
    profile_url = page.url
    visit(page, "taipei-profile")

    phone = new_page(viewport=PHONE, name="honorary phone")
    login(phone, HONORARY)
    visit(phone, "directory-phone")
    phone.goto(profile_url)
    expect(phone.locator("dl.answers")).to_contain_text(PHONE_NUMBER)
    visit(phone, "taipei-profile-phone")

    # A visitor sees the name, category and country only.
    visitor = new_page(name="visitor")
    visitor.goto(profile_url)
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Taipei City")
    expect(visitor.get_by_text("Members see more about Taipei City after signing in.")).to_be_visible()
    expect(visitor.locator("main")).not_to_contain_text(PHONE_NUMBER)
    expect(visitor.locator("main")).not_to_contain_text(CONTACT_EMAIL)
    visit(visitor, "taipei-profile-visitor")
