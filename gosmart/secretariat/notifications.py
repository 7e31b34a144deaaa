"""Every email the system sends, with sample data so the secretariat can preview each one
(and a test can render each, both parts, with nothing missing)."""
from datetime import date, datetime, timedelta, timezone

from flask import render_template
from flask_babel import lazy_gettext as _l

from ..assemblies.models import Assembly, Registration
from ..auth.models import Role, User
from ..members.models import Application, HonoraryMember, Organization

EMAILS = {
    # template: (who receives it, when)
    "email_confirmation": (_l("Applicant"), _l("A visitor saves a first draft: confirm the email address.")),
    "application_account_exists": (_l("Any user"), _l("A visitor applies with the address of an existing account: "
                                                      "its owner is told, and nothing is changed.")),
    "password_reset": (_l("Any user"), _l("Someone asks to reset the password.")),
    "password_changed": (_l("Any user"), _l("The password was changed.")),
    "account_invitation": (_l("New staff"), _l("The secretariat creates a secretariat or door-staff account.")),
    "application_submitted": (_l("Applicant"), _l("The application is submitted or resubmitted.")),
    "application_withdrawn": (_l("Applicant"), _l("The applicant withdraws the application.")),
    "application_comment": (_l("Applicant"), _l("The secretariat comments to the applicant.")),
    "application_changes_requested": (_l("Applicant"), _l("The secretariat asks for changes.")),
    "application_rejected": (_l("Applicant"), _l("The application is rejected.")),
    "application_approved": (_l("New representative"), _l("The application is approved (certificate attached).")),
    "member_status_changed": (_l("Representatives"), _l("The membership is suspended, reinstated or withdrawn.")),
    "honorary_invitation": (_l("Honorary member"), _l("The secretariat grants honorary membership.")),
    "honorary_revoked": (_l("Honorary member"), _l("The secretariat revokes an honorary membership.")),
    "representative_invitation": (_l("New representative"), _l("A representative invites a colleague.")),
    "registration_confirmed": (_l("Delegate"), _l("A registration is confirmed, or its ticket reissued (e-ticket attached).")),
    "registration_waiting": (_l("Delegate"), _l("The assembly is full: the registration waits.")),
    "registration_promoted": (_l("Delegate"), _l("A place frees up for someone waiting (e-ticket attached).")),
    "registration_cancelled": (_l("Delegate"), _l("A registration is cancelled.")),
    "assembly_cancelled": (_l("Every registrant"), _l("The secretariat cancels the assembly.")),
    "attendance_certificate": (_l("Attendee"), _l("The attendance certificates of an assembly are ready.")),
}


def sample_context():
    """Unsaved objects that look like real ones: nothing is written."""
    now = datetime.now(timezone.utc)
    secretariat = User(id=1, name="Mei-Ling Chen", email="secretariat@demo.gosmart.org", role=Role.SECRETARIAT)
    user = User(id=2, name="Wen-Hsiang Lin", email="taipei@demo.gosmart.org", role=Role.REPRESENTATIVE)
    organization = Organization(id=1, name="Taipei City", name_local="臺北市", category="city", country="TW",
                                membership_number="GS-2019-0001", member_since=date(2018, 12, 28), status="suspended",
                                status_reason="Dues unpaid", withdrawn_on=date.today())
    application = Application(id=7, name="Kaohsiung City", name_local="高雄市", category="city", country="TW",
                              state="submitted", applicant=user)
    assembly = Assembly(id=3, title="General Assembly 2027", timezone="Asia/Taipei", starts_at=now + timedelta(days=90),
                        ends_at=now + timedelta(days=90, hours=8), venue="Taipei Nangang Exhibition Center",
                        city="Taipei", cancel_reason="Typhoon warning")
    registration = Registration(id=11, name="Chih-Wei Huang", email="delegate@taipei.example", role="delegate",
                                state="confirmed", assembly=assembly, organization=organization)
    honorary = HonoraryMember(id=1, citation="For a decade of work on smart-city IoT.", user=user,
                              status="revoked", revoke_reason="Conflict of interest.")
    return dict(user=user, invited_by=secretariat, token="sample-token", application=application,
                organization=organization, resubmitted=False, message="Please add the mayor's letter of intent.",
                reason="Outside the alliance's scope.", action="suspend", honorary=honorary,
                registration=registration, assembly=assembly, reissued=False)


def preview(name):
    """(plain text, HTML) of one email with the sample data."""
    context = sample_context()
    return (render_template(f"email/{name}.txt", **context), render_template(f"email/{name}.html", **context))
