"""Suspension, reinstatement, withdrawal; honorary members."""
import re

import pytest
from sqlalchemy import select

from gosmart.audit import AuditEntry
from gosmart.auth.models import Role, User
from gosmart.extensions import db
from gosmart.members import services
from gosmart.members.models import HonoraryMember, MemberStatus, Organization


@pytest.fixture
def setup(users):
    taipei = users[Role.REPRESENTATIVE].organization
    return taipei, users[Role.SECRETARIAT], users[Role.REPRESENTATIVE]


def test_suspend_needs_a_reason_and_hides_the_member_from_the_directory(setup, make_client, outbox):
    taipei, secretariat, representative = setup
    staff = make_client()
    staff.login(secretariat.email)
    url = f"/members/{taipei.id}"
    staff.post_form(url + "/suspend", {"reason": ""}, page=url)
    assert db.session.get(Organization, taipei.id).status == MemberStatus.ACTIVE
    assert staff.post_form(url + "/suspend", {"reason": "Dues unpaid"}, page=url).status_code == 303
    organization = db.session.get(Organization, taipei.id)
    assert organization.status == MemberStatus.SUSPENDED and organization.status_reason == "Dues unpaid"
    assert outbox[-1].recipients == [representative.email] and "Dues unpaid" in outbox[-1].body
    assert "Taipei City is now suspended." in staff.get(url).get_data(as_text=True)  # the flash message
    assert "<td>Taipei City" not in staff.get("/directory/").get_data(as_text=True)
    # The representative can still sign in and see the organization, and cannot register delegates.
    member = make_client()
    member.login(representative.email)
    page = member.get("/my-organization").get_data(as_text=True)
    assert "Taipei City" in page and "Suspended" in page
    assert not organization.can_register_delegates()


def test_reinstate_and_withdraw(setup):
    taipei, secretariat, _ = setup
    services.change_member_status(taipei, "suspend", secretariat, "Dues unpaid")
    services.change_member_status(taipei, "reinstate", secretariat)
    assert taipei.status == MemberStatus.ACTIVE and taipei.status_reason is None
    services.change_member_status(taipei, "withdraw", secretariat, "Left the alliance")
    assert taipei.status == MemberStatus.WITHDRAWN and taipei.withdrawn_on is not None
    with pytest.raises(services.MembershipError):
        services.change_member_status(taipei, "suspend", secretariat, "again")
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "Organization").order_by(AuditEntry.id))]
    assert actions == ["organization.suspend", "organization.reinstate", "organization.withdraw"]


def test_refused_lifecycle_change_writes_nothing(setup):
    taipei, secretariat, _ = setup
    with pytest.raises(services.MembershipError):
        services.change_member_status(taipei, "reinstate", secretariat)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "Organization")) is None


def test_member_admin_is_for_the_secretariat_only(setup, make_client):
    taipei, _, representative = setup
    member = make_client()
    member.login(representative.email)
    assert member.get(f"/members/{taipei.id}").status_code == 403
    assert member.post_form(f"/members/{taipei.id}/suspend", {"reason": "x"}).status_code == 403
    assert db.session.get(Organization, taipei.id).status == MemberStatus.ACTIVE


def test_member_list_search_as_fragment(setup, make_client, organization):
    _, secretariat, _ = setup
    organization(name="Lyon", country="FR", number="GS-2019-0009")
    staff = make_client()
    staff.login(secretariat.email)
    fragment = staff.get("/members/?q=lyo", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Lyon" in fragment and "Taipei City" not in fragment and "<html" not in fragment
    assert "臺北" not in staff.get("/members/?q=GS-2019-0009").get_data(as_text=True)


def test_granting_honorary_membership_invites_by_email(users, make_client, outbox):
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    response = staff.post_form("/honorary/new", {
        "name": "Dr. Ada Chen", "email": "ada@example.org", "title": "IoT consultant",
        "affiliation": "formerly IDC", "citation": "For a decade of work on smart-city IoT."}, page="/honorary/new")
    assert response.status_code == 303
    honorary = db.session.scalar(select(HonoraryMember).where(HonoraryMember.user.has(email="ada@example.org")))
    assert honorary.user.role == Role.HONORARY and honorary.user.password_hash is None
    message = outbox[-1]
    assert message.recipients == ["ada@example.org"] and "For a decade" in message.body
    link = re.search(r"http://gosmart.test(/password/reset/\S+)", message.body).group(1)
    guest = make_client()
    assert guest.post_form(link, {"new_password": "honorary passphrase ok", "confirm": "honorary passphrase ok"},
                           page=link).status_code == 303
    assert guest.login("ada@example.org", "honorary passphrase ok").headers["Location"] == "/directory/"
    assert "Dr. Ada Chen" in staff.get("/honorary/").get_data(as_text=True)


def test_honorary_grant_refuses_an_existing_email_and_missing_citation(users, client):
    client.login(users[Role.SECRETARIAT].email)
    taken = client.post_form("/honorary/new", {"name": "X", "email": "REP@example.org", "citation": "c"},
                             page="/honorary/new")
    missing = client.post_form("/honorary/new", {"name": "X", "email": "x@example.org", "citation": ""},
                               page="/honorary/new")
    assert taken.status_code == missing.status_code == 422
    assert db.session.scalar(select(HonoraryMember.user_id)) == users[Role.HONORARY].id  # the fixture's only
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None
