"""No public answer tells who has an account, which member hides from the public directory, or
which application is open: not by its words, not by its work (the same password hashing for an
unknown email), and the public checks are rate-limited."""
import re

import pytest
from sqlalchemy import func, select

from gosmart.auth import services as accounts
from gosmart.auth.models import User
from gosmart.extensions import db
from gosmart.members import services as members
from gosmart.members.models import Application, MemberStatus

from ...conftest import PASSWORD

HTMX_NAME = {"HX-Request": "true", "HX-Trigger-Name": "name"}


# --- (a) Sign-in: an unknown email costs the same hash work --------------------------------------

def test_an_unknown_email_is_checked_with_the_same_hash_method_as_a_real_account(app, world, monkeypatch):
    """Production hashes with scrypt; an unknown email used to be checked against a fast PBKDF2
    hash (22 ms against 212 ms: one request told whether the address had an account)."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    secretariat = world.users["secretariat"]
    secretariat.password_hash = accounts.hash_password(PASSWORD)
    invited = world.extra_door_staff
    invited.password_hash = None  # invited, no password set yet
    db.session.commit()
    methods = []
    check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda pwhash, password: methods.append(pwhash.split("$")[0]) or check(pwhash, password))
    client = world.client("visitor")
    for email in (secretariat.email, "nobody@example.org", invited.email):
        response = client.post("/login", data={"email": email, "password": "not the right password"})
        assert response.status_code == 200 and "Email or password is not right." in response.get_data(as_text=True)
    assert len(methods) == 3 and methods[0].startswith("scrypt:")
    assert methods[1] == methods[0] and methods[2] == methods[0]


# --- (b) The application form's inline validation ------------------------------------------------

def validate(client, name, country, headers=HTMX_NAME):
    return client.post("/apply/city/validate", data={"name": name, "country": country}, headers=headers)


@pytest.mark.parametrize("key", ["visitor", "applicant"])
def test_inline_validation_names_only_members_the_public_directory_shows(world, key):
    client = world.client(key)
    listed = validate(client, world.org_b.name, world.org_b.country).get_data(as_text=True)
    assert f"{world.org_b.name} is already a member of GO SMART." in listed
    assert world.org_b.membership_number not in listed
    for organization in (world.org_unlisted, world.org_suspended):  # not listed publicly; suspended
        answer = validate(client, organization.name, organization.country).get_data(as_text=True)
        assert "already a member" not in answer and organization.membership_number not in answer
        assert answer == validate(client, "No Such City", organization.country).get_data(as_text=True)


@pytest.mark.parametrize("key", ["visitor", "applicant"])
def test_inline_validation_never_tells_of_an_open_application(world, key):
    other = world.application_other  # submitted by another applicant: confidential
    client = world.client(key)
    for headers in (HTMX_NAME, {}):  # the fragment, and the full page without htmx
        answer = validate(client, other.name, other.country, headers).get_data(as_text=True)
        assert "already open" not in answer and "field-warning" not in answer


def test_the_form_page_after_a_refused_save_names_no_hidden_member_either(world):
    unlisted = world.org_unlisted
    response = world.client("visitor").post("/apply/city", data={
        "name": unlisted.name, "country": unlisted.country, "applicant_name": "Eve",
        "applicant_email": "not-an-email", "password": PASSWORD})
    assert response.status_code == 422 and "already a member" not in response.get_data(as_text=True)


def test_the_secretariat_still_sees_every_same_named_member_and_open_application(world):
    hidden = world.org_unlisted
    members_found, applications = members.similar_members_or_applications(
        hidden.name, hidden.country, viewer=world.users["secretariat"])
    assert members_found == [hidden]
    other = world.application_other
    _found, applications = members.similar_members_or_applications(other.name, other.country,
                                                                   viewer=world.users["secretariat"])
    assert applications == [other]
    assert members.similar_members_or_applications(other.name, other.country, viewer=None) == ([], [])


def test_inline_validation_is_rate_limited(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_CHECK_RATE_LIMIT", "3 per minute")
    client = world.client("visitor")
    answers = [validate(client, "Somewhere", "TW").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


@pytest.mark.parametrize("path", ["auth.reset_password", "auth.confirm_email", "checkin.attendance_certificate"])
def test_every_public_emailed_link_is_rate_limited(app, world, monkeypatch, path, fast_pdfs):
    monkeypatch.setitem(app.config, "PUBLIC_CHECK_RATE_LIMIT", "2 per minute")
    url = app.url_map.bind("localhost").build(path, {"token": world.tokens[path]})
    client = world.client("visitor")
    answers = [client.get(url).status_code for _ in range(3)]
    assert answers[:2] == [200, 200] and answers[2] == 429
    assert client.get(url.rsplit("/", 1)[0] + "/guessed-token").status_code == 429


# --- (c) Applying as a visitor with an address that has an account -------------------------------

def apply(client, email):
    return client.post("/apply/city", data={"name": "Kaohsiung City", "country": "TW", "applicant_name": "Lee",
                                            "applicant_email": email, "password": PASSWORD})


def answer_of(response, client):
    """What a visitor sees of an answer: status, where it leads, the page there (address aside)."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    page = re.sub(r'name="csrf_token"[^>]*>|"X-CSRFToken": "[^"]*"|data-request-id="[^"]*"', "", page)
    return response.status_code, response.headers["Location"], sorted(response.headers.keys()), page


def test_applying_with_an_address_that_has_an_account_answers_as_for_a_new_one(world, outbox):
    taken, new = world.users["rep_b"].email, "new.applicant@example.org"
    applications = db.session.scalar(select(func.count(Application.id)))
    first, second = world.client("visitor"), world.client("visitor")
    with_account = answer_of(apply(first, taken), first)
    without = answer_of(apply(second, new), second)
    assert with_account[:3] == without[:3] and with_account[1] == "/login"
    assert with_account[3].replace(taken, new) == without[3]
    assert "We have sent an email to" in without[3] and "already exists" not in with_account[3]
    # Nothing was made or changed for the address that has an account; its owner is told.
    assert db.session.scalar(select(func.count(Application.id))) == applications + 1
    told = [m for m in outbox if m.recipients == [taken]]
    assert len(told) == 1 and "already has a GO SMART account" in told[0].body
    assert "sign in first" in told[0].body and "/password/forgot" in told[0].body


def test_the_owner_is_told_at_most_as_often_as_the_email_limits_allow(app, world, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "EMAIL_RECIPIENT_LIMIT", "2 per hour")
    taken = world.users["rep_b"].email
    answers = {apply(world.client("visitor"), taken).headers["Location"] for _ in range(4)}
    assert answers == {"/login"}  # the same answer every time
    assert len([m for m in outbox if m.recipients == [taken]]) == 2


def test_two_applications_with_one_new_address_at_once_make_one_account(world, outbox, monkeypatch):
    """The second finds no account when it looks, but the first has made it by its INSERT: it is
    answered like any address that has an account (the unique constraint decides)."""
    data = {"name": "Tainan", "country": "TW", "answers": {}}
    account = {"name": "Lee", "email": "race@example.org", "password": PASSWORD}
    first = members.start_application("city", data, account=account)
    monkeypatch.setattr(accounts, "find_user", lambda email, real=accounts.find_user: None)
    second = members.start_application("city", data, account=account)
    assert first is not None and second is None
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "race@example.org")) == 1


# --- The password reset: the same answer, and the same work in the request ------------------------

def test_a_password_reset_does_the_same_work_in_the_request_for_any_address(world, outbox, monkeypatch):
    """The lookup and the email are the task queue's: the request only queues them (an email sent
    from the request took time that an unknown address did not)."""
    queued = []
    monkeypatch.setattr(accounts, "send_password_reset", lambda address, requested_from=None: queued.append(address))
    client = world.client("visitor")
    answers = [client.post("/password/forgot", data={"email": email})
               for email in (world.users["rep_a"].email.upper(), "nobody@example.org")]
    assert [a.status_code for a in answers] == [303, 303] and answers[0].headers["Location"] == \
        answers[1].headers["Location"]
    assert queued == [world.users["rep_a"].email, "nobody@example.org"] and outbox == []
    monkeypatch.undo()
    accounts.send_password_reset(world.users["rep_a"].email, "203.0.113.7")  # what the worker does
    accounts.send_password_reset("nobody@example.org")
    assert [m.recipients for m in outbox] == [[world.users["rep_a"].email]]


def test_a_member_that_left_is_not_named_to_the_public(world):
    world.org_b.status = MemberStatus.WITHDRAWN
    db.session.commit()
    answer = validate(world.client("visitor"), world.org_b.name, world.org_b.country).get_data(as_text=True)
    assert "already a member" not in answer
