"""Business rules, tried as an attacker and as a careless user would (issue 18).

Five classes of fault, each tried through the HTTP interface on the world of world.py and,
where it is about requests at the same moment, through threads on PostgreSQL:

1. standing — members-only reads and actions ask one rule (members.standing.in_good_standing):
   a suspended or withdrawn member's representative, or an honorary member whose honour is
   revoked, gets what a visitor gets;
2. facts — a registration checked in keeps its person and state; cancelling and renaming close
   when the assembly begins; attendance certificates only for attendance that stands;
3. limits — every count limit is held by the database (a guarded counter), not by a count read
   before the insert;
4. duplicates — every unique constraint a user can hit answers with the form and a message,
   never an error page;
5. representatives — approving an application never leaves a member without its representative.
"""
import io
import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import FileStorage

from gosmart import uploads
from gosmart.assemblies import services as assemblies
from gosmart.assemblies.models import Assembly, Registration
from gosmart.audit import AuditEntry
from gosmart.auth import services as accounts
from gosmart.auth.models import Role, User
from gosmart.certificates import services as certificates
from gosmart.certificates.models import Certificate
from gosmart.checkin import attendance
from gosmart.checkin import services as checkin
from gosmart.checkin.models import Verdict
from gosmart.directory import services as directory
from gosmart.extensions import db
from gosmart.members import services as members
from gosmart.members.models import (
    Application, ApplicationDocument, ApplicationState, Category, HonoraryMember, MembershipCounter, Organization,
    OrganizationTopic,
)
from gosmart.minutes import services as minutes_services
from gosmart.minutes.models import Committee

from ..concurrency import in_threads
from .world import NOW, PDF, candidates, get_rules, route_allows, url_for_rule

NEEDS_POSTGRES = "needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set (SQLite serializes every write)"
FLASH_ERROR = re.compile(r'class="flash flash-error"[^>]*>([^<]+)<')


def page(response):
    return response.get_data(as_text=True)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def refused_reads(app, world, key):
    """(url, label) of every public page or download whose object the world shows to `key` as a
    member and not to visitors: the members-only reads (MOUs, minutes and their PDF, profiles of
    members not listed publicly, logos shown to members). Routes added later come in by themselves."""
    found = []
    for rule in get_rules(app):
        if not route_allows(rule.endpoint, "visitor"):
            continue
        for candidate in candidates(world, rule):
            if key in candidate.visible and "visitor" not in candidate.visible:
                found.append((url_for_rule(app, rule, candidate), f"{rule.endpoint}: {candidate.label}"))
    return found


def members_only_marks(world):
    """What a members' list shows of members-only objects: (list page, text) pairs."""
    return [("/directory/", "Quiet Town"), ("/mous/", f'/mous/{world.mous["members"].id}"'),
            ("/minutes/", f'/minutes/{world.minutes["members"].id}"'),
            (f"/directory/{world.org_b.id}", "https://seoul.example")]


def show_b_website(world):
    world.org_b.website = "https://seoul.example"
    db.session.commit()


# --- 1. Standing ------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["suspend", "withdraw"])
def test_a_suspended_or_withdrawn_members_representative_sees_only_what_visitors_see(app, world, action, fast_pdfs):
    show_b_website(world)
    reads = refused_reads(app, world, "rep_a")
    labels = " ".join(label for _url, label in reads)
    for endpoint in ("mou.detail", "mou.document", "minutes.minutes_detail", "minutes.minutes_pdf",
                     "directory.profile", "directory.logo"):
        assert endpoint in labels
    rep, visitor = world.client("rep_a"), world.client("visitor")
    assert [rep.get(url).status_code for url, _label in reads] == [200] * len(reads)
    for url, mark in members_only_marks(world):
        assert mark in page(rep.get(url)), (url, mark)

    members.change_member_status(world.org_a, action, world.users["secretariat"], reason="Dues unpaid")

    for url, label in reads:
        refused, public = rep.get(url).status_code, visitor.get(url).status_code
        assert refused == public and refused in (403, 404), (label, refused, public)
    for url, mark in members_only_marks(world):
        assert mark not in page(rep.get(url)), (url, mark)
    # A member in good standing still sees all of it.
    rep_b = world.client("rep_b")
    assert all(rep_b.get(url).status_code == 200 for url, label in refused_reads(app, world, "rep_b")
               if "logo" not in label)


def test_members_only_actions_are_closed_to_a_suspended_members_representative(app, world, outbox):
    members.change_member_status(world.org_a, "suspend", world.users["secretariat"], reason="Dues unpaid")
    rep = world.client("rep_a")
    before = count(Registration), count(User)
    forum = world.other_assembly  # registration open, not begun
    register = rep.post(f"/assemblies/{forum.id}", {"name": "New Delegate", "email": "new@taipei.example",
                                                    "role": "delegate"})
    assert register.status_code == 422 and "cannot register delegates" in page(register)
    invite = rep.post("/my-organization/representatives", {"name": "Colleague", "email": "colleague@taipei.example"})
    assert invite.status_code == 303
    assert (count(Registration), count(User)) == before


def test_the_secretariat_revokes_an_honour_and_the_person_then_sees_only_what_visitors_see(app, world, outbox,
                                                                                            fast_pdfs):
    show_b_website(world)
    honorary, visitor, staff = world.client("honorary"), world.client("visitor"), world.client("secretariat")
    reads = refused_reads(app, world, "honorary")
    assert len(reads) >= 5 and all(honorary.get(url).status_code == 200 for url, _label in reads)
    record_id = world.honorary_member.id
    url = f"/honorary/{record_id}/revoke"

    assert world.client("rep_a").post(url, {"reason": "No."}).status_code == 403
    assert staff.post(url, {"reason": ""}).status_code == 303  # refused: a reason is needed
    assert db.session.get(HonoraryMember, record_id).in_good_standing
    response = staff.post(url, {"reason": "Conflict of interest."})
    assert response.status_code == 303

    record = db.session.get(HonoraryMember, record_id)
    assert record.status == "revoked" and record.revoke_reason == "Conflict of interest." and record.revoked_at
    assert db.session.get(Certificate, world.certificate.id).revoke_reason == "Conflict of interest."
    assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "honorary.revoked")) == {
        "reason": "Conflict of interest.", "email": world.users["honorary"].email}
    assert outbox[-1].recipients == [world.users["honorary"].email] and "Conflict of interest." in outbox[-1].body
    assert "Conflict of interest." in page(staff.get("/honorary/"))

    for read, label in reads:
        assert honorary.get(read).status_code == visitor.get(read).status_code, label
    for list_url, mark in members_only_marks(world):
        assert mark not in page(honorary.get(list_url)), (list_url, mark)
    before = count(Registration)
    register = honorary.post(f"/assemblies/{world.other_assembly.id}", {})
    assert register.status_code == 422 and count(Registration) == before
    assert honorary.get("/honorary/certificate.pdf").status_code == 303
    assert staff.post(url, {"reason": "Again."}).status_code == 303  # already revoked: a message, nothing new
    assert count(AuditEntry, AuditEntry.action == "honorary.revoked") == 1


# --- 2. Facts ------------------------------------------------------------------------------

def test_a_checked_in_registration_keeps_its_person_and_state(world):
    checked = world.registrations["checked"]
    base = f"/assemblies/{world.assembly.id}/registrations/{checked.id}"
    rep, staff = world.client("rep_a"), world.client("secretariat")
    rename = {"name": "Someone Else", "email": "else@taipei.example", "role": "delegate"}
    for client in (rep, staff):
        client.post(f"{base}/edit", rename)
        client.post(f"{base}/cancel", {})
    registration = db.session.get(Registration, checked.id)
    assert (registration.name, registration.email, registration.state) == (
        "Checked In Person", "in@taipei.example", "confirmed")
    assert registration.checked_in_at is not None
    # The secretariat undoes a mistaken check-in, with its reason; then the registration can change.
    undo = staff.post(f"/checkin/{world.assembly.id}/registrations/{checked.id}/undo", {"reason": "Wrong person"})
    assert undo.status_code == 303
    staff.post(f"{base}/cancel", {})
    assert db.session.get(Registration, checked.id).state == "cancelled"


def test_representatives_cannot_cancel_or_rename_once_the_assembly_has_begun(world):
    registration = world.registrations["a"]  # not checked in; the assembly began an hour ago
    base = f"/assemblies/{world.assembly.id}/registrations/{registration.id}"
    rep = world.client("rep_a")
    assert rep.post(f"{base}/edit", {"name": "Late Swap", "email": "swap@taipei.example",
                                     "role": "delegate"}).status_code == 303
    assert rep.post(f"{base}/cancel", {}).status_code == 303
    registration = db.session.get(Registration, registration.id)
    assert (registration.name, registration.state) == ("Delegate of A", "confirmed")
    assert db.session.get(Assembly, world.assembly.id).confirmed_count == 4


def test_attendance_certificates_only_for_attendance_that_stands(world, fast_pdfs):
    checked = world.registrations["checked"]
    link = f"/attendance/{attendance.link_token(checked)}"
    visitor = world.client("visitor")
    # A registration cancelled with its check-in left on it (as before this rule) gets nothing.
    checked.state = "cancelled"
    db.session.commit()
    assert visitor.post(link, {}).headers.get("Content-Type") != "application/pdf"
    assert count(Certificate, Certificate.kind == "attendance") == 0
    checked = db.session.get(Registration, checked.id)
    checked.state = "confirmed"
    db.session.commit()
    assert visitor.post(link, {}).headers["Content-Type"] == "application/pdf"
    # Undoing the check-in revokes the certificate it gave.
    checkin.undo(db.session.get(Registration, checked.id), world.users["secretariat"], "Scanned the wrong ticket")
    certificate = db.session.scalar(select(Certificate).where(Certificate.kind == "attendance"))
    assert certificate.revoked_at is not None and "Scanned the wrong ticket" in certificate.revoke_reason


def elsewhere(statement, **params):
    """Commit a change through another connection, as another request would, while the objects of
    this session still hold what they read before (a page decided on a moment ago)."""
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_a_rename_or_cancellation_decided_before_the_check_in_loses_to_it(world):
    registration = db.session.get(Registration, world.registrations["a"].id)
    assert registration.checked_in_at is None  # what the page showed
    elsewhere("UPDATE registrations SET checked_in_at = :now, checked_in_station = 'Main' WHERE id = :id",
              now=NOW, id=registration.id)
    staff = world.users["secretariat"]
    with pytest.raises(assemblies.RegistrationError):
        assemblies.update_registration(registration, staff, {"name": "Someone Else", "email": "else@taipei.example",
                                                             "role": "delegate"})
    registration = db.session.get(Registration, world.registrations["a"].id)
    set_committed_value(registration, "checked_in_at", None)  # as the page saw it
    with pytest.raises(assemblies.RegistrationError):
        assemblies.cancel_registration(registration, staff)
    db.session.expire_all()
    registration = db.session.get(Registration, world.registrations["a"].id)
    assert (registration.name, registration.state) == ("Delegate of A", "confirmed")
    assert registration.checked_in_at is not None


def test_a_save_or_removal_decided_before_the_submission_changes_nothing_submitted(world):
    application = db.session.get(Application, world.application_own.id)
    document = application.documents[0]
    assert application.state == "draft"  # what the page showed
    elsewhere("UPDATE applications SET state = 'submitted' WHERE id = :id", id=application.id)
    applicant = world.users["applicant"]
    with pytest.raises(members.MembershipError):
        members.update_draft(application, {"name": "Changed After Submission", "country": "TW"}, applicant)
    document = db.session.get(ApplicationDocument, document.id)
    set_committed_value(document.application, "state", "draft")  # as the page saw it
    with pytest.raises(members.MembershipError):
        members.remove_document(document, applicant)
    db.session.expire_all()
    application = db.session.get(Application, world.application_own.id)
    assert application.name == "Kaohsiung City" and len(application.documents) == 1


def _open_assembly(**kw):
    assembly = Assembly(kind="general_assembly", title="Forum 2028", timezone="Asia/Taipei",
                        starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=30, hours=8), venue="TICC",
                        city="Taipei", capacity=100, registration_opens_at=NOW - timedelta(days=1),
                        registration_closes_at=NOW + timedelta(days=20), delegate_quota=20, confirmed_count=0, **kw)
    db.session.add(assembly)
    db.session.commit()
    return assembly


@pytest.mark.postgres
def test_a_check_in_racing_a_cancellation_gives_one_or_the_other_never_both(app, is_postgres, world):
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)
    assembly = _open_assembly()
    rep = world.users["rep_a"]
    registrations = [assemblies.register(assembly, rep, name=f"Delegate {i}", email=f"race{i}@taipei.example",
                                         role="delegate") for i in range(10)]
    work = [(r.id, r.checkin_token) for r in registrations]
    assembly_id, rep_id, door_id = assembly.id, rep.id, world.users["secretariat"].id

    def race(i):
        registration_id, token = work[i // 2]
        if i % 2:
            assemblies.cancel_registration(db.session.get(Registration, registration_id), db.session.get(User, rep_id))
            return registration_id, "cancellation"
        answer = checkin.check_in(db.session.get(Assembly, assembly_id), db.session.get(User, door_id),
                                  f"race-{i}", "Main", token=token)
        return registration_id, "checked_in" if answer.verdict == Verdict.CHECKED_IN else str(answer.verdict)

    results = in_threads(app, 20, race, errors=(assemblies.RegistrationError,))
    db.session.expire_all()
    wins = [r for r in results if isinstance(r, tuple) and r[1] in ("cancellation", "checked_in")]
    assert all(r[1] in ("cancellation", "checked_in", "cancelled", "already_checked_in") for r in results
               if isinstance(r, tuple))
    assert sorted(registration_id for registration_id, _ in wins) == sorted(i for i, _ in work)
    for registration in db.session.scalars(select(Registration).where(Registration.assembly_id == assembly_id)):
        assert not (registration.state == "cancelled" and registration.checked_in_at is not None), registration.id
    live = count(Registration, Registration.assembly_id == assembly_id, Registration.state == "confirmed")
    assert db.session.get(Assembly, assembly_id).confirmed_count == live


# --- 3. Limits ------------------------------------------------------------------------------

@pytest.mark.postgres
def test_invitations_at_the_same_moment_never_pass_the_representative_limit(app, is_postgres, world, outbox):
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)
    organization_id, rep_id = world.org_a.id, world.users["rep_a"].id

    def invite(i):
        return directory.invite_representative(db.session.get(Organization, organization_id), f"Colleague {i}",
                                               f"colleague{i}@taipei.example", db.session.get(User, rep_id)).id

    results = in_threads(app, 12, invite, errors=(directory.ProfileError,))
    db.session.expire_all()
    assert sum(isinstance(r, int) for r in results) == directory.MAX_EXTRA_REPRESENTATIVES
    assert count(User, User.organization_id == organization_id) == 1 + directory.MAX_EXTRA_REPRESENTATIVES
    assert db.session.get(Organization, organization_id).extra_representatives == directory.MAX_EXTRA_REPRESENTATIVES


@pytest.mark.postgres
def test_uploads_at_the_same_moment_never_pass_the_document_limit(app, is_postgres, world):
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)
    application_id, applicant_id = world.application_own.id, world.users["applicant"].id
    assert count(ApplicationDocument, ApplicationDocument.application_id == application_id) == 1
    stored = [uploads.store_upload(FileStorage(io.BytesIO(PDF), f"letter{i}.pdf"), uploads.DOCUMENT, "applications")
              for i in range(10)]

    def add(i):
        return members.add_document(db.session.get(Application, application_id), stored[i],
                                    db.session.get(User, applicant_id)).id

    results = in_threads(app, 10, add, errors=(members.MembershipError,))
    db.session.expire_all()
    assert sum(isinstance(r, int) for r in results) == members.MAX_DOCUMENTS - 1
    assert count(ApplicationDocument, ApplicationDocument.application_id == application_id) == members.MAX_DOCUMENTS
    assert db.session.get(Application, application_id).document_count == members.MAX_DOCUMENTS


def test_the_limits_count_what_is_there_when_documents_come_and_go(world):
    application, applicant = world.application_own, world.users["applicant"]
    client = world.client("applicant")
    for i in range(6):
        client.post(f"/applications/{application.id}/edit",
                    {"name": "Kaohsiung City", "country": "TW", "action": "upload",
                     "document": (io.BytesIO(PDF), f"letter{i}.pdf")}, content_type="multipart/form-data")
    assert count(ApplicationDocument, ApplicationDocument.application_id == application.id) == members.MAX_DOCUMENTS
    document = db.session.scalar(select(ApplicationDocument).where(ApplicationDocument.application_id == application.id))
    members.remove_document(document, applicant)
    assert db.session.get(Application, application.id).document_count == members.MAX_DOCUMENTS - 1
    stored = uploads.store_upload(FileStorage(io.BytesIO(PDF), "again.pdf"), uploads.DOCUMENT, "applications")
    members.add_document(db.session.get(Application, application.id), stored, applicant)
    assert db.session.get(Application, application.id).document_count == members.MAX_DOCUMENTS


# --- 4. Duplicates: a unique constraint answers with the form ------------------------------------

APPLY = {"applicant_name": "Lee Mei", "applicant_email": "twin@kcg.example", "password": "a quiet harbour at dawn",
         "name": "Kaohsiung City", "country": "TW", "population": "2770000", "head_of_government": "Mayor",
         "smart_city_office": "Smart City Office", "contact_name": "Ms. Lee", "contact_email": "lee@kcg.example"}


@pytest.fixture
def missed_check(monkeypatch):
    """The look-up before an insert sees nothing, as when a twin request has not committed yet:
    only the unique constraint stands between the two."""
    monkeypatch.setattr(accounts, "find_user", lambda email: None)


def test_a_double_click_on_save_draft_makes_one_account_and_the_same_answer(world, missed_check):
    """The second click meets the unique constraint: no error page, no second account or draft,
    and the same answer as the first (a visitor's answer never tells whether an address has an
    account)."""
    first, second = world.client("visitor"), world.client("visitor")
    answer = first.post("/apply/city", APPLY)
    response = second.post("/apply/city", APPLY)
    assert answer.status_code == response.status_code == 303
    assert answer.headers["Location"] == response.headers["Location"]
    assert count(User, User.email == "twin@kcg.example") == 1 and count(Application) == 5


def test_every_account_creation_answers_a_taken_address_with_a_message(world, missed_check, outbox):
    taken = world.users["rep_b"].email.upper()
    staff, rep = world.client("secretariat"), world.client("rep_a")
    before = count(User)
    grant = staff.post("/honorary/new", {"name": "Dr. Twin", "email": taken, "citation": "For research."})
    assert grant.status_code == 422 and "already exists" in page(grant)
    account = staff.post("/accounts/new", {"name": "Twin", "email": taken, "role": "door_staff"})
    assert account.status_code == 422 and "already exists" in page(account)
    invite = rep.post("/my-organization/representatives", {"name": "Twin", "email": taken})
    assert invite.status_code == 303 and "already exists" in page(rep.get("/my-organization"))
    assert count(User) == before
    assert db.session.get(Organization, world.org_a.id).extra_representatives == 0  # the counter given back


def test_approval_passes_over_a_membership_number_already_held(world):
    year = date.today().year
    db.session.add(Organization(name="Imported City", country="PH", category=Category.CITY,
                                membership_number=f"GS-{year}-0001", member_since=date(year, 1, 2)))
    db.session.commit()
    staff = world.client("secretariat")
    response = staff.post(f"/applications/{world.application_other2.id}/approve", {})
    assert response.status_code == 303
    organization = db.session.get(Application, world.application_other2.id).organization
    assert organization.membership_number == f"GS-{year}-0002"
    assert db.session.get(MembershipCounter, year).last_number == 2


@pytest.mark.postgres
def test_the_same_new_email_applying_at_once_gets_one_account_and_the_same_answers(app, is_postgres, world):
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)
    clients = [world.client("visitor") for _ in range(6)]
    for client in clients:
        client.token  # noqa: B018  (the CSRF token, fetched before the race)

    statuses = in_threads(app, 6, lambda i: clients[i].post("/apply/city", APPLY).status_code)
    assert statuses == [303] * 6  # the same answer for each, whether it made the account or not
    assert count(User, User.email == "twin@kcg.example") == 1


COMMITTEE = {"name": "Audit Committee", "code": "AC", "description": "", "chair_organization_id": None,
             "chair_person": None, "term_start": None, "term_end": None}


@pytest.fixture
def twins(app, is_postgres, world):
    """Run work(i) in four threads at once; every one must answer (a result or the domain's error:
    an unhandled error leaves no result)."""
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)

    def run(work, errors=()):
        results = in_threads(app, 4, work, errors=errors)
        assert len(results) == 4, results
        db.session.expire_all()
        return results
    return run


def test_twin_committees_answer_with_a_message(twins, world):
    staff_id = world.users["secretariat"].id
    results = twins(lambda i: minutes_services.create_committee(dict(COMMITTEE), db.session.get(User, staff_id)).id,
                    errors=(minutes_services.MinutesError,))
    assert sum(isinstance(r, int) for r in results) == 1 and count(Committee, Committee.code == "AC") == 1


def test_twin_committee_seats_answer_with_a_message(twins, world):
    staff_id, committee_id, organization_id = world.users["secretariat"].id, world.committee.id, world.org_b.id
    results = twins(lambda i: minutes_services.add_member(db.session.get(Committee, committee_id),
                                                          db.session.get(User, staff_id),
                                                          organization_id=organization_id).id,
                    errors=(minutes_services.MinutesError,))
    assert sum(isinstance(r, int) for r in results) == 1


def test_twin_door_assignments_record_one(twins, world):
    staff_id, door_id, assembly_id = world.users["secretariat"].id, world.extra_door_staff.id, world.other_assembly.id
    twins(lambda i: checkin.assign(db.session.get(Assembly, assembly_id), db.session.get(User, door_id),
                                   db.session.get(User, staff_id)))
    assert count(AuditEntry, AuditEntry.action == "checkin.door_staff_assigned") == 1


def test_twin_profile_saves_keep_one_set_of_topics(twins, world):
    rep_id, organization_id = world.users["rep_a"].id, world.org_a.id
    world.org_a.member_visible_fields = ["website"]
    db.session.commit()
    same = {"topics": ["water", "energy"], "visible": ["website"], "listed_publicly": True}  # only the topics change
    twins(lambda i: directory.update_profile(db.session.get(Organization, organization_id), dict(same),
                                             db.session.get(User, rep_id)))
    assert sorted(db.session.scalars(select(OrganizationTopic.topic).where(
        OrganizationTopic.organization_id == organization_id))) == ["energy", "water"]


# --- 5. Representatives: approving never leaves a member without one ------------------------------

def _second_application(world):
    """The applicant of application_other2 with a second application, both submitted."""
    first = world.application_other2
    applicant = first.applicant
    second = members.start_application(Category.CITY, {"name": "Cebu City", "country": "PH",
                                                       "answers": {"topics": ["water"]}}, applicant=applicant)
    world._document(second, applicant)
    members.submit(second, applicant)
    return first, second


def test_approving_a_second_application_of_the_same_applicant_is_refused(world, outbox):
    first, second = _second_application(world)
    staff = world.client("secretariat")
    assert staff.post(f"/applications/{first.id}/approve", {}).status_code == 303
    organization_id = db.session.get(Application, first.id).organization_id
    detail = page(staff.get(f"/applications/{second.id}"))
    assert "already represents" in detail and f"/applications/{second.id}/approve" not in detail
    response = staff.post(f"/applications/{second.id}/approve", {})
    assert response.status_code == 303
    assert "without its representative" in page(staff.get(response.headers["Location"]))
    applicant = db.session.get(User, first.applicant_id)
    assert applicant.organization_id == organization_id and applicant.role == Role.REPRESENTATIVE
    assert db.session.get(Application, second.id).state == ApplicationState.SUBMITTED
    assert count(Organization, Organization.name == "Cebu City") == 0


@pytest.mark.postgres
def test_two_applications_of_one_applicant_approved_at_once_make_one_member(app, is_postgres, world):
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)
    first, second = _second_application(world)
    ids, staff_id = [first.id, second.id], world.users["secretariat"].id

    def approve(i):
        return members.approve(db.session.get(Application, ids[i % 2]), db.session.get(User, staff_id)).id

    results = in_threads(app, 2, approve, errors=(members.MembershipError,))
    db.session.expire_all()
    made = [r for r in results if isinstance(r, int)]
    assert len(made) == 1
    applicant = db.session.get(User, first.applicant_id)
    assert applicant.organization_id == made[0]
    assert count(Organization, Organization.name.in_(["Hsinchu City", "Cebu City"])) == 1
    for organization in db.session.scalars(select(Organization)):
        if organization.membership_number and organization.id not in (world.org_unlisted.id, world.org_suspended.id):
            assert organization.representatives, organization.name
