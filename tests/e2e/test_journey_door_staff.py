"""The door staff's journey, on a phone (390x844): door@ opens the check-in screen of the
upcoming General Assembly, checks a guest in by the code typed off the e-ticket, is told
"already checked in" when the same ticket comes again, checks a second guest in by name,
and watches the arrivals count move; then the network drops, a scan is kept as queued in
the phone, and it is sent (and the guest checked in) when the connection is back."""
import io
import re

import pypdf
import pytest
from playwright.sync_api import expect

from .conftest import (
    PHONE, assert_clean, assert_fits_width, check_accessibility, expect_request_failure, login, screenshot,
)

SECRETARIAT = "secretariat@demo.gosmart.org"
DOOR = "door@demo.gosmart.org"
UPCOMING = re.compile(r"^General Assembly \d{4}$")
GUESTS = [  # registered by the secretariat for this journey; their codes come from the e-ticket emails
    {"name": "Haruki Morimoto", "email": "h.morimoto@door-journey.example", "role": "Speaker"},
    {"name": "Ingrid Solberg", "email": "ingrid.solberg@door-journey.example", "role": "Guest"},
    {"name": "Tomás Echeverría", "email": "tomas.echeverria@door-journey.example", "role": "Guest"},
]


def visit(page, name):
    """Every page of the journey: accessible, clean, no sideways scrolling, and photographed."""
    check_accessibility(page, name)
    assert_clean(page)
    assert_fits_width(page)
    screenshot(page, name)


def ticket_code(live_server, guest):
    """The code printed on the e-ticket attached to the confirmation email."""
    message = live_server.latest_email(guest["email"], subject="Your e-ticket")
    attachment = next(part for part in message.iter_attachments() if part.get_content_type() == "application/pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages)
    assert guest["name"] in text
    return re.search(r"Code:\s*(\S+)", text).group(1)


@pytest.fixture
def guests(new_page, live_server):
    """Three guests of the secretariat on the upcoming assembly, each with the code of their e-ticket."""
    office = new_page(name="secretariat")
    login(office, SECRETARIAT)
    office.goto("/assemblies/")
    office.get_by_role("link", name=UPCOMING).first.click()
    for guest in GUESTS:
        office.get_by_label("Name", exact=True).fill(guest["name"])
        office.get_by_label("Email").fill(guest["email"])
        office.get_by_label("Role").select_option(label=guest["role"])
        office.get_by_role("button", name="Register").click()
        expect(office.get_by_text(f"{guest['name']} is registered")).to_be_visible()
    assert_clean(office)
    return [dict(guest, code=ticket_code(live_server, guest)) for guest in GUESTS]


def arrived(page):
    return int(page.locator("#live_count strong").inner_text())


def test_the_door_checks_in_by_code_and_by_name_and_queues_a_scan_while_the_network_is_down(new_page, guests):
    first, second, third = guests
    phone = new_page(viewport=PHONE, name="door phone")
    login(phone, DOOR)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check-in")
    visit(phone, "door-assemblies")
    upcoming = phone.get_by_role("article").filter(has=phone.get_by_text(UPCOMING))
    upcoming.get_by_role("button", name="Open the check-in screen").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(UPCOMING)
    expect(phone.locator("#live_count")).to_contain_text("arrived")
    phone.wait_for_load_state("networkidle")
    before = arrived(phone)
    visit(phone, "checkin-screen")

    # The code typed off the e-ticket: checked in, and the count moves by one.
    answer = phone.locator("#answer")
    phone.get_by_label("Ticket code").fill(first["code"])
    phone.get_by_role("button", name="Check in", exact=True).click()
    expect(answer.locator(".verdict-checked_in .verdict-word")).to_have_text("Checked in")
    expect(answer).to_contain_text(first["name"])
    expect(phone.locator("#live_count strong")).to_have_text(str(before + 1))
    expect(phone.get_by_label("Ticket code")).to_be_focused()
    visit(phone, "checked-in-by-code")

    # The same ticket again: already checked in, with when; the count stays.
    phone.get_by_label("Ticket code").fill(first["code"])
    phone.get_by_role("button", name="Check in", exact=True).click()
    expect(answer.locator(".verdict-already_checked_in .verdict-word")).to_have_text("Already checked in")
    expect(answer).to_contain_text(first["name"])
    expect(answer.locator(".verdict-detail")).to_contain_text("at ")
    expect(phone.locator("#live_count strong")).to_have_text(str(before + 1))
    visit(phone, "already-checked-in")

    # By name: the search lists the guest, and the button checks them in.
    phone.get_by_label("Name or organization").fill(second["name"].split()[1])
    pick = phone.get_by_role("button", name=f"Check in {second['name']}")
    expect(pick).to_be_visible()
    visit(phone, "search-by-name")
    pick.click()
    expect(answer.locator(".verdict-checked_in .verdict-word")).to_have_text("Checked in")
    expect(answer).to_contain_text(second["name"])
    expect(phone.locator("#live_count strong")).to_have_text(str(before + 2))
    visit(phone, "checked-in-by-name")

    # The network drops: the scan waits in the phone, queued, and says so; the page keeps retrying.
    queue = phone.locator("#queue-status")
    with expect_request_failure(phone, "/scan"):
        phone.context.route("**/checkin/*/scan", lambda route: route.abort("internetdisconnected"))
        phone.get_by_label("Ticket code").fill(third["code"])
        phone.get_by_role("button", name="Check in", exact=True).click()
        expect(answer.locator(".verdict-queued .verdict-word")).to_have_text("Queued — no connection")
        expect(queue).to_be_visible()
        expect(queue).to_have_text("1 scan is queued: no connection. It will be sent when the connection returns.")
        assert phone.evaluate("JSON.parse(localStorage.getItem('gosmart-checkin-queue-' + "
                              "document.getElementById('checkin').dataset.assembly)).length") == 1
        expect(phone.locator("#live_count strong")).to_have_text(str(before + 2))
        check_accessibility(phone, "queued-while-offline")
        screenshot(phone, "queued-while-offline")

        # The connection is back: the queued scan goes (within the page's 5 s retry) and the guest is in.
        phone.context.unroute("**/checkin/*/scan")
        expect(answer.locator(".verdict-checked_in .verdict-word")).to_have_text("Checked in", timeout=15_000)
    expect(answer).to_contain_text(third["name"])
    expect(answer.locator(".verdict-detail")).to_contain_text("queued scan from")
    expect(queue).to_be_hidden()
    expect(phone.locator("#live_count strong")).to_have_text(str(before + 3))
    visit(phone, "queue-sent")

    # The search agrees: the third guest shows as in.
    phone.get_by_label("Name or organization").fill(third["name"].split()[0])
    expect(phone.locator("#search_results li").filter(has_text=third["name"])).to_contain_text("in at")
    assert_clean(phone)
