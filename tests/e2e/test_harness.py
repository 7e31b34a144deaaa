"""The harness itself: the server answers, the pages are clean, errors are caught."""
from playwright.sync_api import expect

from .conftest import assert_clean, check_accessibility, expect_http_error, screenshot


def test_landing_page_is_clean_and_accessible(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("GO SMART")
    check_accessibility(page, "landing page")
    screenshot(page, "landing")
    assert_clean(page)


def test_an_unknown_address_shows_the_error_page_when_the_404_is_expected(page):
    with expect_http_error(page, 404, "/no-such-page"):
        page.goto("/no-such-page")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_accessibility(page, "404 page")
    assert_clean(page)
