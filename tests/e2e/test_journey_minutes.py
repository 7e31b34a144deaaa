"""The minutes journey of issue 8, in the browser: the secretariat drafts minutes for a new
Strategy Committee meeting (saved as it types); a second secretariat user edits the same
minutes at the same time and the first is told of the conflict without losing text; the
minutes are approved and published to members; Taipei City's representative reads them
and downloads the PDF."""
import io
import re

import pypdf
from playwright.sync_api import expect

from .conftest import assert_clean, check_accessibility, expect_http_error, link_in, login, screenshot

SECRETARIAT = "secretariat@demo.gosmart.org"
SECOND = {"name": "Kuan-Yu Tsai (secretariat)", "email": "kuan-yu.tsai@demo.gosmart.org",
          "password": "second secretary of the minutes"}
TAIPEI = "taipei@demo.gosmart.org"


def visit(page, name):
    check_accessibility(page, name)
    assert_clean(page)
    screenshot(page, name)


def discussion(page, n=0):
    return page.locator(f"#items-{n}-discussion")


def test_two_secretaries_edit_the_same_minutes_which_are_approved_published_and_read(new_page, live_server):
    first = new_page(name="secretariat")
    login(first, SECRETARIAT)

    # A second secretariat account, invited by email.
    first.goto("/accounts/new")
    first.get_by_label("Name").fill(SECOND["name"])
    first.get_by_label("Email").fill(SECOND["email"])
    first.get_by_label("Role").select_option(label="Secretariat")
    first.get_by_role("button", name="Create account").click()
    second = new_page(name="second secretary")
    second.goto(link_in(live_server.latest_email(SECOND["email"]), "/password/reset/"))
    second.get_by_label("New password", exact=True).fill(SECOND["password"])
    second.get_by_label("Repeat the new password").fill(SECOND["password"])
    second.get_by_role("button", name="Set password").click()
    expect(second.get_by_text("Your password is set. Please sign in.")).to_be_visible()  # before signing in
    login(second, SECOND["email"], SECOND["password"])

    # The first secretary adds a Strategy Committee meeting and starts its minutes.
    first.get_by_role("link", name="Committees").click()
    visit(first, "committees")
    first.get_by_role("link", name="Strategy Committee").click()
    visit(first, "strategy-committee")
    first.get_by_label("Date of the meeting").fill("2019-11-20")
    first.get_by_label("Place").fill("Taipei City Hall")
    first.get_by_role("button", name="Add the meeting and write its minutes").click()
    expect(first).to_have_url(re.compile(r"/minutes/\d+/edit$"))
    edit_url = first.url
    expect(first.locator("#based_on")).to_have_value("1")
    first.locator("#items-0-title").fill("Work programme 2020")
    discussion(first).fill("The chair presented the draft work programme.")
    # Saved as the secretary types: the status line says so, and the form moves to revision 2.
    expect(first.locator("#autosave_status")).to_contain_text("Draft saved automatically", timeout=10_000)
    expect(first.locator("#based_on")).to_have_value("2")
    visit(first, "editing-autosaved")

    # The second secretary opens the same minutes, adds a sentence and saves, without a page load.
    second.goto(edit_url)
    expect(discussion(second)).to_have_value("The chair presented the draft work programme.")
    second.evaluate("window.__samePage = true")
    discussion(second).fill("The chair presented the draft work programme. Brisbane asked for a water track.")
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_text("Saved as revision 3.")).to_be_visible()
    assert second.evaluate("window.__samePage") is True
    expect(second.locator("#based_on")).to_have_value("3")

    # The first secretary, still on revision 2, types on: the autosave refuses and says why.
    mine = "The chair presented the draft work programme. Members approved it with one change."
    with expect_http_error(first, 409, "/autosave"):
        discussion(first).fill(mine)
        expect(first.locator("#autosave_status")).to_contain_text("saved revision 3 meanwhile", timeout=10_000)
    # Saving shows what the other changed, and keeps what this secretary typed.
    with expect_http_error(first, 409, "/edit"):
        first.get_by_role("button", name="Save").click()
        expect(first.get_by_text("Not saved: these minutes changed while you were editing")).to_be_visible()
    expect(first.locator(".diff-insert", has_text="Brisbane asked for a water track.")).to_be_visible()
    expect(discussion(first)).to_have_value(mine)
    expect(first.locator("#based_on")).to_have_value("3")
    visit(first, "conflict")
    discussion(first).fill("The chair presented the draft work programme. Brisbane asked for a water track. "
                           "Members approved it with that change.")
    first.locator("#resolutions-0-text").fill("The Strategy Committee adopts the work programme 2020.")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_text(re.compile(r"Saved as revision \d+\."))).to_be_visible()

    # Approved (the resolution is numbered) and published to members.
    first.get_by_role("link", name="← The minutes").click()
    visit(first, "minutes-draft")
    first.get_by_role("button", name="Approve").click()
    expect(first.get_by_text("The minutes are approved and locked. Resolutions SC-2019-03.")).to_be_visible()
    first.get_by_label("Publish to").select_option(label="Members")
    first.get_by_role("button", name="Publish").click()
    expect(first.get_by_text("The minutes are published to members.")).to_be_visible()
    visit(first, "minutes-published")
    first.get_by_role("button", name="History").click()
    first.get_by_role("link", name="Revision 3").click()
    expect(first.locator("#revision_diff .diff-insert", has_text="water track")).to_be_visible()
    visit(first, "history-diff")

    # Taipei City's representative reads them and downloads the PDF.
    taipei = new_page(name="taipei")
    login(taipei, TAIPEI)
    taipei.get_by_role("link", name="Minutes", exact=True).click()
    visit(taipei, "minutes-list-member")
    taipei.get_by_role("link", name=re.compile("Strategy Committee, 2019-11-20")).click()
    expect(taipei.get_by_text("The Strategy Committee adopts the work programme 2020.")).to_be_visible()
    expect(taipei.get_by_text("SC-2019-03")).to_be_visible()
    expect(taipei.get_by_role("button", name="Approve")).to_have_count(0)
    visit(taipei, "minutes-member")
    with taipei.expect_download() as download:
        taipei.get_by_role("button", name="Download PDF").click()
    pdf = pypdf.PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "SC-2019-03" in text and "water track" in text and "DRAFT" not in text
    assert download.value.suggested_filename == "minutes-SC-2019-11-20.pdf"
