"""Assemblies, registration, quotas, capacity, the waiting list, e-tickets."""
import html
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from gosmart.assemblies import services
from gosmart.assemblies.models import Assembly, BadgeSheet, QuotaUse, Registration
from gosmart.audit import AuditEntry
from gosmart.auth.models import Role, User
from gosmart.extensions import db
from gosmart.members.models import MemberStatus

from .concurrency import in_threads
from .test_directory import count_queries  # noqa: F401  (fixture)

NOW = datetime.now(timezone.utc)


def make_assembly(capacity=10, quota=3, opens=NOW - timedelta(days=1), closes=NOW + timedelta(days=10), **kw):
    assembly = Assembly(kind="general_assembly", title=kw.pop("title", "General Assembly 2027"), timezone="Asia/Taipei",
                        starts_at=NOW + timedelta(days=20), ends_at=NOW + timedelta(days=20, hours=8),
                        venue="TICC", city="Taipei", capacity=capacity, registration_opens_at=opens,
                        registration_closes_at=closes, delegate_quota=quota, confirmed_count=0, **kw)
    db.session.add(assembly)
    db.session.commit()
    return assembly


@pytest.fixture
def assembly(app):
    return make_assembly()


@pytest.fixture
def rep(users):
    return users[Role.REPRESENTATIVE]


def person(i, **kw):
    return dict(name=f"Delegate {i}", email=f"d{i}@taipei.example", role="delegate", **kw)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def states(assembly):
    return [r.state for r in db.session.scalars(select(Registration).where(
        Registration.assembly_id == assembly.id).order_by(Registration.id))]


# --- Quota and capacity ------------------------------------------------------------------

def test_quota_is_enforced_and_freed_by_cancellation(assembly, rep, outbox):
    for i in range(3):
        services.register(assembly, rep, **person(i))
    with pytest.raises(services.RegistrationError, match="quota of 3"):
        services.register(assembly, rep, **person(3))
    assert count(Registration) == 3
    first = db.session.scalars(select(Registration).order_by(Registration.id)).first()
    services.cancel_registration(first, rep)
    assert services.quota_used(assembly, rep.organization_id) == 2
    services.register(assembly, rep, **person(4))
    assert services.quota_used(assembly, rep.organization_id) == 3


def test_capacity_fills_then_waiting_list_in_order_and_promotion(users, make_user, organization, outbox):
    assembly = make_assembly(capacity=2, quota=5)
    rep = users[Role.REPRESENTATIVE]
    regs = [services.register(assembly, rep, **person(i)) for i in range(4)]
    assert states(assembly) == ["confirmed", "confirmed", "waiting", "waiting"]
    assert db.session.get(Assembly, assembly.id).confirmed_count == 2
    assert outbox[2].subject.startswith("Waiting list")
    services.cancel_registration(regs[0], rep)
    assert states(assembly) == ["cancelled", "confirmed", "confirmed", "waiting"]
    promoted = [m for m in outbox if m.subject.startswith("A place is free")]
    assert promoted and promoted[0].recipients == ["d2@taipei.example"]
    assert promoted[0].attachments and promoted[0].attachments[0].content_type == "application/pdf"
    # Cancelling someone waiting frees no place.
    services.cancel_registration(regs[3], rep)
    assert states(assembly) == ["cancelled", "confirmed", "confirmed", "cancelled"]
    assert db.session.get(Assembly, assembly.id).confirmed_count == 2


def test_raising_the_capacity_admits_the_waiting_list(users):
    assembly = make_assembly(capacity=1, quota=5)
    rep, secretariat = users[Role.REPRESENTATIVE], users[Role.SECRETARIAT]
    for i in range(3):
        services.register(assembly, rep, **person(i))
    data = {name: getattr(assembly, name) for name in services.ASSEMBLY_FIELDS}
    services.save_assembly(assembly, dict(data, capacity=2), secretariat)
    assert states(assembly) == ["confirmed", "confirmed", "waiting"]


def test_secretariat_adds_guests_outside_quota_and_overrides_capacity_with_a_reason(users):
    assembly = make_assembly(capacity=1)
    secretariat = users[Role.SECRETARIAT]
    services.register(assembly, secretariat, name="Guest", email="g@x.example", role="guest")
    waiting = services.register(assembly, secretariat, name="Speaker", email="s@x.example", role="speaker")
    assert waiting.state == "waiting"
    with pytest.raises(services.RegistrationError, match="reason"):
        services.register(assembly, secretariat, name="VIP", email="v@x.example", role="speaker", override_reason=" ")
    vip = services.register(assembly, secretariat, name="VIP", email="v@x.example", role="speaker",
                            override_reason="Keynote speaker")
    assert vip.state == "confirmed" and vip.outside_quota
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == str(vip.id)))
    assert entry.details["capacity_override"] == "Keynote speaker"


def test_honorary_members_register_themselves(users):
    assembly = make_assembly()
    honorary = users[Role.HONORARY]
    registration = services.register(assembly, honorary, name="ignored", email="ignored@x.example", role="delegate")
    assert (registration.name, registration.email, registration.role) == (honorary.name, honorary.email,
                                                                         "honorary_member")
    assert registration.user_id == honorary.id and registration.organization_id is None
    closed = make_assembly(title="Committee", honorary_may_register=False)
    with pytest.raises(services.RegistrationError):
        services.register(closed, honorary, name="x", email="x@x.example", role="delegate")


# --- Refusals: nothing written --------------------------------------------------------------

@pytest.mark.parametrize("case", ["before_window", "after_window", "cancelled", "duplicate", "suspended",
                                  "observer_not_allowed", "door_staff", "applicant"])
def test_refused_registrations_write_nothing(users, case, outbox):
    rep = users[Role.REPRESENTATIVE]
    kwargs = {}
    if case == "before_window":
        kwargs = dict(opens=NOW + timedelta(hours=1))
    elif case == "after_window":
        kwargs = dict(closes=NOW - timedelta(seconds=1))
    elif case == "observer_not_allowed":
        kwargs = dict(observers_allowed=False)
    assembly = make_assembly(**kwargs)
    actor = rep
    data = person(1)
    if case == "cancelled":
        services.cancel_assembly(assembly, users[Role.SECRETARIAT], "Typhoon")
    elif case == "duplicate":
        services.register(assembly, rep, **person(1))
        data = person(2, )
        data["email"] = "D1@taipei.example"
    elif case == "suspended":
        rep.organization.status = MemberStatus.SUSPENDED
        db.session.commit()
    elif case == "observer_not_allowed":
        data["role"] = "observer"
    elif case == "door_staff":
        actor = users[Role.DOOR_STAFF]
    elif case == "applicant":
        actor = users[Role.APPLICANT]
    before = (count(Registration), services.quota_used(assembly, rep.organization_id),
              db.session.get(Assembly, assembly.id).confirmed_count, len(outbox))
    with pytest.raises(services.RegistrationError):
        services.register(assembly, actor, **data)
    after = (count(Registration), services.quota_used(assembly, rep.organization_id),
             db.session.get(Assembly, assembly.id).confirmed_count, len(outbox))
    assert before == after


def test_window_boundaries_in_the_venues_time_zone(users):
    rep = users[Role.REPRESENTATIVE]
    opens = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)
    closes = datetime(2027, 2, 10, 9, 0, tzinfo=timezone.utc)
    assembly = make_assembly(opens=opens, closes=closes)
    assert not assembly.registration_open(opens - timedelta(microseconds=1))
    assert assembly.registration_open(opens)
    assert assembly.registration_open(closes - timedelta(microseconds=1))
    assert not assembly.registration_open(closes)
    with pytest.raises(services.RegistrationError):
        services.register(assembly, rep, now=closes, **person(1))
    services.register(assembly, rep, now=opens, **person(1))
    # 09:00 in Taipei is 01:00 UTC: the form's local time is converted with the venue's zone.
    local = datetime(2027, 1, 10, 9, 0)
    assert services.local_to_utc(local, "Asia/Taipei") == datetime(2027, 1, 10, 1, 0, tzinfo=timezone.utc)
    assert services.local_to_utc(local, "Europe/Paris") == datetime(2027, 1, 10, 8, 0, tzinfo=timezone.utc)


def test_changes_only_until_registration_closes(users):
    rep = users[Role.REPRESENTATIVE]
    assembly = make_assembly()
    registration = services.register(assembly, rep, **person(1))
    after_close = assembly.registration_closes_at + timedelta(minutes=1)
    with pytest.raises(services.RegistrationError):
        services.cancel_registration(registration, rep, now=after_close)
    with pytest.raises(services.RegistrationError):
        services.update_registration(registration, rep, dict(person(1), name="Late"), now=after_close)
    assert db.session.get(Registration, registration.id).state == "confirmed"


# --- Tickets --------------------------------------------------------------------------------

def test_confirmation_email_carries_a_ticket_pdf_with_the_token(assembly, rep, outbox):
    registration = services.register(assembly, rep, **person(1, title="Commissioner"))
    assert len(registration.checkin_token) >= 22  # at least 128 bits of randomness
    message = outbox[-1]
    assert message.recipients == ["d1@taipei.example"] and message.subject.startswith("Your e-ticket")
    pdf = message.attachments[0].data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Delegate 1" in text and "Taipei City" in text and registration.checkin_token in text.replace("\n", "")


def test_tokens_are_unique_and_reissue_invalidates_the_old_one(assembly, rep, outbox):
    registrations = [services.register(assembly, rep, **person(i)) for i in range(3)]
    tokens = {r.checkin_token for r in registrations}
    assert len(tokens) == 3
    old = registrations[0].checkin_token
    services.reissue_token(registrations[0], rep)
    assert registrations[0].checkin_token != old
    assert db.session.scalar(select(Registration).where(Registration.checkin_token == old)) is None
    assert "new ticket" in outbox[-1].body


def test_ticket_pdf_download_and_badge_sheet(assembly, rep, users, make_client):
    registration = services.register(assembly, rep, **person(1))
    client = make_client()
    client.login(rep.email)
    response = client.get(f"/assemblies/{assembly.id}/registrations/{registration.id}/ticket.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment")
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    url = f"/assemblies/{assembly.id}/badges"
    assert staff.post_form(url, page=url).status_code == 303  # the task runs inline in the tests
    sheet = db.session.scalar(select(BadgeSheet))
    badges = staff.get(f"{url}/{sheet.id}.pdf")
    assert badges.headers["Content-Disposition"].startswith("attachment")
    text = PdfReader(io.BytesIO(badges.data)).pages[0].extract_text()
    assert "Delegate 1" in text


# --- Access: another organization's delegates ---------------------------------------------------

def test_a_representative_cannot_see_or_change_another_organizations_delegates(
        assembly, rep, organization, make_user, make_client):
    registration = services.register(assembly, rep, **person(1))
    paris = organization(name="Paris", country="FR", number="GS-2019-0099")
    other = make_client()
    other.login(make_user(Role.REPRESENTATIVE, "rep@paris.example", organization=paris).email)
    base = f"/assemblies/{assembly.id}/registrations/{registration.id}"
    assert other.get(base + "/ticket.pdf").status_code == 404
    assert other.get(base + "/edit").status_code == 404
    assert other.post_form(base + "/cancel").status_code == 404
    assert other.post_form(base + "/reissue").status_code == 404
    page = other.get(f"/assemblies/{assembly.id}").get_data(as_text=True)
    assert "Delegate 1" not in page
    fragment = other.get(f"/assemblies/{assembly.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Delegate 1" not in fragment
    assert other.get(f"/assemblies/{assembly.id}/registrations").status_code == 403
    assert db.session.get(Registration, registration.id).state == "confirmed"


def test_registering_through_http_full_page_and_fragment(assembly, rep, make_client):
    client = make_client()
    client.login(rep.email)
    url = f"/assemblies/{assembly.id}"
    response = client.post_form(url, dict(person(1), organization_id="999", state="cancelled"), page=url)
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert registration.organization_id == rep.organization_id and registration.state == "confirmed"
    page = client.get(url).get_data(as_text=True)
    assert "Quota: 1 of 3 used" in page and "Delegate 1" in page
    token = client.csrf_token(url)
    bad = client.post(url, data=dict(person(2), email="nope", csrf_token=token), headers={"HX-Request": "true"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<html" not in body and "Invalid email address." in body
    assert count(Registration) == 1


def test_secretariat_registration_list_filters_and_csv(assembly, rep, users, make_client):
    for i in range(2):
        services.register(assembly, rep, **person(i))
    services.register(assembly, users[Role.SECRETARIAT], name="=cmd()", email="g@x.example", role="guest")
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    fragment = staff.get(f"/assemblies/{assembly.id}/registrations?role=guest",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "=cmd()" in fragment and "Delegate 0" not in fragment and "<html" not in fragment
    csv = staff.get(f"/assemblies/{assembly.id}/registrations.csv").data.decode("utf-8-sig")
    assert "'=cmd()" in csv and "Delegate 1" in csv


def test_the_registration_list_filters_by_the_organization_s_name_or_membership_number(assembly, rep, users,
                                                                                        make_client):
    services.register(assembly, rep, **person(0))
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    url = f"/assemblies/{assembly.id}/registrations"
    for typed, found in (("taipei", True), ("gs-2019-0001", True), ("Kaohsiung", False), ("%", False)):
        page = staff.get(url, query_string={"organization": typed}, headers={"HX-Request": "true"})
        assert page.status_code == 200 and ("Delegate 0" in page.get_data(as_text=True)) == found, typed


def test_the_registration_list_is_paged_by_id_and_a_later_page_costs_what_the_first_does(users, make_client,
                                                                                        count_queries):
    assembly = make_assembly(capacity=200, quota=200)
    db.session.add_all([Registration(assembly_id=assembly.id, name=f"Guest {i:03d}", email=f"g{i}@x.example",
                                     role="guest", state="confirmed", checkin_token=f"token-{i}")
                        for i in range(120)])
    db.session.commit()
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    url = f"/assemblies/{assembly.id}/registrations?state=confirmed"
    names = []
    queries = []
    while url:
        count_queries["n"] = 0
        page = staff.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        queries.append(count_queries["n"])
        names += re.findall(r"<td>(Guest \d{3})<br>", page)
        found = re.search(r'href="([^"]+)"[^>]*rel="next"', page)
        url = html.unescape(found.group(1)) if found else None
        assert url is None or "state=confirmed" in url  # the filter goes along
    assert names == [f"Guest {i:03d}" for i in range(120)]  # every one once, in order, 50 a page
    assert len(queries) == 3 and len(set(queries)) == 1
    assert staff.get(f"/assemblies/{assembly.id}/registrations?after=x").status_code == 200  # ignored


def test_cancelling_an_assembly_notifies_every_registrant(assembly, rep, users, outbox):
    for i in range(2):
        services.register(assembly, rep, **person(i))
    outbox.clear()
    services.cancel_assembly(assembly, users[Role.SECRETARIAT], "Typhoon warning")
    assert sorted(m.recipients[0] for m in outbox) == ["d0@taipei.example", "d1@taipei.example"]
    assert all("Typhoon warning" in m.body for m in outbox)


def test_assembly_form_validates_and_saves_in_venue_time(users, make_client):
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    data = {"kind": "forum", "title": "Smart City Forum", "timezone": "Europe/Paris", "venue": "Station F",
            "city": "Paris", "capacity": "100", "delegate_quota": "2", "starts_at": "2027-05-10T09:00",
            "ends_at": "2027-05-10T08:00", "registration_opens_at": "2027-04-01T09:00",
            "registration_closes_at": "2027-05-01T18:00"}
    bad = staff.post_form("/assemblies/new", data, page="/assemblies/new")
    assert bad.status_code == 422 and "The end must come after the start." in bad.get_data(as_text=True)
    assert count(Assembly) == 0
    good = staff.post_form("/assemblies/new", dict(data, ends_at="2027-05-10T18:00"), page="/assemblies/new")
    assert good.status_code == 303
    saved = db.session.scalar(select(Assembly))
    assert saved.local(saved.starts_at).strftime("%H:%M") == "09:00"
    assert services.local_to_utc(datetime(2027, 5, 10, 9), "Europe/Paris").hour == 7


# --- Concurrency on PostgreSQL ---------------------------------------------------------------

@pytest.mark.postgres
def test_50_threads_for_the_last_5_places_give_exactly_5_confirmed(app, is_postgres, users):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    assembly = make_assembly(capacity=5)
    secretariat_id, assembly_id = users[Role.SECRETARIAT].id, assembly.id

    def work(i):
        return services.register(db.session.get(Assembly, assembly_id), db.session.get(User, secretariat_id),
                                 name=f"Guest {i}", email=f"g{i}@x.example", role="guest").state

    results = in_threads(app, 50, work, errors=(services.RegistrationError,))
    db.session.expire_all()  # the threads wrote; read afresh
    assert results.count("confirmed") == 5 and results.count("waiting") == 45
    assert count(Registration, Registration.assembly_id == assembly_id, Registration.state == "confirmed") == 5
    assert db.session.get(Assembly, assembly_id).confirmed_count == 5


@pytest.mark.postgres
def test_20_threads_of_one_organization_never_exceed_its_quota(app, is_postgres, users):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    assembly = make_assembly(capacity=100, quota=3)
    rep_id, assembly_id = users[Role.REPRESENTATIVE].id, assembly.id

    def work(i):
        return services.register(db.session.get(Assembly, assembly_id), db.session.get(User, rep_id),
                                 **person(i)).state

    results = in_threads(app, 20, work, errors=(services.RegistrationError,))
    db.session.expire_all()
    assert results.count("confirmed") == 3
    assert sum(isinstance(r, services.RegistrationError) for r in results) == 17
    assert count(Registration, Registration.assembly_id == assembly_id) == 3
    assert db.session.scalar(select(QuotaUse.used)) == 3
