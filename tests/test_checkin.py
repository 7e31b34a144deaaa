"""Check-in at the door: every answer, idempotent retries, undo, races, access."""
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from gosmart.assemblies import services as registration
from gosmart.assemblies.models import Assembly, DoorAssignment, Registration
from gosmart.audit import AuditEntry
from gosmart.auth.models import Role, User
from gosmart.checkin import services
from gosmart.checkin.models import CheckInScan, Verdict
from gosmart.extensions import db

from .test_assemblies import NOW, make_assembly, person


@pytest.fixture
def door(users):
    assembly = make_assembly(capacity=2)
    rep = users[Role.REPRESENTATIVE]
    confirmed = registration.register(assembly, rep, **person(1))
    registration.register(assembly, rep, **person(2))
    waiting = registration.register(assembly, rep, **person(3))
    db.session.add(DoorAssignment(assembly_id=assembly.id, user_id=users[Role.DOOR_STAFF].id))
    db.session.commit()
    return {"assembly": assembly, "confirmed": confirmed, "waiting": waiting, "staff": users[Role.DOOR_STAFF]}


def scan(door, token=None, client_id=None, **kw):
    return services.check_in(door["assembly"], door["staff"], client_id or uuid.uuid4().hex, "Main entrance",
                             token=token, **kw)


def test_every_answer(door, users):
    confirmed, waiting = door["confirmed"], door["waiting"]
    first = scan(door, confirmed.checkin_token)
    assert first.verdict == Verdict.CHECKED_IN and first.registration.name == "Delegate 1"
    again = scan(door, confirmed.checkin_token)
    assert again.verdict == Verdict.ALREADY
    assert again.station == "Main entrance" and again.by == door["staff"].name and again.checked_in_at
    assert scan(door, waiting.checkin_token).verdict == Verdict.WAITING
    assert scan(door, "no-such-code").verdict == Verdict.UNKNOWN
    other = make_assembly(title="Forum")
    elsewhere = registration.register(other, users[Role.REPRESENTATIVE], **person(9))
    answer = scan(door, elsewhere.checkin_token)
    assert answer.verdict == Verdict.OTHER_ASSEMBLY and answer.registration is None
    registration.cancel_registration(db.session.get(Registration, waiting.id), users[Role.REPRESENTATIVE])
    assert scan(door, waiting.checkin_token).verdict == Verdict.CANCELLED
    entries = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("checkin.%"))).all()
    assert entries == ["checkin.checked_in"]


def test_a_retried_scan_gets_the_same_answer_and_counts_once(door):
    token, client_id = door["confirmed"].checkin_token, "station-1-scan-42"
    first = scan(door, token, client_id)
    retry = scan(door, token, client_id)
    assert first.verdict == retry.verdict == Verdict.CHECKED_IN and retry.replayed
    assert db.session.scalar(select(func.count(CheckInScan.id))) == 1
    assert services.live_count(door["assembly"]) == (1, 2)


def test_pick_by_name_search(door, make_client):
    client = make_client()
    client.login(door["staff"].email)
    url = f"/checkin/{door['assembly'].id}"
    fragment = client.get(url + "/search?q=delegate 1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Delegate 1" in fragment and "Delegate 3" not in fragment and "<html" not in fragment
    full = client.get(url + "/search?q=taipei").get_data(as_text=True)
    assert "<html" in full and "Delegate 1" in full and "Delegate 3" in full
    answer = scan(door, registration_id=door["confirmed"].id)
    assert answer.verdict == Verdict.CHECKED_IN


def test_scan_over_http_json_fragment_and_page(door, make_client):
    client = make_client()
    client.login(door["staff"].email)
    url = f"/checkin/{door['assembly'].id}"
    token = client.csrf_token(url)
    data = {"client_id": "abc123", "token": door["confirmed"].checkin_token, "csrf_token": token,
            "station": "Door A", "scanned_at": "2027-01-01T09:00:00.000Z"}
    as_json = client.post(url + "/scan", data=data, headers={"Accept": "application/json", "X-CSRFToken": token})
    assert as_json.get_json()["verdict"] == "checked_in" and as_json.get_json()["name"] == "Delegate 1"
    retry = client.post(url + "/scan", data=data, headers={"Accept": "application/json"})
    assert retry.get_json()["verdict"] == "checked_in" and retry.get_json()["replayed"] is True
    fragment = client.post(url + "/scan", data=dict(data, client_id="abc124"), headers={"HX-Request": "true"})
    assert "Already checked in" in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    page = client.post(url + "/scan", data=dict(data, client_id="abc125"))
    assert "Already checked in" in page.get_data(as_text=True) and "<html" in page.get_data(as_text=True)
    assert "Door A" in page.get_data(as_text=True)
    no_token = client.post(url + "/scan", data={"client_id": "x", "csrf_token": token},
                           headers={"Accept": "application/json"})
    assert no_token.status_code == 422
    count = client.get(url + "/count", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<strong>1</strong> / 2" in count


def test_a_boosted_link_to_the_screen_loads_it_fully_so_that_its_script_runs(door, make_client):
    client = make_client()
    client.login(door["staff"].email)
    url = f"/checkin/{door['assembly'].id}"
    boosted = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 204 and boosted.headers["HX-Redirect"] == url
    page = client.get(url).get_data(as_text=True)
    assert "js/checkin.js" in page and 'hx-boost="false"' in page


def test_check_in_needs_csrf(door, make_client):
    client = make_client()
    client.login(door["staff"].email)
    response = client.post(f"/checkin/{door['assembly'].id}/scan",
                           data={"client_id": "x", "token": door["confirmed"].checkin_token})
    assert response.status_code == 400
    assert db.session.get(Registration, door["confirmed"].id).checked_in_at is None


def test_undo_with_a_reason_by_the_secretariat(door, users, make_client):
    scan(door, door["confirmed"].checkin_token)
    with pytest.raises(services.CheckInError):
        services.undo(door["confirmed"], users[Role.SECRETARIAT], " ")
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    url = f"/checkin/{door['assembly'].id}/registrations/{door['confirmed'].id}/undo"
    assert staff.post_form(url, {"reason": "Wrong person"}).status_code == 303
    assert db.session.get(Registration, door["confirmed"].id).checked_in_at is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checkin.undone"))
    assert entry.details["reason"] == "Wrong person"
    assert scan(door, door["confirmed"].checkin_token).verdict == Verdict.CHECKED_IN
    door_client = make_client()
    door_client.login(door["staff"].email)
    assert door_client.post_form(url, {"reason": "x"}).status_code == 403


def test_no_shows_after_the_start_and_csv(door, users, make_client):
    secretariat = users[Role.SECRETARIAT]
    with pytest.raises(services.CheckInError):
        services.mark_no_shows(door["assembly"], secretariat)
    scan(door, door["confirmed"].checkin_token)
    assert services.mark_no_shows(door["assembly"], secretariat, now=NOW + timedelta(days=21)) == 1
    staff = make_client()
    staff.login(secretariat.email)
    rows = staff.get(f"/checkin/{door['assembly'].id}/checkins.csv").data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("registration,name") and "Main entrance" in rows[1] and rows[2].endswith("yes")


def test_door_staff_see_only_their_assemblies(door, users, make_user, make_client):
    other = make_assembly(title="Another meeting")
    client = make_client()
    client.login(door["staff"].email)
    index = client.get("/checkin/").get_data(as_text=True)
    assert "General Assembly 2027" in index and "Another meeting" not in index
    assert client.get(f"/checkin/{other.id}").status_code == 404
    assert client.post_form(f"/checkin/{other.id}/scan", {"client_id": "x", "token": "y"}).status_code == 404
    assert client.get(f"/checkin/{other.id}/search?q=del").status_code == 404
    for path in ("/directory/export.csv", "/assemblies/", f"/assemblies/{other.id}", "/members/", "/applications/"):
        assert client.get(path).status_code == 403, path


def test_the_check_in_request_issues_a_fixed_number_of_queries(door, users, make_client):
    rep = users[Role.REPRESENTATIVE]
    big = make_assembly(capacity=500, quota=500, title="Big")
    big_tokens = [registration.register(big, rep, **person(100 + i)).checkin_token for i in range(60)]
    staff = make_client()
    staff.login(users[Role.SECRETARIAT].email)
    counter = {"n": 0}

    def before(*args, **kwargs):
        counter["n"] += 1

    def queries(assembly_id, token):
        csrf = staff.csrf_token("/checkin/")
        counter["n"] = 0
        response = staff.post(f"/checkin/{assembly_id}/scan", data={
            "client_id": uuid.uuid4().hex, "token": token, "csrf_token": csrf}, headers={"Accept": "application/json"})
        assert response.status_code == 200
        return counter["n"]

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        small = queries(door["assembly"].id, door["confirmed"].checkin_token)
        large = queries(big.id, big_tokens[30])
        already = queries(big.id, big_tokens[30])
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert small == large and already <= large + 1 and large <= 10


@pytest.mark.postgres
@pytest.mark.parametrize("stations", [2, 8])
def test_concurrent_scans_of_one_ticket_give_exactly_one_check_in(app, is_postgres, door, stations):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: run make test with GOSMART_TEST_POSTGRES_URL set")
    barrier = threading.Barrier(stations)
    token, assembly_id, staff_id = door["confirmed"].checkin_token, door["assembly"].id, door["staff"].id
    verdicts = []

    def run(i):
        with app.app_context():
            barrier.wait()
            verdicts.append(services.check_in(db.session.get(Assembly, assembly_id), db.session.get(User, staff_id),
                                              f"station-{i}", f"Station {i}", token=token).verdict)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(stations)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert verdicts.count(Verdict.CHECKED_IN) == 1
    assert verdicts.count(Verdict.ALREADY) == stations - 1
