"""Membership applications: apply, documents, the state machine, review, approval."""
import io
import re
from datetime import date, datetime, timezone

import pytest
import weasyprint
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from gosmart.audit import AuditEntry
from gosmart.auth.models import Role, User
from gosmart.extensions import db
from gosmart.members import services
from gosmart.members.models import Application, ApplicationDocument, ApplicationState as S, Organization
from gosmart.uploads import DOCUMENT, FileBlob, read_stored_file, store_upload

from .concurrency import in_threads
from .conftest import PASSWORD

PDF = weasyprint.HTML(string="<p>Letter of intent</p>").write_pdf()
CITY_FORM = {
    "name": "Kaohsiung City", "name_local": "高雄市", "country": "TW", "population": "2770000",
    "head_of_government": "Mayor of Kaohsiung", "smart_city_office": "Smart City Office",
    "focus_areas": ["smart mobility", "water"], "contact_name": "Ms. Lee", "contact_title": "Director",
    "contact_email": "lee@kcg.example", "contact_phone": "+886 7 331 6111", "website": "https://kcg.example",
}
CITY_DATA = {"name": "Kaohsiung City", "name_local": "高雄市", "country": "TW", "contact_name": "Ms. Lee",
             "contact_email": "lee@kcg.example",
             "answers": {"population": 2770000, "head_of_government": "Mayor", "smart_city_office": "Office",
                         "topics": ["water"]}}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def applicant(make_user):
    user = make_user(Role.APPLICANT, "applicant@example.org")
    user.email_confirmed_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    return user


def add_pdf(application, user):
    stored = store_upload(FileStorage(io.BytesIO(PDF), "letter.pdf"), DOCUMENT, "applications")
    return services.add_document(application, stored, user)


@pytest.fixture
def draft(applicant):
    return services.start_application("city", CITY_DATA, applicant=applicant)


@pytest.fixture
def submitted(draft, applicant):
    add_pdf(draft, applicant)
    services.submit(draft, applicant)
    return draft


@pytest.fixture
def secretariat(make_user):
    return make_user(Role.SECRETARIAT, "sec@example.org")


# --- Applying ----------------------------------------------------------------------

def test_visitor_applies_gets_an_account_and_a_confirmation_link(client, outbox):
    response = client.post_form("/apply/city", dict(CITY_FORM, applicant_name="Lee Mei", password=PASSWORD,
                                                    applicant_email="Lee@KCG.example"), page="/apply/city")
    assert response.status_code == 303
    application = db.session.scalar(select(Application))
    assert application.state == S.DRAFT and application.name_local == "高雄市"
    assert application.answers["topics"] == ["smart mobility", "water"]
    assert application.answers["population"] == 2770000
    assert application.applicant.email == "lee@kcg.example" and application.applicant.role == Role.APPLICANT
    # Not signed in: the same answer as for an address that has an account (tests/security/edges).
    assert response.headers["Location"] == "/login"
    assert "We have sent an email to lee@kcg.example" in client.get("/login").get_data(as_text=True)
    assert outbox[0].subject == "Confirm your email address for GO SMART"
    link = re.search(r"http://gosmart.test(/confirm-email/\S+)", outbox[0].body).group(1)
    assert client.get(link).status_code == 200
    assert application.applicant.email_confirmed_at is None  # GET changes nothing
    assert client.post_form(link, page=link).status_code == 303
    assert db.session.get(User, application.applicant_id).email_confirmed_at is not None
    assert "application.created" in actions() and "email.confirmed" in actions()
    client.login("lee@kcg.example")
    assert client.get(f"/applications/{application.id}/edit").status_code == 200


def test_a_draft_needs_only_a_name_and_country(client):
    response = client.post_form("/apply/industry", {"name": "Acme", "country": "FR", "applicant_name": "A",
                                                    "applicant_email": "a@acme.example", "password": PASSWORD},
                                page="/apply/industry")
    assert response.status_code == 303
    assert db.session.scalar(select(Application.category)) == "industry"


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "This field is required."),
    ("name", "x" * 201, "Field cannot be longer than 200 characters."),
    ("country", "XX", "Not a valid choice."),
    ("contact_email", "not-an-email", "Invalid email address."),
    ("website", "javascript:alert(1)", "Give a full address"),
    ("population", "many", "Not a valid integer value."),
    ("contact_phone", "<script>", "Use digits"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(client, field, value, message):
    data = dict(CITY_FORM, applicant_name="Lee", applicant_email="lee@kcg.example", password=PASSWORD)
    data[field] = value
    response = client.post_form("/apply/city", data, page="/apply/city")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert 'value="Ms. Lee"' in body  # what the user typed is kept
    assert count(Application) == 0 and count(User) == 0


def test_an_existing_email_is_told_by_email_and_nothing_is_created(client, applicant, outbox):
    response = client.post_form("/apply/city", dict(CITY_FORM, applicant_name="X", password=PASSWORD,
                                                    applicant_email="APPLICANT@example.org"), page="/apply/city")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert count(Application) == 0 and count(User) == 1
    assert [m.recipients for m in outbox] == [["applicant@example.org"]]
    assert "already has a GO SMART account" in outbox[0].body


def test_unknown_category_is_404(client):
    assert client.get("/apply/guild").status_code == 404


def test_inline_validation_fragment_and_full_page(client):
    token = client.csrf_token("/apply/city")
    data = dict(CITY_FORM, contact_email="nope", csrf_token=token)
    fragment = client.post("/apply/city/validate", data=data,
                           headers={"HX-Request": "true", "HX-Trigger-Name": "contact_email"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="contact_email-feedback"' in body and "Invalid email address." in body
    ok = client.post("/apply/city/validate", data=dict(data, contact_email="a@b.example"),
                     headers={"HX-Request": "true", "HX-Trigger-Name": "contact_email"})
    assert "field-error" not in ok.get_data(as_text=True)
    full = client.post("/apply/city/validate", data=data)
    assert "<html" in full.get_data(as_text=True) and "Invalid email address." in full.get_data(as_text=True)
    assert count(Application) == 0


def test_inline_validation_warns_about_an_existing_member(client, organization):
    organization(name="Kaohsiung City", country="TW", number="GS-2019-0002")
    token = client.csrf_token("/apply/city")
    response = client.post("/apply/city/validate", data=dict(CITY_FORM, csrf_token=token),
                           headers={"HX-Request": "true", "HX-Trigger-Name": "name"})
    body = response.get_data(as_text=True)
    assert "Kaohsiung City is already a member of GO SMART." in body and "GS-2019-0002" not in body


def test_applicant_resumes_and_saves_a_draft(applicant, draft, client):
    client.login(applicant.email)
    page = client.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
    assert 'value="Kaohsiung City"' in page
    response = client.post_form(f"/applications/{draft.id}/edit", dict(CITY_FORM, name="Kaohsiung", action="save"),
                                page=f"/applications/{draft.id}/edit")
    assert response.status_code == 303
    assert db.session.get(Application, draft.id).name == "Kaohsiung"


def test_submit_through_the_form_needs_every_required_answer(applicant, draft, client):
    client.login(applicant.email)
    add_pdf(draft, applicant)
    url = f"/applications/{draft.id}/edit"
    incomplete = client.post_form(url, dict(CITY_FORM, contact_name="", action="submit"), page=url)
    assert incomplete.status_code == 422
    assert "This field is required to submit the application." in incomplete.get_data(as_text=True)
    assert db.session.get(Application, draft.id).state == S.DRAFT
    complete = client.post_form(url, dict(CITY_FORM, action="submit"), page=url)
    assert complete.status_code == 303
    assert db.session.get(Application, draft.id).state == S.SUBMITTED


# --- Documents ---------------------------------------------------------------------

def upload(client, application, content, filename="letter.pdf", answers=CITY_FORM, **extra):
    """The application form's "Upload": the file goes with the answers."""
    url = f"/applications/{application.id}/edit"
    return client.post_form(url, {"action": "upload", **answers, "document": (io.BytesIO(content), filename), **extra},
                            page=url, content_type="multipart/form-data")


def test_documents_are_content_checked_and_limited_to_five(applicant, draft, client, app):
    client.login(applicant.email)
    assert upload(client, draft, PDF).status_code == 303
    assert count(ApplicationDocument) == 1
    upload(client, draft, b"<html><script>alert(1)</script></html>", "evil.pdf")
    upload(client, draft, b"MZ\x90\x00" + b"\x00" * 100, "setup.png")
    assert count(ApplicationDocument) == 1
    for _ in range(5):
        upload(client, draft, PDF)
    assert count(ApplicationDocument) == 5
    # Five documents of the same content: one stored file, named by its content, not by the applicant.
    names = set(db.session.scalars(select(ApplicationDocument.stored_name)))
    assert len(names) == 1 and read_stored_file("applications", names.pop()) == PDF
    assert count(FileBlob) == 1


def test_oversized_upload_gets_a_clear_answer(applicant, draft, client):
    client.login(applicant.email)
    response = upload(client, draft, b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10))
    assert response.status_code == 422
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert count(ApplicationDocument) == 0


def test_documents_are_downloaded_as_attachments_by_the_applicant_and_secretariat_only(
        applicant, draft, make_user, make_client, secretariat):
    document = add_pdf(draft, applicant)
    url = f"/applications/{draft.id}/documents/{document.id}"
    owner = make_client()
    owner.login(applicant.email)
    response = owner.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    staff = make_client()
    staff.login(secretariat.email)
    assert staff.get(url).status_code == 200
    for role in (Role.APPLICANT, Role.REPRESENTATIVE, Role.HONORARY, Role.DOOR_STAFF):
        other = make_client()
        other.login(make_user(role).email)
        assert other.get(url).status_code in (403, 404), role
    assert make_client().get(url).status_code == 302


def test_another_applicant_cannot_see_or_change_my_application(applicant, draft, make_user, make_client):
    document = add_pdf(draft, applicant)
    intruder = make_client()
    intruder.login(make_user(Role.APPLICANT, "intruder@example.org").email)
    base = f"/applications/{draft.id}"
    for path in (base, base + "/edit", f"{base}/documents/{document.id}"):
        assert intruder.get(path).status_code == 404, path
    for path in (base + "/edit", base + "/withdraw"):
        assert intruder.post_form(path, {"name": "Hijacked", "country": "TW"}).status_code == 404, path
    assert intruder.post_form(base + "/edit", {"name": "Hijacked", "country": "TW", "remove_document": document.id,
                                               "document": (io.BytesIO(PDF), "x.pdf")},
                              content_type="multipart/form-data").status_code == 404
    fragment = intruder.get(base, headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert db.session.get(Application, draft.id).name == "Kaohsiung City"
    assert count(ApplicationDocument) == 1


# --- Nothing typed is lost to an upload --------------------------------------------------

INDUSTRY_FORM = {
    "name": "Acme Sensors", "country": "FR", "registration_number": "RCS 123 456 789", "size": "50-249",
    "sectors": ["iot"], "solutions": "Air-quality sensors", "contact_name": "Ms. Martin",
    "contact_email": "martin@acme.example",
}


@pytest.fixture
def changes_requested(applicant, secretariat):
    data = {"name": "Acme Sensors", "country": "FR", "contact_name": "Ms. Martin", "contact_email": "martin@acme.example",
            "answers": {"registration_number": "RCS 123 456 789", "size": "50-249", "topics": ["iot"],
                        "solutions": "Air-quality sensors"}}
    application = services.start_application("industry", data, applicant=applicant)
    add_pdf(application, applicant)
    services.submit(application, applicant)
    services.request_changes(application, secretariat, "Please describe the solutions in more detail.")
    return application


def test_an_upload_saves_the_answers_typed_with_it_and_the_resubmission_carries_them(
        applicant, changes_requested, client, secretariat, make_client):
    """The defect: "Solutions offered" edited, a file chosen, Upload, then Resubmit — the edit was gone."""
    client.login(applicant.email)
    url = f"/applications/{changes_requested.id}/edit"
    form = client.get(url).get_data(as_text=True)
    # One form: the file input and the buttons are in the form that holds the answers.
    main = re.search(r'<form method="post" novalidate enctype="multipart/form-data".*?</form>', form, re.S).group(0)
    assert 'name="document"' in main and 'name="solutions"' in main and ">Upload<" in main
    edited = dict(INDUSTRY_FORM, solutions="Air-quality sensors and a city dashboard")
    response = upload(client, changes_requested, PDF, "annex.pdf", answers=edited)
    assert response.status_code == 303 and response.headers["Location"].endswith("/edit#documents")
    application = db.session.get(Application, changes_requested.id)
    assert application.answers["solutions"] == "Air-quality sensors and a city dashboard"
    assert [d.original_name for d in application.documents] == ["letter.pdf", "annex.pdf"]
    page = client.get(url).get_data(as_text=True)
    assert "“annex.pdf” is added." in page and "Your draft is saved." in page
    assert "Air-quality sensors and a city dashboard" in page
    assert client.post_form(url, dict(edited, action="submit"), page=url).status_code == 303
    staff = make_client()
    staff.login(secretariat.email)
    review = staff.get(f"/applications/{changes_requested.id}").get_data(as_text=True)
    assert "Air-quality sensors and a city dashboard" in review and "annex.pdf" in review


def test_upload_without_a_file_saves_the_answers_and_asks_for_the_file(applicant, changes_requested, client):
    client.login(applicant.email)
    url = f"/applications/{changes_requested.id}/edit"
    response = client.post_form(url, dict(INDUSTRY_FORM, solutions="Saved anyway", action="upload"), page=url)
    assert response.status_code == 303
    assert db.session.get(Application, changes_requested.id).answers["solutions"] == "Saved anyway"
    page = client.get(url).get_data(as_text=True)
    assert "Choose a file to upload." in page and "Your draft is saved." in page


def test_a_file_chosen_and_submit_pressed_is_uploaded_and_submitted(applicant, client):
    """No separate Upload first: a file chosen in the form goes with Submit too."""
    client.login(applicant.email)
    application = services.start_application("city", CITY_DATA, applicant=applicant)
    response = upload(client, application, PDF, answers=dict(CITY_FORM, action="submit"))
    assert response.status_code == 303
    application = db.session.get(Application, application.id)
    assert application.state == S.SUBMITTED and len(application.documents) == 1


def test_a_refused_file_writes_nothing_and_the_form_comes_back_with_what_was_typed(
        applicant, changes_requested, client, app):
    client.login(applicant.email)
    edited = dict(INDUSTRY_FORM, solutions="Typed, and not to be lost")
    files_before = set(db.session.scalars(select(FileBlob.sha256)))
    response = upload(client, changes_requested, b"<html><script>alert(1)</script></html>", "evil.pdf", answers=edited)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This file is not a PDF, PNG or JPEG image." in page and "Typed, and not to be lost" in page
    assert 'data-unsaved-warning="unsaved"' in page  # leaving the page asks first
    application = db.session.get(Application, changes_requested.id)
    assert application.answers["solutions"] == "Air-quality sensors" and len(application.documents) == 1
    assert set(db.session.scalars(select(FileBlob.sha256))) == files_before


def test_answers_that_cannot_be_saved_keep_the_file_out_and_say_to_choose_it_again(applicant, changes_requested, client):
    client.login(applicant.email)
    response = upload(client, changes_requested, PDF, answers=dict(INDUSTRY_FORM, website="taipei.gov",
                                                                   solutions="Typed with a mistake"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give a full address" in page and "Typed with a mistake" in page
    assert "Nothing was saved: choose the file again after correcting the form." in page
    assert count(ApplicationDocument) == 1


def test_removing_a_document_saves_the_answers_typed_meanwhile(applicant, changes_requested, client, app):
    client.login(applicant.email)
    document = changes_requested.documents[0]
    stored_name = document.stored_name
    url = f"/applications/{changes_requested.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert f'name="remove_document" value="{document.id}"' in page
    # The form's default button (Enter in a field) saves; it comes before any "Remove".
    assert page.index('name="action" value="save"') < page.index('name="remove_document"')
    response = client.post_form(url, dict(INDUSTRY_FORM, solutions="Edited, then a document removed",
                                          remove_document=str(document.id)), page=url)
    assert response.status_code == 303
    application = db.session.get(Application, changes_requested.id)
    assert application.documents == [] and application.answers["solutions"] == "Edited, then a document removed"
    assert not (app.config["UPLOAD_DIR"] / "applications" / stored_name).exists()
    assert "The document is removed." in client.get(url).get_data(as_text=True)


def test_a_document_of_another_application_cannot_be_removed_through_mine(applicant, draft, client, make_user):
    other = services.start_application("city", CITY_DATA, applicant=make_user(Role.APPLICANT, "o@example.org"))
    theirs = add_pdf(other, other.applicant)
    client.login(applicant.email)
    url = f"/applications/{draft.id}/edit"
    response = client.post_form(url, dict(CITY_FORM, name="Changed", remove_document=str(theirs.id)), page=url)
    assert response.status_code == 404
    assert db.session.get(ApplicationDocument, theirs.id) is not None
    assert db.session.get(Application, draft.id).name == "Kaohsiung City"


def test_the_email_link_is_sent_again_without_leaving_the_form(make_user, client):
    """A second form on the application page: with htmx it replaces its own section only, and
    without htmx it comes back to the form."""
    user = make_user(Role.APPLICANT, "unconfirmed@example.org")
    application = services.start_application("city", CITY_DATA, applicant=user)
    client.login(user.email)
    url = f"/applications/{application.id}/edit"
    page = client.get(url).get_data(as_text=True)
    resend = re.search(r'<form[^>]*resend[^>]*>', page).group(0)
    assert 'hx-target="#email-confirmation"' in resend and 'hx-select="#email-confirmation"' in resend
    response = client.post_form("/confirm-email/resend", {"next": url}, page=url)
    assert response.status_code == 303 and response.headers["Location"] == url
    assert client.post_form("/confirm-email/resend", {"next": "//evil.example/x"}, page=url).headers[
        "Location"] != "//evil.example/x"


# --- The state machine -------------------------------------------------------------

def test_submit_needs_a_confirmed_email_and_a_document(draft, applicant):
    with pytest.raises(services.MembershipError, match="supporting document"):
        services.submit(draft, applicant)
    add_pdf(draft, applicant)
    applicant.email_confirmed_at = None
    with pytest.raises(services.MembershipError, match="confirm your email"):
        services.submit(draft, applicant)
    assert db.session.get(Application, draft.id).state == S.DRAFT


def test_the_whole_lifecycle_with_emails_and_audit(submitted, applicant, secretariat, outbox):
    assert submitted.state == S.SUBMITTED and submitted.submitted_at is not None
    services.request_changes(submitted, secretariat, "Please add the mayor's letter.")
    assert submitted.state == S.CHANGES_REQUESTED
    services.submit(submitted, applicant)
    assert submitted.state == S.RESUBMITTED
    organization = services.approve(submitted, secretariat, today=date(2026, 11, 26))
    assert submitted.state == S.APPROVED and submitted.decided_by_id == secretariat.id
    assert organization.membership_number == "GS-2026-0001" and str(organization.member_since) == "2026-11-26"
    assert (organization.name, organization.name_local, organization.category) == ("Kaohsiung City", "高雄市", "city")
    user = db.session.get(User, applicant.id)
    assert user.role == Role.REPRESENTATIVE and user.organization_id == organization.id
    assert [m.subject for m in outbox] == [
        "We received your GO SMART membership application",
        "Your GO SMART application: changes requested",
        "We received your GO SMART membership application",
        "Welcome to GO SMART: your membership is approved",
    ]
    assert "Please add the mayor's letter." in outbox[1].body
    assert "GS-2026-0001" in outbox[3].body and "GS-2026-0001" in outbox[3].html
    log = actions()
    for action in ("application.submit", "application.request_changes", "application.resubmit",
                   "application.approve", "organization.created"):
        assert action in log
    assert [e.to_state for e in submitted.events] == ["submitted", "changes_requested", "resubmitted", "approved"]


ALLOWED = {
    "submit": {S.DRAFT},
    "resubmit": {S.CHANGES_REQUESTED},
    "withdraw": {S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.RESUBMITTED},
    "request_changes": {S.SUBMITTED, S.RESUBMITTED},
    "approve": {S.SUBMITTED, S.RESUBMITTED},
    "reject": {S.SUBMITTED, S.RESUBMITTED},
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("state", list(S))
def test_every_transition_allowed_or_refused_without_change(action, state, draft, secretariat, applicant):
    db.session.execute(Application.__table__.update().values(state=state))
    db.session.commit()
    db.session.refresh(draft)
    events_before = len(draft.events)
    if state in ALLOWED[action]:
        services._transition(draft, action, secretariat if action in ("request_changes", "approve", "reject")
                             else applicant, "because")
        db.session.commit()
        assert draft.state == services.TRANSITIONS[action].target
    else:
        with pytest.raises(services.MembershipError, match="You cannot"):
            services._transition(draft, action, applicant, "because")
        db.session.rollback()
        assert db.session.get(Application, draft.id).state == state
        assert len(db.session.get(Application, draft.id).events) == events_before


def test_reasons_are_required_for_rejection_and_change_requests(submitted, secretariat):
    with pytest.raises(services.MembershipError):
        services.reject(submitted, secretariat, "  ")
    with pytest.raises(services.MembershipError):
        services.request_changes(submitted, secretariat, "")
    assert db.session.get(Application, submitted.id).state == S.SUBMITTED


def test_rejection_emails_the_reason(submitted, secretariat, outbox):
    services.reject(submitted, secretariat, "Outside our scope.")
    assert submitted.state == S.REJECTED and submitted.decision_reason == "Outside our scope."
    assert "Outside our scope." in outbox[-1].body


def test_withdrawn_before_a_decision_but_not_after(submitted, applicant, secretariat, client):
    client.login(applicant.email)
    response = client.post_form(f"/applications/{submitted.id}/withdraw", page=f"/applications/{submitted.id}")
    assert response.status_code == 303
    assert db.session.get(Application, submitted.id).state == S.WITHDRAWN
    with pytest.raises(services.MembershipError):
        services.approve(db.session.get(Application, submitted.id), secretariat)


def test_approving_twice_creates_one_organization(submitted, secretariat):
    services.approve(submitted, secretariat)
    with pytest.raises(services.MembershipError):
        services.approve(submitted, secretariat)
    assert count(Organization) == 1


def test_membership_numbers_are_sequential_per_year_and_never_reused(app):
    numbers = [services.next_membership_number(2026) for _ in range(3)] + [services.next_membership_number(2027)]
    db.session.commit()
    assert numbers == ["GS-2026-0001", "GS-2026-0002", "GS-2026-0003", "GS-2027-0001"]


# --- The secretariat's queue and review through HTTP ------------------------------------

def test_queue_filters_oldest_first_as_page_and_fragment(submitted, secretariat, make_user, client):
    other_user = make_user(Role.APPLICANT, "other@example.org")
    other_user.email_confirmed_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    other = services.start_application("industry", dict(CITY_DATA, name="Acme SAS", country="FR"), applicant=other_user)
    add_pdf(other, other_user)
    services.submit(other, other_user)
    client.login(secretariat.email)
    page = client.get("/applications/").get_data(as_text=True)
    assert page.index("Kaohsiung City") < page.index("Acme SAS")
    fragment = client.get("/applications/?category=industry", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Acme SAS" in body and "Kaohsiung City" not in body
    by_country = client.get("/applications/?country=TW", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Kaohsiung City" in by_country and "Acme SAS" not in by_country
    drafts_hidden = client.get("/applications/?state=draft").get_data(as_text=True)
    assert "Not a valid choice" not in drafts_hidden and "Kaohsiung City" in drafts_hidden


def test_comments_to_the_applicant_or_internal(submitted, secretariat, applicant, make_client, outbox):
    staff = make_client()
    staff.login(secretariat.email)
    url = f"/applications/{submitted.id}"
    staff.post_form(url + "/comments", {"message": "Lovely city.", "visibility": "applicant"}, page=url)
    staff.post_form(url + "/comments", {"message": "Check their budget.", "visibility": "internal"}, page=url)
    assert [m.subject for m in outbox][-1] == "The GO SMART secretariat commented on your application"
    assert sum("commented" in m.subject for m in outbox) == 1
    assert "Check their budget." in staff.get(url).get_data(as_text=True)
    owner = make_client()
    owner.login(applicant.email)
    page = owner.get(url).get_data(as_text=True)
    assert "Lovely city." in page and "Check their budget." not in page


def test_secretariat_approves_through_http_and_the_new_representative_signs_in(
        submitted, secretariat, applicant, make_client):
    staff = make_client()
    staff.login(secretariat.email)
    url = f"/applications/{submitted.id}"
    assert staff.post_form(url + "/approve", page=url).status_code == 303
    assert "Member GS-" in staff.get(url).get_data(as_text=True)
    member = make_client()
    response = member.login(applicant.email)
    assert response.headers["Location"] == "/my-organization"
    assert "Kaohsiung City" in member.get("/my-organization").get_data(as_text=True)


def test_request_changes_without_a_message_changes_nothing(submitted, secretariat, client):
    client.login(secretariat.email)
    url = f"/applications/{submitted.id}"
    client.post_form(url + "/request-changes", {"message": " "}, page=url)
    assert db.session.get(Application, submitted.id).state == S.SUBMITTED


def test_applicant_cannot_use_review_actions(submitted, applicant, client):
    client.login(applicant.email)
    url = f"/applications/{submitted.id}"
    assert client.post_form(url + "/approve", page=url).status_code == 403
    assert db.session.get(Application, submitted.id).state == S.SUBMITTED


def test_extra_fields_are_ignored(applicant, draft, client):
    client.login(applicant.email)
    url = f"/applications/{draft.id}/edit"
    client.post_form(url, dict(CITY_FORM, action="save", state="approved", organization_id="1",
                               applicant_id="999", role="secretariat"), page=url)
    application = db.session.get(Application, draft.id)
    assert application.state == S.DRAFT and application.organization_id is None
    assert db.session.get(User, applicant.id).role == Role.APPLICANT


# --- Concurrency, on PostgreSQL ---------------------------------------------------------

@pytest.mark.postgres
def test_concurrent_approvals_never_share_a_membership_number(app, is_postgres, make_user, secretariat):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    ids = []
    for i in range(8):
        user = make_user(Role.APPLICANT, f"c{i}@example.org")
        user.email_confirmed_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
        application = services.start_application("city", dict(CITY_DATA, name=f"City {i}"), applicant=user)
        add_pdf(application, user)
        services.submit(application, user)
        ids.append(application.id)
    secretariat_id = secretariat.id

    def approve(i):
        return services.approve(db.session.get(Application, ids[i]),
                                db.session.get(User, secretariat_id)).membership_number

    numbers = in_threads(app, 8, approve, errors=(services.MembershipError,))
    assert sorted(numbers) == [f"GS-{date.today().year}-{n:04d}" for n in range(1, 9)]


@pytest.mark.postgres
def test_double_approval_at_the_same_moment_makes_one_organization(app, is_postgres, submitted, make_user,
                                                                    secretariat):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    other = make_user(Role.SECRETARIAT, "sec2@example.org")
    staff = [secretariat.id, other.id]
    application_id = submitted.id

    def approve(i):
        return services.approve(db.session.get(Application, application_id), db.session.get(User, staff[i % 2]))

    results = in_threads(app, 4, approve, errors=(services.MembershipError,))
    assert sum(isinstance(r, Organization) for r in results) == 1
    assert sum(isinstance(r, services.MembershipError) for r in results) == 3
    assert count(Organization) == 1
