"""Nothing a user typed is dropped silently, on any page: a second form on a page replaces its
own section (htmx) instead of the whole page, an action on a row of a searched list returns to
the list as it was searched, and every form that takes typed input asks before the page is left
with it unsaved (static/js/app.js; the browser journeys show the dialog).

The application form and the organization's profile (a file chosen with the answers) are in
test_applications.py and test_directory.py."""
import re
from datetime import date

import pytest

from gosmart.assemblies import services as assemblies
from gosmart.auth.models import Role
from gosmart.extensions import db
from gosmart.htmx import same_page
from gosmart.members import services as members
from gosmart.minutes import services as minutes_services

from .test_assemblies import make_assembly, person

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def text(response):
    return response.get_data(as_text=True)


def forms(page):
    return re.findall(r"<form\b[^>]*>", page)


def form_to(page, action):
    found = [f for f in forms(page) if f'action="{action}"' in f]
    assert len(found) == 1, (action, forms(page))
    return found[0]


@pytest.fixture
def staff(users, make_client):
    client = make_client()
    client.login(users[Role.SECRETARIAT].email)
    return client


@pytest.fixture
def rep_client(users, make_client):
    client = make_client()
    client.login(users[Role.REPRESENTATIVE].email)
    return client


# --- A second form replaces its own section ------------------------------------------------

def test_every_page_has_the_messages_element_a_section_answer_fills(client):
    page = text(client.get("/login"))
    assert '<div id="flashes" class="flashes">' in page


def test_committee_members_are_added_and_removed_without_touching_the_meeting_form(users, staff):
    secretariat = users[Role.SECRETARIAT]
    committee = minutes_services.create_committee({"name": "Strategy Committee", "code": "SC"}, secretariat)
    member = minutes_services.add_member(committee, secretariat, person_name="Dr. Ada Lin")
    url = f"/committees/{committee.id}"
    page = text(staff.get(url))
    for action in (f"{url}/members", f"{url}/members/{member.id}/remove"):
        form = form_to(page, action)
        assert 'hx-target="#members"' in form and 'hx-select="#members"' in form, form
        assert 'hx-select-oob="#flashes"' in form and 'hx-push-url="false"' in form
    # The meeting form is outside the section those replace, and asks before its text is left.
    members_section = page[page.index('id="members"'):page.index('id="meetings"')]
    assert f'action="{url}/meetings"' not in members_section
    assert "data-unsaved-warning" in form_to(page, f"{url}/meetings")
    # The answer to a boosted add (followed redirect) has the section and the message.
    added = staff.post_form(f"{url}/members", {"person_name": "Prof. Wu"}, page=url, headers=BOOSTED)
    assert added.status_code == 303
    answer = text(staff.get(added.headers["Location"], headers=BOOSTED))
    assert "Prof. Wu joins the committee." in answer and 'id="members"' in answer
    # A refused add answers with the section and its error (422), for htmx to swap in.
    refused = staff.post_form(f"{url}/members", {"person_name": ""}, page=url, headers=BOOSTED)
    assert refused.status_code == 422 and 'id="members"' in text(refused)


def test_cancelling_a_delegate_replaces_the_delegation_and_keeps_the_registration_form(users, rep_client):
    rep = users[Role.REPRESENTATIVE]
    assembly = make_assembly(quota=3)
    registration = assemblies.register(assembly, rep, **person(1))
    url = f"/assemblies/{assembly.id}"
    page = text(rep_client.get(url))
    cancel = form_to(page, f"{url}/registrations/{registration.id}/cancel")
    assert 'hx-target="#delegation"' in cancel and 'hx-select="#delegation"' in cancel
    delegation = page[page.index('id="delegation"'):page.index("Register a delegate")]
    assert 'name="email"' not in delegation  # the form being typed in is outside what is replaced
    register = form_to(page, url)
    assert "data-unsaved-warning" in register
    # With the quota used up there is no form to keep: the whole section comes back, with the form.
    for i in (2, 3):
        assemblies.register(assembly, rep, **person(i))
    page = text(rep_client.get(url))
    assert 'hx-target="#registrations"' in form_to(page, f"{url}/registrations/{registration.id}/cancel")


# --- Lists keep their search ---------------------------------------------------------------

def test_cancelling_from_the_filtered_registration_list_returns_to_it_filtered(users, staff):
    assembly = make_assembly()
    registration = assemblies.register(assembly, users[Role.REPRESENTATIVE], **person(1))
    listing = f"/assemblies/{assembly.id}/registrations"
    page = text(staff.get(listing, query_string={"organization": "taipei", "role": "delegate"}))
    assert f'name="back" value="{listing}?organization=taipei&amp;role=delegate"' in page
    response = staff.post_form(f"{listing.rsplit('/', 1)[0]}/registrations/{registration.id}/cancel",
                               {"back": f"{listing}?organization=taipei&role=delegate"}, page=listing)
    assert response.headers["Location"] == f"{listing}?organization=taipei&role=delegate"


@pytest.mark.parametrize("back", ["https://evil.example/assemblies/1/registrations", "//evil.example/x",
                                  "/secretariat/?x=1", "list", "/assemblies/1/registrations\n/x"])
def test_a_return_address_elsewhere_is_ignored(users, staff, back):
    assembly = make_assembly()
    registration = assemblies.register(assembly, users[Role.REPRESENTATIVE], **person(1))
    response = staff.post_form(f"/assemblies/{assembly.id}/registrations/{registration.id}/cancel", {"back": back},
                               page=f"/assemblies/{assembly.id}")
    assert response.headers["Location"] == f"/assemblies/{assembly.id}#registrations"


def test_deactivating_from_a_searched_account_list_returns_to_the_search(users, staff):
    door = users[Role.DOOR_STAFF]
    page = text(staff.get("/accounts/", query_string={"q": "door"}))
    assert 'name="back" value="/accounts/?q=door"' in page
    response = staff.post_form(f"/accounts/{door.id}/active", {"active": "0", "back": "/accounts/?q=door"},
                               page="/accounts/")
    assert response.headers["Location"] == "/accounts/?q=door"
    again = staff.post_form(f"/accounts/{door.id}/active", {"active": "1", "back": "//evil.example/accounts/"},
                            page="/accounts/")
    assert again.headers["Location"] == "/accounts/"


def test_same_page_accepts_only_the_given_path():
    assert same_page("/a/b?q=1&r=2", "/a/b") == "/a/b?q=1&r=2"
    for target in (None, "", "/a/bc", "http://x/a/b", "//x/a/b", "/a/b\r\nSet-Cookie: x", "\\a\\b", "/a/b?\x7f"):
        assert same_page(target, "/a/b") is None, target


# --- Every form that takes typed input asks before it is left unsaved ------------------------

def test_forms_that_take_typed_input_ask_before_the_page_is_left(users, staff, rep_client, make_client):
    secretariat, rep = users[Role.SECRETARIAT], users[Role.REPRESENTATIVE]
    applicant = users[Role.APPLICANT]
    application = members.start_application("city", {"name": "Kaohsiung City", "country": "TW"}, applicant=applicant)
    committee = minutes_services.create_committee({"name": "Strategy Committee", "code": "SC"}, secretariat)
    minutes = minutes_services.create_minutes(committee, date(2019, 3, 27), "Taipei City Hall", secretariat)
    assembly = make_assembly()
    registration = assemblies.register(assembly, rep, **person(1))
    applicant_client = make_client()
    applicant_client.login(applicant.email)
    pages = [
        (applicant_client, f"/applications/{application.id}/edit", 1),
        (rep_client, "/my-organization", 1),
        (rep_client, f"/assemblies/{assembly.id}", 1),
        (rep_client, f"/assemblies/{assembly.id}/registrations/{registration.id}/edit", 1),
        (staff, "/mous/new", 1),
        (staff, f"/minutes/{minutes.id}/edit", 1),
        (staff, "/committees/new", 1),
        (staff, f"/committees/{committee.id}", 2),
        (staff, "/assemblies/new", 1),
        (staff, f"/assemblies/{assembly.id}", 2),  # a guest being added, the cancellation's reason
        (staff, "/honorary/new", 1),
        (staff, "/accounts/new", 1),
    ]
    for client, url, expected in pages:
        page = text(client.get(url))
        marked = [f for f in forms(page) if "data-unsaved-warning" in f]
        assert len(marked) == expected, (url, forms(page))
        assert all('data-unsaved-warning=""' in f or f.endswith("data-unsaved-warning>") for f in marked), url
    # The autosave tells the script that what it sent is saved.
    assert "data-saves-form" in text(staff.get(f"/minutes/{minutes.id}/edit"))


def test_the_script_asks_before_unsaved_input_is_left(app):
    script = (app.static_folder + "/js/app.js")
    with open(script, encoding="utf-8") as file:
        source = file.read()
    assert "beforeunload" in source and "htmx:beforeRequest" in source and "data-unsaved-warning" in source
    assert app.jinja_env.globals["script_messages"]()["unsaved"]
