"""Minutes: draft → approved (locked) → published, reopening with a reason, audit
entries, and resolution numbers (sequential per committee and year, never reused,
unique under concurrent approval)."""
from datetime import date

import pytest
from sqlalchemy import select

from gosmart.audit import AuditEntry
from gosmart.auth.models import Role, User
from gosmart.extensions import db
from gosmart.minutes import services
from gosmart.minutes.models import Minutes, MinutesRevision, MinutesState as S, Resolution

from .minutes_fixtures import (  # noqa: F401  (fixtures)
    committee, count, draft, form_post, in_threads, needs_postgres, revision_count, save, secretariat, signed_in,
    taipei,
)

CHAIR = "Taipei City is the first chair of the committee, for a two-year term."
LGAQ = "The committee notes the MOU with the Local Government Association of Queensland (LGAQ)."


def audit_of(minutes):
    return [(e.action, e.details) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "Minutes", AuditEntry.object_id == str(minutes.id))
        .order_by(AuditEntry.id))]


@pytest.fixture
def written(draft, secretariat):
    save(draft, secretariat, resolutions=[CHAIR, LGAQ])
    return draft


@pytest.fixture
def approved(written, secretariat):
    services.approve(written, written.current_revision, secretariat)
    return written


# --- The lifecycle ---------------------------------------------------------------------------

def test_draft_approved_published_each_step_audited(written, secretariat):
    numbers = services.approve(written, 2, secretariat)
    assert numbers == ["SC-2019-01", "SC-2019-02"]
    assert (written.state, written.current_revision, written.approved_by_id) == ("approved", 3, secretariat.id)
    assert [r["number"] for r in written.content["resolutions"]] == numbers
    approval = db.session.scalar(select(MinutesRevision).where(MinutesRevision.number == 3))
    assert approval.kind == "approved" and approval.content == written.content
    services.publish(written, "members", secretariat)
    assert (written.state, written.audience) == ("published", "members")
    services.publish(written, "public", secretariat)
    assert written.audience == "public"
    services.reopen(written, "A typo in resolution 2.", secretariat)
    assert (written.state, written.audience, written.reopen_reason) == ("draft", None, "A typo in resolution 2.")
    log = audit_of(written)
    assert [action for action, _ in log] == ["minutes.created", "minutes.approve", "minutes.publish",
                                             "minutes.publish", "minutes.reopen"]
    assert log[1][1]["numbers"] == numbers and log[1][1]["to"] == "approved"
    assert log[3][1] == {"from": "published", "to": "published", "audience": "public", "previous_audience": "members"}
    assert log[4][1]["reason"] == "A typo in resolution 2."


def test_approved_minutes_are_locked(approved, secretariat, make_client):
    with pytest.raises(services.MinutesLocked):
        save(approved, secretariat, items=[("Changed", "after approval")])
    staff = signed_in(make_client, secretariat)
    url = f"/minutes/{approved.id}/edit"
    response = staff.get(url)
    assert response.status_code == 303 and response.headers["Location"] == f"/minutes/{approved.id}"
    assert "locked; reopen them" in staff.get(response.headers["Location"]).get_data(as_text=True)
    posted = staff.post_form(url, form_post(approved, based_on=3, items=[("Changed", "x")]), page="/committees/")
    assert posted.status_code == 303
    autosave = staff.post_form(f"/minutes/{approved.id}/autosave", form_post(approved, based_on=3),
                               page="/committees/", headers={"HX-Request": "true"})
    assert autosave.status_code == 409 and "locked" in autosave.get_data(as_text=True)
    minutes = db.session.get(Minutes, approved.id)
    assert minutes.state == "approved" and minutes.current_revision == 3
    assert minutes.content["items"][0]["title"] == "Election of the chair"


def test_a_save_racing_the_approval_is_refused_as_locked(written, secretariat):
    assert written.state == "draft"  # as this request loaded it
    with db.engine.begin() as connection:  # then approved by another request
        connection.execute(Minutes.__table__.update().values(state="approved"))
    with pytest.raises(services.MinutesLocked, match="approved meanwhile"):
        services.save(written, {"held_on": date(2019, 3, 27), "place": "x", "items": [{"title": "Late"}]},
                      2, secretariat)
    assert db.session.get(Minutes, written.id).current_revision == 2 and revision_count(written) == 2


ALLOWED = {"approve": {S.DRAFT}, "publish": {S.APPROVED, S.PUBLISHED}, "reopen": {S.APPROVED, S.PUBLISHED}}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("state", list(S))
def test_every_transition_allowed_or_refused_without_change(action, state, written, secretariat):
    db.session.execute(Minutes.__table__.update().values(state=state, audience="members" if state == S.PUBLISHED
                                                         else None))
    db.session.commit()
    db.session.refresh(written)
    operation = {"approve": lambda: services.approve(written, written.current_revision, secretariat),
                 "publish": lambda: services.publish(written, "public", secretariat),
                 "reopen": lambda: services.reopen(written, "because", secretariat)}[action]
    if state in ALLOWED[action]:
        operation()
        assert written.state == services.TRANSITIONS[action].target
    else:
        with pytest.raises(services.MinutesError, match="You cannot"):
            operation()
        db.session.rollback()
        assert db.session.get(Minutes, written.id).state == state
        assert not [a for a, _ in audit_of(written) if a != "minutes.created"]


def test_approval_is_of_the_revision_the_approver_saw(written, secretariat):
    save(written, secretariat, resolutions=[CHAIR, LGAQ, "A third, added meanwhile."])
    with pytest.raises(services.MinutesError, match="saved again \\(revision 3\\)"):
        services.approve(written, 2, secretariat)
    minutes = db.session.get(Minutes, written.id)
    assert minutes.state == "draft" and count(Resolution) == 0


def test_approval_needs_an_agenda_item(draft, secretariat):
    with pytest.raises(services.MinutesError, match="at least one agenda item"):
        services.approve(draft, 1, secretariat)
    assert db.session.get(Minutes, draft.id).state == "draft"


def test_reopening_needs_a_reason(approved, secretariat):
    with pytest.raises(services.MinutesError, match="reason"):
        services.reopen(approved, "  ", secretariat)
    assert db.session.get(Minutes, approved.id).state == "approved"


def test_publishing_twice_to_the_same_audience_is_refused(approved, secretariat):
    services.publish(approved, "members", secretariat)
    with pytest.raises(services.MinutesError, match="already published to members"):
        services.publish(approved, "members", secretariat)


def test_the_secretariat_approves_publishes_and_reopens_through_http(written, secretariat, make_client):
    staff = signed_in(make_client, secretariat)
    url = f"/minutes/{written.id}"
    page = staff.get(url).get_data(as_text=True)
    assert 'name="revision" value="2"' in page
    approved = staff.post_form(url + "/approve", {"revision": "2"}, page=url)
    assert approved.status_code == 303
    assert "Resolutions SC-2019-01, SC-2019-02." in staff.get(url).get_data(as_text=True)
    assert '<option selected value="members">' in staff.get(url).get_data(as_text=True)
    assert staff.post_form(url + "/publish", {"audience": "members"}, page=url).status_code == 303
    assert db.session.get(Minutes, written.id).audience == "members"
    assert '<option selected value="public">' in staff.get(url).get_data(as_text=True)  # the other audience
    bad = staff.post_form(url + "/publish", {"audience": "everyone"}, page=url)
    assert bad.status_code == 303 and db.session.get(Minutes, written.id).audience == "members"
    no_reason = staff.post_form(url + "/reopen", {"reason": " "}, page=url)
    assert no_reason.status_code == 303
    assert "Give the reason" in staff.get(url).get_data(as_text=True)
    assert db.session.get(Minutes, written.id).state == "published"
    reopened = staff.post_form(url + "/reopen", {"reason": "Wrong date"}, page=url)
    assert reopened.status_code == 303 and reopened.headers["Location"] == url + "/edit"
    assert db.session.get(Minutes, written.id).state == "draft"


def test_a_stale_approval_through_http_is_refused(written, secretariat, make_client):
    staff = signed_in(make_client, secretariat)
    url = f"/minutes/{written.id}"
    staff.post_form(url + "/approve", {"revision": "1"}, page=url)
    assert "saved again (revision 2)" in staff.get(url).get_data(as_text=True)
    assert db.session.get(Minutes, written.id).state == "draft"


@pytest.mark.parametrize("role", [Role.REPRESENTATIVE, Role.HONORARY, Role.DOOR_STAFF, Role.APPLICANT])
def test_only_the_secretariat_changes_the_state(role, approved, users, make_client):
    other = signed_in(make_client, users[role])
    url = f"/minutes/{approved.id}"
    for action, data in (("/reopen", {"reason": "x"}), ("/publish", {"audience": "public"}),
                         ("/approve", {"revision": "3"}), ("/edit", {}), ("/autosave", {})):
        assert other.post_form(url + action, data).status_code == 403, action
    assert db.session.get(Minutes, approved.id).state == "approved"


# --- Resolution numbers ------------------------------------------------------------------------

def test_resolution_numbers_are_sequential_per_committee_and_year_and_never_reused(
        approved, committee, secretariat):
    # Reopened, the second resolution is dropped and a new one added: the new one gets 03, not 02.
    services.reopen(approved, "Resolution 2 was withdrawn.", secretariat)
    first = approved.content["resolutions"][0]
    save(approved, secretariat, resolutions=[(first["number"], first["text"]), "A new resolution."])
    assert services.approve(approved, approved.current_revision, secretariat) == ["SC-2019-03"]
    assert [r["number"] for r in approved.content["resolutions"]] == ["SC-2019-01", "SC-2019-03"]
    # Another meeting the same year continues the sequence; the next year starts again.
    later = services.create_minutes(committee, date(2019, 11, 5), "Online", secretariat)
    save(later, secretariat, held_on=date(2019, 11, 5), resolutions=["Later in 2019."])
    assert services.approve(later, later.current_revision, secretariat) == ["SC-2019-04"]
    next_year = services.create_minutes(committee, date(2020, 1, 10), "Online", secretariat)
    save(next_year, secretariat, held_on=date(2020, 1, 10), resolutions=["In 2020."])
    assert services.approve(next_year, next_year.current_revision, secretariat) == ["SC-2020-01"]
    # Another committee has its own sequence.
    other = services.create_committee({"name": "Preparation and Advisory Commission", "code": "PAC"}, secretariat)
    theirs = services.create_minutes(other, date(2019, 6, 19), "Taipei", secretariat)
    save(theirs, secretariat, held_on=date(2019, 6, 19), resolutions=["PAC's first."])
    assert services.approve(theirs, theirs.current_revision, secretariat) == ["PAC-2019-01"]
    assert sorted(db.session.scalars(select(Resolution.number))) == [
        "PAC-2019-01", "SC-2019-01", "SC-2019-02", "SC-2019-03", "SC-2019-04", "SC-2020-01"]


def test_a_reopened_resolution_keeps_its_number(approved, secretariat):
    services.reopen(approved, "Wording.", secretariat)
    rows = approved.content["resolutions"]
    save(approved, secretariat, resolutions=[(rows[0]["number"], rows[0]["text"] + " Amended."),
                                              (rows[1]["number"], rows[1]["text"])])
    assert services.approve(approved, approved.current_revision, secretariat) == []
    assert [r["number"] for r in approved.content["resolutions"]] == ["SC-2019-01", "SC-2019-02"]
    assert approved.content["resolutions"][0]["text"].endswith("Amended.")


def test_resolution_numbers_have_two_digits_then_grow(committee, secretariat):
    numbers = [services.next_resolution_number(committee, 2019) for _ in range(3)]
    db.session.commit()
    assert numbers == ["SC-2019-01", "SC-2019-02", "SC-2019-03"]


@pytest.mark.postgres
def test_concurrent_approvals_never_share_a_resolution_number(app, is_postgres, committee, secretariat):
    needs_postgres(is_postgres)
    ids = []
    for day in range(1, 9):
        minutes = services.create_minutes(committee, date(2019, 5, day), "Taipei", secretariat)
        save(minutes, secretariat, held_on=date(2019, 5, day), resolutions=[f"First of {day}", f"Second of {day}"])
        ids.append(minutes.id)
    actor_id = secretariat.id

    def approve(i):
        minutes = db.session.get(Minutes, ids[i])
        return services.approve(minutes, minutes.current_revision, db.session.get(User, actor_id))

    results = in_threads(app, 8, approve)
    assert all(isinstance(r, list) and len(r) == 2 for r in results), results
    given = sorted(n for numbers in results for n in numbers)
    assert given == [f"SC-2019-{n:02d}" for n in range(1, 17)]
    for numbers in results:  # each minutes got two numbers in a row
        assert int(numbers[1][-2:]) == int(numbers[0][-2:]) + 1
    db.session.rollback()
    assert sorted(db.session.scalars(select(Resolution.number))) == given


@pytest.mark.postgres
def test_double_approval_at_the_same_moment_approves_once(app, is_postgres, written, make_user, secretariat):
    needs_postgres(is_postgres)
    other = make_user(Role.SECRETARIAT, "sec2@example.org")
    staff, minutes_id = [secretariat.id, other.id], written.id

    def approve(i):
        return services.approve(db.session.get(Minutes, minutes_id), 2, db.session.get(User, staff[i % 2]))

    results = in_threads(app, 6, approve)
    assert sum(isinstance(r, list) for r in results) == 1
    assert sum(isinstance(r, services.MinutesError) for r in results) == 5
    db.session.rollback()
    assert count(Resolution) == 2 and revision_count(written) == 3
    assert sorted(db.session.scalars(select(Resolution.number))) == ["SC-2019-01", "SC-2019-02"]
