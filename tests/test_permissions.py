"""Route policies: declared on every route, and enforced."""
import pytest

from gosmart.auth.models import Role
from gosmart.permissions import PUBLIC, SIGNED_IN, route_policies

R = Role
ALL_ROLES = {PUBLIC}
# The one table of who may open which route. A new route without an entry fails here.
EXPECTED = {
    "static": {PUBLIC},
    "main.index": {PUBLIC},
    "main.healthz": {PUBLIC},
    "main.readyz": {PUBLIC},
    "main.home": {SIGNED_IN},
    "i18n.set_language": {PUBLIC},
    "auth.login": {PUBLIC},
    "auth.logout": {SIGNED_IN},
    "auth.change_password": {SIGNED_IN},
    "auth.forgot_password": {PUBLIC},
    "auth.reset_password": {PUBLIC},
    "auth.accounts": {R.SECRETARIAT},
    "auth.new_account": {R.SECRETARIAT},
    "auth.set_account_active": {R.SECRETARIAT},
    "auth.confirm_email": {PUBLIC},
    "auth.resend_confirmation": {SIGNED_IN},
    "directory.my_organization": {R.REPRESENTATIVE},
    "directory.validate_profile": {R.REPRESENTATIVE},
    "directory.invite_representative": {R.REPRESENTATIVE},
    "directory.profile": {PUBLIC},
    "directory.logo": {PUBLIC},
    "directory.export": {R.SECRETARIAT},
    "members.my_applications": {R.APPLICANT},
    "members.apply_index": {PUBLIC},
    "members.apply_new": {PUBLIC},
    "members.validate_field": {PUBLIC},
    # Applications: any signed-in user, then the object rule (the applicant or the secretariat).
    "members.application_detail": {SIGNED_IN},
    "members.application_edit": {SIGNED_IN},
    "members.application_withdraw": {SIGNED_IN},
    "members.document_download": {SIGNED_IN},
    "members.application_queue": {R.SECRETARIAT},
    "members.application_comment": {R.SECRETARIAT},
    "members.application_request_changes": {R.SECRETARIAT},
    "members.application_approve": {R.SECRETARIAT},
    "members.application_reject": {R.SECRETARIAT},
    "members.member_list": {R.SECRETARIAT},
    "members.member_detail": {R.SECRETARIAT},
    "members.member_status": {R.SECRETARIAT},
    "members.honorary_list": {R.SECRETARIAT},
    "members.honorary_new": {R.SECRETARIAT},
    "members.honorary_revoke": {R.SECRETARIAT},
    "directory.index": {PUBLIC},
    # MOUs: everyone reads, the object rule (visibility) decides which; the secretariat records.
    "mou.index": {PUBLIC},
    "mou.detail": {PUBLIC},
    "mou.document": {PUBLIC},
    "mou.new": {R.SECRETARIAT},
    "mou.edit": {R.SECRETARIAT},
    "mou.sign": {R.SECRETARIAT},
    "mou.terminate": {R.SECRETARIAT},
    "assemblies.index": {R.SECRETARIAT, R.REPRESENTATIVE, R.HONORARY},
    "assemblies.detail": {R.SECRETARIAT, R.REPRESENTATIVE, R.HONORARY},
    "assemblies.new": {R.SECRETARIAT},
    "assemblies.edit": {R.SECRETARIAT},
    "assemblies.cancel": {R.SECRETARIAT},
    "assemblies.edit_registration": {R.SECRETARIAT, R.REPRESENTATIVE, R.HONORARY},
    "assemblies.cancel_registration": {R.SECRETARIAT, R.REPRESENTATIVE, R.HONORARY},
    "assemblies.reissue_ticket": {R.SECRETARIAT, R.REPRESENTATIVE, R.HONORARY},
    "assemblies.ticket": {R.SECRETARIAT, R.REPRESENTATIVE, R.HONORARY},
    "assemblies.registrations": {R.SECRETARIAT},
    "assemblies.registrations_csv": {R.SECRETARIAT},
    "assemblies.badges": {R.SECRETARIAT},
    "assemblies.badges_progress": {R.SECRETARIAT},
    "assemblies.badge_sheet": {R.SECRETARIAT},
    # Minutes: everyone reads, the object rule (state and audience) decides which; the secretariat writes.
    "minutes.minutes_index": {PUBLIC},
    "minutes.minutes_detail": {PUBLIC},
    "minutes.minutes_pdf": {PUBLIC},
    "minutes.minutes_edit": {R.SECRETARIAT},
    "minutes.minutes_autosave": {R.SECRETARIAT},
    "minutes.minutes_history": {R.SECRETARIAT},
    "minutes.minutes_revision": {R.SECRETARIAT},
    "minutes.minutes_approve": {R.SECRETARIAT},
    "minutes.minutes_publish": {R.SECRETARIAT},
    "minutes.minutes_reopen": {R.SECRETARIAT},
    "minutes.committee_list": {R.SECRETARIAT},
    "minutes.committee_new": {R.SECRETARIAT},
    "minutes.committee_detail": {R.SECRETARIAT},
    "minutes.committee_edit": {R.SECRETARIAT},
    "minutes.committee_member_add": {R.SECRETARIAT},
    "minutes.committee_member_remove": {R.SECRETARIAT},
    "minutes.meeting_new": {R.SECRETARIAT},
    "checkin.index": {R.DOOR_STAFF, R.SECRETARIAT},
    "checkin.screen": {R.DOOR_STAFF, R.SECRETARIAT},
    "checkin.scan": {R.DOOR_STAFF, R.SECRETARIAT},
    "checkin.count": {R.DOOR_STAFF, R.SECRETARIAT},
    "checkin.search": {R.DOOR_STAFF, R.SECRETARIAT},
    "checkin.undo": {R.SECRETARIAT},
    "checkin.no_shows": {R.SECRETARIAT},
    "checkin.export": {R.SECRETARIAT},
    "checkin.assign": {R.SECRETARIAT},
    "checkin.certificates": {R.SECRETARIAT},
    "checkin.certificates_progress": {R.SECRETARIAT},
    "checkin.certificates_zip": {R.SECRETARIAT},
    "checkin.attendance_certificate": {PUBLIC},
    "certificates.verify_form": {PUBLIC},
    "certificates.verify": {PUBLIC},
    "certificates.index": {R.SECRETARIAT},
    "certificates.download": {R.SECRETARIAT},
    "certificates.revoke": {R.SECRETARIAT},
    "directory.membership_certificate": {R.REPRESENTATIVE},
    "members.honorary_certificate": {R.HONORARY},
    "members.member_certificate_reissue": {R.SECRETARIAT},
    "certificates.settings": {R.SECRETARIAT},
    "secretariat.dashboard": {R.SECRETARIAT},
    "secretariat.audit": {R.SECRETARIAT},
    "secretariat.audit_csv": {R.SECRETARIAT},
    "secretariat.exports": {R.SECRETARIAT},
    "secretariat.mous_csv": {R.SECRETARIAT},
    "secretariat.emails": {R.SECRETARIAT},
    "secretariat.email_preview": {R.SECRETARIAT},
    "secretariat.email_preview_html": {R.SECRETARIAT},
}


def test_every_route_declares_a_policy_and_it_is_the_expected_one(app):
    policies = route_policies(app)
    missing = sorted(endpoint for endpoint, policy in policies.items() if policy is None)
    assert not missing, f"routes without an access policy: {missing}"
    undeclared = sorted(set(policies) - set(EXPECTED))
    assert not undeclared, f"routes missing from the EXPECTED table: {undeclared}"
    for endpoint, policy in policies.items():
        assert policy == {str(p) for p in EXPECTED[endpoint]}, endpoint


# Role-restricted GET pages, checked for every role.
RESTRICTED_PAGES = {
    "/accounts/": {R.SECRETARIAT},
    "/accounts/new": {R.SECRETARIAT},
    "/my-organization": {R.REPRESENTATIVE},
    "/my-applications": {R.APPLICANT},
    "/directory/export.csv": {R.SECRETARIAT},
    "/checkin/": {R.DOOR_STAFF, R.SECRETARIAT},
    "/mous/new": {R.SECRETARIAT},
    "/assemblies/": {R.SECRETARIAT, R.REPRESENTATIVE, R.HONORARY},
    "/assemblies/new": {R.SECRETARIAT},
    "/secretariat/": {R.SECRETARIAT},
    "/applications/": {R.SECRETARIAT},
    "/members/": {R.SECRETARIAT},
    "/honorary/": {R.SECRETARIAT},
    "/honorary/new": {R.SECRETARIAT},
    "/committees/": {R.SECRETARIAT},
    "/committees/new": {R.SECRETARIAT},
}


@pytest.mark.parametrize("path", sorted(RESTRICTED_PAGES))
def test_anonymous_is_sent_to_login_and_wrong_role_gets_403(path, users, make_client):
    response = make_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    for role, user in users.items():
        client = make_client()
        client.login(user.email)
        status = client.get(path).status_code
        expected = 200 if role in RESTRICTED_PAGES[path] else 403
        assert status == expected, (path, role, status)


def test_403_page_is_readable(users, client):
    client.login("door@example.org")
    response = client.get("/secretariat/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)
