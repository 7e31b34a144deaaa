"""Committees, and editing minutes: revisions, the difference view, the stale-save
conflict (with the typed text kept), autosave, bad input."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from gosmart.audit import AuditEntry
from gosmart.auth.models import Role
from gosmart.extensions import db
from gosmart.minutes import services
from gosmart.minutes.models import Committee, CommitteeMember, Meeting, Minutes, MinutesRevision

from .test_assemblies import make_assembly
from .minutes_fixtures import (  # noqa: F401  (fixtures)
    committee, count, draft, form_post, in_threads, needs_postgres, revision_count, save, secretariat, signed_in,
    taipei,
)


def actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def staff(make_client, secretariat):
    return signed_in(make_client, secretariat)


# --- Committees ---------------------------------------------------------------------------

def test_secretariat_creates_a_committee_whose_chair_sits_on_it(staff, taipei):
    response = staff.post_form("/committees/new", {
        "name": "Strategy Committee", "code": "sc", "description": "Sets the strategy.",
        "chair_organization_id": str(taipei.id), "chair_person": "", "term_start": "2019-03-27",
        "term_end": "2021-03-26"}, page="/committees/new")
    assert response.status_code == 303
    committee = db.session.scalar(select(Committee))
    assert response.headers["Location"] == f"/committees/{committee.id}"
    assert (committee.code, committee.chair_name, str(committee.term_end)) == ("SC", "Taipei City", "2021-03-26")
    assert [m.name for m in committee.members] == ["Taipei City"]
    assert "committee.created" in actions()
    page = text(staff.get(response.headers["Location"]))
    assert "Strategy Committee" in page and "Taipei City" in page


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "This field is required."),
    ("code", "S-C", "Use up to 10 letters and digits"),
    ("code", "ABCDEFGHIJK", "Field cannot be longer than 10 characters."),
    ("chair_person", "Jane Doe", "an organization or a person, not both"),
    ("term_end", "2018-01-01", "cannot end before it starts"),
    ("term_start", "27/03/2019", "Not a valid date value."),
    ("chair_organization_id", "999999", "Not a valid choice."),
])
def test_bad_committee_input_is_refused_with_a_message_and_nothing_is_written(staff, taipei, field, value, message):
    data = {"name": "Strategy Committee", "code": "SC", "chair_organization_id": str(taipei.id),
            "chair_person": "", "term_start": "2019-03-27", "term_end": "2021-03-26"}
    data[field] = value
    response = staff.post_form("/committees/new", data, page="/committees/new")
    assert response.status_code == 422
    assert message in text(response)
    assert 'value="Strategy Committee"' in text(response) or field == "name"
    assert count(Committee) == 0 and count(CommitteeMember) == 0


def test_a_second_committee_cannot_take_the_same_code_or_name(staff, committee):
    for name, code in (("Other", "SC"), ("strategy committee", "OC")):
        response = staff.post_form("/committees/new", {"name": name, "code": code}, page="/committees/new")
        assert response.status_code == 422
        assert "already has this name or code" in text(response)
    assert count(Committee) == 1


def test_committee_is_edited(staff, committee):
    url = f"/committees/{committee.id}/edit"
    assert 'value="SC"' in text(staff.get(url))
    response = staff.post_form(url, {"name": "Strategy Committee", "code": "STRAT", "chair_organization_id": "",
                                     "chair_person": "Dr. Ada Lin", "term_start": "", "term_end": ""}, page=url)
    assert response.status_code == 303
    committee = db.session.get(Committee, committee.id)
    assert (committee.code, committee.chair_name, committee.term_start) == ("STRAT", "Dr. Ada Lin", None)
    assert [m.name for m in committee.members] == ["Taipei City", "Dr. Ada Lin"]  # not twice
    assert "committee.updated" in actions()


def test_members_are_added_once_and_removed(staff, committee, organization):
    url = f"/committees/{committee.id}"
    kaohsiung = organization(name="Kaohsiung City", number="GS-2019-0002")
    assert staff.post_form(url + "/members", {"organization_id": str(kaohsiung.id)}, page=url).status_code == 303
    again = staff.post_form(url + "/members", {"organization_id": str(kaohsiung.id)}, page=url)
    assert again.status_code == 422 and "already on this committee" in text(again)
    both = staff.post_form(url + "/members", {"organization_id": str(kaohsiung.id), "person_name": "X"}, page=url)
    assert both.status_code == 422 and "one of the two" in text(both)
    assert [m.name for m in db.session.get(Committee, committee.id).members] == [
        "Taipei City", "Dr. Ada Lin", "Kaohsiung City"]
    member = db.session.scalar(select(CommitteeMember).where(CommitteeMember.organization_id == kaohsiung.id))
    assert staff.post_form(f"{url}/members/{member.id}/remove", page=url).status_code == 303
    assert count(CommitteeMember) == 2
    assert actions().count("committee.member_added") == 2 and "committee.member_removed" in actions()


def test_removing_a_member_of_another_committee_is_404(staff, committee, secretariat):
    other = services.create_committee({"name": "Preparation and Advisory Commission", "code": "PAC"}, secretariat)
    member = committee.members[0]
    response = staff.post_form(f"/committees/{other.id}/members/{member.id}/remove", page="/committees/")
    assert response.status_code == 404
    assert count(CommitteeMember) == 2


def test_a_new_meeting_starts_draft_minutes_with_the_committee_present(staff, committee):
    url = f"/committees/{committee.id}"
    response = staff.post_form(url + "/meetings", {"held_on": "2019-03-27", "place": "Taipei City Hall"}, page=url)
    minutes = db.session.scalar(select(Minutes))
    assert response.status_code == 303 and response.headers["Location"] == f"/minutes/{minutes.id}/edit"
    assert (minutes.state, minutes.current_revision, minutes.meeting.place) == ("draft", 1, "Taipei City Hall")
    assert [(a["name"], a["status"]) for a in minutes.content["attendance"]] == [
        ("Taipei City", "present"), ("Dr. Ada Lin", "present")]
    assert revision_count(minutes) == 1 and "minutes.created" in actions()


def test_a_meeting_held_at_an_assembly_links_to_it(staff, committee, users, make_client):
    assembly = make_assembly(title="First General Assembly")
    url = f"/committees/{committee.id}"
    assert "First General Assembly" in text(staff.get(url))  # offered in the new meeting's form
    response = staff.post_form(url + "/meetings", {"held_on": "2019-06-19", "place": "TICC",
                                                   "assembly_id": str(assembly.id)}, page=url)
    assert response.status_code == 303
    minutes = db.session.scalar(select(Minutes))
    assert minutes.meeting.assembly_id == assembly.id
    assert f'href="/assemblies/{assembly.id}">First General Assembly</a>' in text(staff.get(f"/minutes/{minutes.id}"))


@pytest.mark.parametrize("data, message", [
    ({"held_on": "", "place": "Taipei"}, "Give the date"),
    ({"held_on": "2019-02-30", "place": "Taipei"}, "Not a valid date value."),
    ({"held_on": "2019-03-27", "place": ""}, "This field is required."),
    ({"held_on": "2019-03-27", "place": "Taipei", "assembly_id": "999999"}, "This assembly does not exist."),
    ({"held_on": "2019-03-27", "place": "Taipei", "assembly_id": "first"}, "Invalid Choice"),
])
def test_bad_meeting_input_is_refused_and_nothing_is_written(staff, committee, data, message):
    url = f"/committees/{committee.id}"
    response = staff.post_form(url + "/meetings", data, page=url)
    assert response.status_code == 422 and message in text(response)
    assert count(Meeting) == 0 and count(Minutes) == 0


# --- Saving and revisions ---------------------------------------------------------------------

def test_every_save_is_a_revision_with_author_time_and_full_snapshot(draft, secretariat):
    saved = save(draft, secretariat, resolutions=["Taipei City chairs the committee for two years."],
                 action_items=[("Announce the chair", "Secretariat", date(2019, 4, 30), "open")],
                 guests="Jane Doe (LGAQ)\n\n")
    assert saved.current == 2 and draft.current_revision == 2
    revision = db.session.scalar(select(MinutesRevision).where(MinutesRevision.number == 2))
    assert revision.author_id == secretariat.id and revision.created_at is not None and revision.kind == "saved"
    assert revision.content == draft.content
    assert revision.content["guests"] == ["Jane Doe (LGAQ)"]
    assert revision.content["resolutions"] == [{"number": None, "text": "Taipei City chairs the committee for two years."}]
    assert revision.content["action_items"][0]["due_on"] == "2019-04-30"
    assert "two years" in draft.search_text and "jane doe" in draft.search_text


def test_a_save_without_changes_makes_no_revision(draft, secretariat):
    save(draft, secretariat)
    again = save(draft, secretariat)
    assert again.revision is None and again.current == 2
    assert revision_count(draft) == 2


def test_attendance_is_kept_only_for_committee_members_under_their_names(draft, secretariat):
    rows = services.attendance_rows(draft)
    attendance = [{"member": rows[0]["member"], "status": "excused"}, {"member": 999999, "status": "present"},
                  {"member": rows[0]["member"], "status": "absent"}, {"member": rows[1]["member"], "status": "late"}]
    save(draft, secretariat, attendance=attendance)
    assert draft.content["attendance"] == [{"member": rows[0]["member"], "name": "Taipei City", "status": "excused"}]


def test_members_who_join_later_appear_in_the_attendance_form(draft, committee, secretariat, organization):
    services.add_member(committee, secretariat, organization_id=organization(name="Tainan City", number="GS-9").id)
    assert [row["name"] for row in services.attendance_rows(db.session.get(Minutes, draft.id))] == [
        "Taipei City", "Dr. Ada Lin", "Tainan City"]


def test_the_edit_page_and_the_save_as_full_page_and_as_fragment(staff, draft):
    url = f"/minutes/{draft.id}/edit"
    page = staff.get(url)
    assert page.status_code == 200 and "<html" in text(page) and 'id="based_on" name="based_on" value="1"' in text(page)
    assert "Taipei City" in text(page) and "Dr. Ada Lin" in text(page)
    fragment = staff.post_form(url, form_post(draft, items=[("Opening", "Welcome.")]), page=url,
                               headers={"HX-Request": "true"})
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body
    assert "Saved as revision 2." in body and 'value="2"' in body and "Welcome." in body
    assert "HX-Request" in fragment.headers["Vary"]
    full = staff.post_form(url, form_post(draft, based_on=2, items=[("Opening", "Welcome, all.")]), page=url)
    assert full.status_code == 303 and full.headers["Location"] == url
    assert "Saved as revision 3." in text(staff.get(url))
    assert db.session.get(Minutes, draft.id).content["items"] == [{"title": "Opening", "discussion": "Welcome, all."}]


@pytest.mark.parametrize("change, message", [
    ({"held_on": "2019-13-45"}, "Not a valid date value."),
    ({"place": ""}, "This field is required."),
    ({"items-0-title": ""}, "Give this agenda item a title."),
    ({"items-0-discussion": "x" * 20001}, "Field cannot be longer than 20000 characters."),
    ({"action_items-0-description": "Write to LGAQ", "action_items-0-owner": ""}, "Name who will do it."),
    ({"action_items-0-owner": "Secretariat"}, "Say what is to be done."),
    ({"action_items-0-description": "Write", "action_items-0-owner": "Sec", "action_items-0-due_on": "soon"},
     "Not a valid date value."),
    ({"attendance-0-status": "asleep"}, "Not a valid choice."),
    ({"based_on": ""}, "Not saved"),
])
def test_bad_input_is_refused_with_a_message_the_text_kept_and_nothing_written(staff, draft, change, message):
    url = f"/minutes/{draft.id}/edit"
    data = form_post(draft, items=[("Election of the chair", "Typed but not saved.")])
    data.update(change)
    response = staff.post_form(url, data, page=url)
    assert response.status_code == 422
    body = text(response)
    assert message in body
    assert "Not saved: please correct the fields marked below." in body
    assert "Typed but not saved." in body or "items-0-discussion" in change
    assert revision_count(draft) == 1 and db.session.get(Minutes, draft.id).current_revision == 1


def test_a_resolution_number_cannot_be_forged_in_the_form(draft, secretariat):
    save(draft, secretariat, resolutions=[("SC-2019-07", "Forged number.")])
    assert draft.content["resolutions"] == [{"number": None, "text": "Forged number."}]


def test_extra_fields_are_ignored(staff, draft):
    url = f"/minutes/{draft.id}/edit"
    staff.post_form(url, dict(form_post(draft), state="published", audience="public", current_revision="99"),
                    page=url)
    minutes = db.session.get(Minutes, draft.id)
    assert (minutes.state, minutes.audience, minutes.current_revision) == ("draft", None, 2)


# --- The stale save -----------------------------------------------------------------------------

def test_a_stale_save_is_refused_shows_what_changed_and_keeps_the_typed_text(
        draft, secretariat, make_user, make_client):
    first = signed_in(make_client, secretariat)
    second_user = make_user(Role.SECRETARIAT, "sec2@example.org", name="Second Secretary")
    second = signed_in(make_client, second_user)
    url = f"/minutes/{draft.id}/edit"
    assert 'value="1"' in text(first.get(url)) and 'value="1"' in text(second.get(url))

    saved = second.post_form(url, form_post(draft, items=[("Election of the chair", "Text of the second.")]),
                             page=url)
    assert saved.status_code == 303
    stale = first.post_form(url, form_post(draft, based_on=1, items=[("Election of the chair", "Text of the first.")]),
                            page=url)

    assert stale.status_code == 409
    body = text(stale)
    assert "Not saved: these minutes changed while you were editing" in body
    assert "Second Secretary saved revision 2" in body
    assert re.search(r'class="diff-line diff-insert".*?Text of the second\.', body, re.S)  # what changed
    assert re.search(r"<textarea[^>]*>\s*Text of the first\.</textarea>", body)  # the typed text, kept
    assert 'id="based_on" name="based_on" value="2"' in body  # a new save knowingly replaces revision 2
    minutes = db.session.get(Minutes, draft.id)
    assert minutes.current_revision == 2 and revision_count(minutes) == 2
    assert minutes.content["items"][0]["discussion"] == "Text of the second."

    merged = first.post_form(url, form_post(minutes, based_on=2, items=[
        ("Election of the chair", "Text of the second. Text of the first.")]), page=url)
    assert merged.status_code == 303
    assert db.session.get(Minutes, draft.id).content["items"][0]["discussion"] == "Text of the second. Text of the first."


def test_the_stale_save_conflict_as_an_htmx_fragment(staff, draft, secretariat):
    save(draft, secretariat, items=[("Election of the chair", "Saved elsewhere.")])
    url = f"/minutes/{draft.id}/edit"
    response = staff.post_form(url, form_post(draft, based_on=1, items=[("Election", "Mine <b>bold</b>")]),
                               page=url, headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 409 and "<html" not in body
    assert "Saved elsewhere." in body and "Mine &lt;b&gt;bold&lt;/b&gt;" in body and "<b>bold" not in body


def test_a_stale_save_through_the_service_writes_nothing(draft, secretariat):
    save(draft, secretariat, items=[("A", "first")])
    with pytest.raises(services.StaleRevision) as refused:
        save(draft, secretariat, based_on=1, items=[("A", "second")])
    assert (refused.value.based_on, refused.value.current.number) == (1, 2)
    minutes = db.session.get(Minutes, draft.id)
    assert minutes.content["items"] == [{"title": "A", "discussion": "first"}] and revision_count(minutes) == 2


@pytest.mark.postgres
def test_concurrent_saves_on_the_same_revision_let_exactly_one_through(app, is_postgres, draft, secretariat):
    needs_postgres(is_postgres)
    minutes_id, actor_id = draft.id, secretariat.id

    def edit(i):
        minutes = db.session.get(Minutes, minutes_id)
        return save(minutes, db.session.get(type(secretariat), actor_id), based_on=1, items=[("Item", f"by {i}")])

    results = in_threads(app, 8, edit)
    saved = [r for r in results if isinstance(r, services.Saved)]
    assert len(saved) == 1
    assert sum(isinstance(r, services.StaleRevision) for r in results) == 7
    db.session.rollback()  # read what the threads committed
    minutes = db.session.get(Minutes, minutes_id)
    assert minutes.current_revision == 2 and revision_count(minutes) == 2
    assert minutes.content == db.session.scalar(select(MinutesRevision.content).where(MinutesRevision.number == 2))


# --- Autosave ------------------------------------------------------------------------------------

def test_autosave_saves_a_revision_and_moves_the_form_to_it(staff, draft):
    url = f"/minutes/{draft.id}/autosave"
    response = staff.post_form(url, form_post(draft, items=[("Opening", "Typed so far")]),
                               page=f"/minutes/{draft.id}/edit", headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="autosave_status"' in body and "Draft saved automatically" in body and "(revision 2)" in body
    assert 'id="based_on" name="based_on" value="2" hx-swap-oob="true"' in body
    revision = db.session.scalar(select(MinutesRevision).where(MinutesRevision.number == 2))
    assert revision.kind == "autosaved" and revision.content["items"][0]["discussion"] == "Typed so far"


def test_autosave_without_changes_saves_nothing(staff, draft):
    response = staff.post_form(f"/minutes/{draft.id}/autosave", form_post(draft, items=[]),
                               page=f"/minutes/{draft.id}/edit", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "All changes saved." in text(response)
    assert 'value="1" hx-swap-oob="true"' in text(response)
    assert revision_count(draft) == 1


def test_autosave_of_bad_input_saves_nothing_and_says_so(staff, draft):
    response = staff.post_form(f"/minutes/{draft.id}/autosave", form_post(draft, held_on="soon"),
                               page=f"/minutes/{draft.id}/edit", headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Not saved automatically" in text(response)
    assert "hx-swap-oob" not in text(response)
    assert revision_count(draft) == 1


def test_a_stale_autosave_is_refused_and_says_so_without_touching_the_form(staff, draft, secretariat):
    save(draft, secretariat, items=[("A", "elsewhere")])
    response = staff.post_form(f"/minutes/{draft.id}/autosave", form_post(draft, based_on=1, items=[("A", "mine")]),
                               page=f"/minutes/{draft.id}/edit", headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 409 and "saved revision 2 meanwhile" in body and "your text stays" in body
    assert "hx-swap-oob" not in body and "<textarea" not in body
    assert db.session.get(Minutes, draft.id).content["items"][0]["discussion"] == "elsewhere"


def test_autosave_without_htmx_is_a_plain_save_with_a_full_page(staff, draft):
    url = f"/minutes/{draft.id}/autosave"
    response = staff.post_form(url, form_post(draft, items=[("Opening", "No JavaScript")]),
                               page=f"/minutes/{draft.id}/edit")
    assert response.status_code == 303 and response.headers["Location"] == f"/minutes/{draft.id}/edit"
    assert db.session.get(Minutes, draft.id).current_revision == 2


def test_autosave_status_is_wired_to_the_form(staff, draft):
    page = text(staff.get(f"/minutes/{draft.id}/edit"))
    assert f'hx-post="/minutes/{draft.id}/autosave"' in page
    assert 'hx-trigger="input delay:3s from:closest form"' in page
    assert 'hx-sync="closest form:queue last"' in page and 'hx-sync="this:queue last"' in page


# --- History and differences -------------------------------------------------------------------

def test_history_lists_every_revision_with_author_and_kind(staff, draft, secretariat):
    save(draft, secretariat, items=[("A", "one")])
    save(draft, secretariat, items=[("A", "two")])
    page = text(staff.get(f"/minutes/{draft.id}/history"))
    for n in (1, 2, 3):
        assert f"/minutes/{draft.id}/revisions/{n}" in page
    assert page.count(f"UTC · {secretariat.name}") == 3 and "Created" in page and "Saved" in page


def test_the_difference_of_a_revision_with_the_one_before_as_page_and_fragment(staff, draft, secretariat):
    save(draft, secretariat, items=[("Opening", "Line one\nLine two")])
    save(draft, secretariat, items=[("Opening", "Line one\nLine 2 <script>alert(1)</script>")])
    url = f"/minutes/{draft.id}/revisions/3"
    full = text(staff.get(url))
    fragment = staff.get(url, headers={"HX-Request": "true"})
    body = text(fragment)
    assert "<html" in full and "<html" not in body and fragment.status_code == 200
    assert re.search(r'diff-delete".*?Line two', body, re.S)
    assert re.search(r'diff-insert".*?Line 2 &lt;script&gt;alert\(1\)&lt;/script&gt;', body, re.S)
    assert "<script>alert" not in body and "compared with revision 2" in body
    first = text(staff.get(f"/minutes/{draft.id}/revisions/1", headers={"HX-Request": "true"}))
    assert "the first revision" in first and "Taipei City" in first
    assert staff.get(f"/minutes/{draft.id}/revisions/4").status_code == 404


def test_diff_between_any_revision_and_the_one_before(draft, secretariat):
    save(draft, secretariat, items=[("A", "\n".join(f"line {i}" for i in range(20)))])
    save(draft, secretariat, items=[("A", "\n".join(f"line {i}" if i != 10 else "changed" for i in range(20)))])
    revision, previous, hunks = services.compare_with_previous(draft, 3)
    assert (revision.number, previous.number, len(hunks)) == (3, 2, 1)
    changed = [(line.op, line.text) for line in hunks[0] if line.op != "equal"]
    assert changed == [("delete", "line 10"), ("insert", "changed")]
    assert len(hunks[0]) == 2 + 3 + 3  # three lines of context on each side
    assert services.compare_with_previous(draft, 9) is None
