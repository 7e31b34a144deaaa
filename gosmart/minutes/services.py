"""Committees, meetings and their minutes: saving with revisions, approval with
resolution numbers, publication, search, and the safe rendering of minutes text.

The minutes' content is one JSON document, saved whole (and snapshotted whole in
every revision):

    {"held_on": "2019-03-27", "place": "Taipei City Hall",
     "attendance": [{"member": <CommitteeMember.id>, "name": "Taipei City", "status": "present"}],
     "guests": ["Jane Doe (LGAQ)"],
     "items": [{"title": "Election of the chair", "discussion": "<Markdown>"}],
     "resolutions": [{"number": "SC-2019-01" or null until approval, "text": "..."}],
     "action_items": [{"description": "...", "owner": "...", "due_on": "2019-04-30" or null,
                       "status": "open" or "done"}]}

Two rules carry the safety of the feature:
- A save names the revision it was based on, and succeeds only through one guarded
  UPDATE (… WHERE current_revision = :based_on AND state = 'draft'); otherwise it is
  refused with StaleRevision (or MinutesLocked) and nothing is written.
- Resolution numbers come from one guarded UPDATE on a counter row per committee and
  year, at approval, and are recorded in a register with a unique constraint.
"""
import difflib
from dataclasses import dataclass
from datetime import date

import markdown
import nh3
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markdown.extensions import Extension
from markupsafe import Markup
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, defer, joinedload, selectinload

from .. import audit
from ..assemblies.models import Assembly
from ..audit import utcnow
from ..extensions import db
from ..members.models import MemberStatus, Organization
from ..queries import contains, insert_ignoring_conflict
from .models import (
    ActionStatus, Audience, AttendanceStatus, Committee, CommitteeMember, Meeting, Minutes, MinutesRevision,
    MinutesState as S, Resolution, ResolutionCounter, RevisionKind,
)


class MinutesError(Exception):
    """A refused operation; the message is for the user."""


class MinutesLocked(MinutesError):
    """The minutes are no longer a draft: approved minutes are locked until reopened."""


class StaleRevision(MinutesError):
    """The save was based on an older revision than the current one."""

    def __init__(self, based_on, current):
        super().__init__(_("Someone else saved these minutes while you were editing."))
        self.based_on = based_on
        self.current = current  # the current MinutesRevision


# --- Minutes text: Markdown, sanitized -------------------------------------------------

class _RawHtmlAsText(Extension):
    """Raw HTML typed into the text is shown as text: it never reaches the page as markup."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


# The allowlist: what Markdown itself produces for text, lists, quotes, code and links.
# No images (they would load from anywhere), no attributes but a link's href and title,
# so no on* handlers, no hx-* / data-hx-* attributes, no style, no class.
ALLOWED_TAGS = {"p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
                "h1", "h2", "h3", "h4", "h5", "h6", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text):
    """Minutes text (Markdown) as HTML that is safe to put in a page or a PDF.

    The one place where user text becomes Markup: Markdown renders it with raw HTML
    escaped, then nh3 keeps only ALLOWED_TAGS / ALLOWED_ATTRIBUTES and links with an
    http(s) or mailto address (so no javascript: links); nh3 also sets rel on links,
    so rel="attachment" cannot make the PDF renderer embed anything. Templates put
    the result in an element with hx-disable, a second guard against htmx attributes."""
    html = markdown.markdown(text or "", extensions=["sane_lists", _RawHtmlAsText()], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow", strip_comments=True)
    return Markup(clean)  # noqa: S704 - sanitized just above, by the allowlist


# --- Committees -------------------------------------------------------------------------

def committees():
    """Every committee with its number of members and meetings (three queries in all)."""
    members = (select(func.count(CommitteeMember.id)).where(CommitteeMember.committee_id == Committee.id)
               .scalar_subquery())
    meetings = select(func.count(Meeting.id)).where(Meeting.committee_id == Committee.id).scalar_subquery()
    rows = db.session.execute(
        select(Committee, members, meetings).options(joinedload(Committee.chair_organization))
        .order_by(Committee.name)).all()
    return [(committee, n_members, n_meetings) for committee, n_members, n_meetings in rows]


def organization_choices():
    """(id, name) of the active member organizations, for chairs and seats."""
    return db.session.execute(
        select(Organization.id, Organization.name).where(Organization.status == MemberStatus.ACTIVE)
        .order_by(Organization.name, Organization.id)).all()


def _active_organization(organization_id):
    organization = db.session.get(Organization, organization_id) if organization_id else None
    if organization_id and (organization is None or organization.status != MemberStatus.ACTIVE):
        raise MinutesError(_("Choose an active member organization."))
    return organization


def _check_committee(data, committee=None):
    same = select(Committee.id).where(or_(func.lower(Committee.name) == data["name"].lower(),
                                          Committee.code == data["code"]))
    if committee is not None:
        same = same.where(Committee.id != committee.id)
    if db.session.scalar(same.limit(1)):
        raise MinutesError(_("Another committee already has this name or code."))
    if data.get("chair_organization_id") and data.get("chair_person"):
        raise MinutesError(_("The chair is an organization or a person, not both."))
    return _active_organization(data.get("chair_organization_id"))


def _apply_committee(committee, data, chair):
    committee.name = data["name"]
    committee.code = data["code"]
    committee.description = data.get("description") or None
    committee.chair_organization_id = chair.id if chair else None
    committee.chair_person = None if chair else (data.get("chair_person") or None)
    committee.term_start = data.get("term_start")
    committee.term_end = data.get("term_end")
    # The chair sits on the committee, and so is listed in the attendance.
    if chair and not any(m.organization_id == chair.id for m in committee.members):
        committee.members.append(CommitteeMember(organization_id=chair.id))
    elif committee.chair_person and not any(m.person_name == committee.chair_person for m in committee.members):
        committee.members.append(CommitteeMember(person_name=committee.chair_person))


def _flush_committee():
    """Write; the unique name and code answer a concurrent twin (a double click) with the message."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise MinutesError(_("Another committee already has this name or code.")) from None


def create_committee(data, actor):
    chair = _check_committee(data)
    committee = Committee()
    _apply_committee(committee, data, chair)
    db.session.add(committee)
    _flush_committee()
    audit.record("committee.created", committee, actor=actor, details={"code": committee.code})
    db.session.commit()
    return committee


def update_committee(committee, data, actor):
    chair = _check_committee(data, committee)
    before = {"name": committee.name, "code": committee.code, "chair": committee.chair_name}
    _apply_committee(committee, data, chair)
    _flush_committee()
    audit.record("committee.updated", committee, actor=actor,
                 details={"before": before, "after": {"name": committee.name, "code": committee.code,
                                                      "chair": chair.name if chair else committee.chair_person}})
    db.session.commit()


def add_member(committee, actor, organization_id=None, person_name=None):
    if bool(organization_id) == bool(person_name):
        raise MinutesError(_("Choose a member organization or write a person's name (one of the two)."))
    organization = _active_organization(organization_id)
    for member in committee.members:
        if (organization and member.organization_id == organization.id) or (
                person_name and (member.person_name or "").lower() == person_name.lower()):
            raise MinutesError(_("%(name)s is already on this committee.", name=member.name))
    member = CommitteeMember(organization_id=organization.id if organization else None,
                             person_name=None if organization else person_name)
    committee.members.append(member)
    try:
        db.session.flush()
    except IntegrityError:  # the same organization added at the same moment (a double click)
        db.session.rollback()
        raise MinutesError(_("%(name)s is already on this committee.",
                             name=organization.name if organization else person_name)) from None
    audit.record("committee.member_added", committee, actor=actor, details={"member": member.name})
    db.session.commit()
    return member


def remove_member(member, actor):
    """Off the committee from now on; past minutes keep the name in their attendance."""
    committee = member.committee
    audit.record("committee.member_removed", committee, actor=actor, details={"member": member.name})
    committee.members.remove(member)
    db.session.commit()


def meetings_of(committee):
    """The committee's meetings, newest first, each with its minutes."""
    return db.session.scalars(
        select(Meeting).where(Meeting.committee_id == committee.id)
        .options(selectinload(Meeting.minutes)).order_by(Meeting.held_on.desc(), Meeting.id.desc())).all()


# --- Minutes content ---------------------------------------------------------------------

def new_content(committee, held_on, place):
    """The first revision: the meeting, and every committee member, present until told otherwise."""
    return {"held_on": held_on.isoformat(), "place": place,
            "attendance": [{"member": m.id, "name": m.name, "status": str(AttendanceStatus.PRESENT)}
                           for m in committee.members],
            "guests": [], "items": [], "resolutions": [], "action_items": []}


def attendance_rows(minutes):
    """The attendance to show in the form: as recorded, then committee members added since."""
    rows = [dict(row) for row in minutes.content.get("attendance", [])]
    recorded = {row["member"] for row in rows}
    rows += [{"member": m.id, "name": m.name, "status": str(AttendanceStatus.PRESENT)}
             for m in minutes.committee.members if m.id not in recorded]
    return rows


def clean_content(data, minutes):
    """The content to save from the (validated) form data.

    Only the attendance of committee members (now or as recorded) is kept, under their
    recorded names; a resolution keeps its number only if these minutes gave it that
    number; empty rows are dropped."""
    previous = minutes.content or {}
    names = {row["member"]: row["name"] for row in previous.get("attendance", [])}
    names.update({m.id: m.name for m in minutes.committee.members})
    attendance, seen = [], set()
    for row in data.get("attendance", []):
        member = row.get("member")
        if member in names and member not in seen and row.get("status") in set(AttendanceStatus):
            attendance.append({"member": member, "name": names[member], "status": row["status"]})
            seen.add(member)
    numbers = {r["number"] for r in previous.get("resolutions", []) if r.get("number")}
    resolutions = []
    for row in data.get("resolutions", []):
        if not row.get("text"):
            continue
        number = row.get("number") if row.get("number") in numbers else None
        numbers.discard(number)  # each number once
        resolutions.append({"number": number, "text": row["text"]})
    return {
        "held_on": data["held_on"].isoformat(),
        "place": data["place"],
        "attendance": attendance,
        "guests": [line.strip() for line in (data.get("guests") or "").splitlines() if line.strip()],
        "items": [{"title": row.get("title") or "", "discussion": row.get("discussion") or ""}
                  for row in data.get("items", []) if row.get("title") or row.get("discussion")],
        "resolutions": resolutions,
        "action_items": [{"description": row["description"], "owner": row.get("owner") or "",
                          "due_on": row["due_on"].isoformat() if row.get("due_on") else None,
                          "status": row.get("status") if row.get("status") in set(ActionStatus) else "open"}
                         for row in data.get("action_items", []) if row.get("description")],
    }


def content_lines(content):
    """The content as lines of plain text: what the differences are computed on."""
    lines = [f"{_('Date')}: {content.get('held_on', '')}", f"{_('Place')}: {content.get('place', '')}", "",
             f"# {_('Attendance')}"]
    for row in content.get("attendance", []):
        lines.append(f"- {row['name']}: {AttendanceStatus(row['status']).label}")
    if content.get("guests"):
        lines += ["", f"# {_('Guests')}"] + [f"- {guest}" for guest in content["guests"]]
    for n, item in enumerate(content.get("items", []), 1):
        lines += ["", f"# {n}. {item['title']}"] + item["discussion"].splitlines()
    if content.get("resolutions"):
        lines += ["", f"# {_('Resolutions')}"]
        for row in content["resolutions"]:
            label = row.get("number") or _("(numbered at approval)")
            text = row["text"].splitlines() or [""]
            lines += [f"{label}: {text[0]}"] + text[1:]
    if content.get("action_items"):
        lines += ["", f"# {_('Action items')}"]
        for row in content["action_items"]:
            lines.append(f"- {row['description']} — {row['owner']}, {_('due')} {row.get('due_on') or '—'}, "
                         f"{ActionStatus(row['status']).label}")
    return lines


def plain_text(content):
    """The words of the minutes, without labels: what the search looks in."""
    parts = [content.get("place", "")] + [row["name"] for row in content.get("attendance", [])]
    parts += content.get("guests", [])
    for item in content.get("items", []):
        parts += [item["title"], item["discussion"]]
    for row in content.get("resolutions", []):
        parts += [row.get("number") or "", row["text"]]
    for row in content.get("action_items", []):
        parts += [row["description"], row["owner"]]
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class DiffLine:
    op: str  # "equal", "delete" or "insert"
    old: int | None  # line numbers, from 1
    new: int | None
    text: str


def diff(old_content, new_content, context=3):
    """Hunks of DiffLine between two contents (plain data: the template escapes the text)."""
    old, new = content_lines(old_content or {}), content_lines(new_content or {})
    hunks = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(context):
        hunk = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                hunk += [DiffLine("equal", i + 1, j1 + k + 1, old[i]) for k, i in enumerate(range(i1, i2))]
                continue
            if tag in ("delete", "replace"):
                hunk += [DiffLine("delete", i + 1, None, old[i]) for i in range(i1, i2)]
            if tag in ("insert", "replace"):
                hunk += [DiffLine("insert", None, j + 1, new[j]) for j in range(j1, j2)]
        hunks.append(hunk)
    return hunks


# --- Lifecycle ----------------------------------------------------------------------------

def create_minutes(committee, held_on, place, actor, assembly_id=None):
    """A meeting (held at the assembly `assembly_id`, if given) and its draft minutes, revision 1."""
    if assembly_id is not None and db.session.get(Assembly, assembly_id) is None:
        raise MinutesError(_("This assembly does not exist."))
    meeting = Meeting(committee=committee, held_on=held_on, place=place, assembly_id=assembly_id)
    content = new_content(committee, held_on, place)
    minutes = Minutes(meeting=meeting, state=S.DRAFT, content=content, current_revision=1,
                      search_text=plain_text(content).lower())
    db.session.add_all([meeting, minutes])
    db.session.flush()
    db.session.add(MinutesRevision(minutes_id=minutes.id, number=1, kind=RevisionKind.CREATED, content=content,
                                   author_id=actor.id))
    audit.record("minutes.created", minutes, actor=actor,
                 details={"committee": committee.code, "held_on": held_on.isoformat()})
    db.session.commit()
    return minutes


@dataclass(frozen=True)
class Saved:
    revision: MinutesRevision | None  # None: the content was already the current one
    current: int  # the revision the editor is now based on


def save(minutes, data, based_on, actor, autosave=False):
    """Save the form's content as a new revision, if it was based on the current one.

    Content equal to the current revision saves nothing (an autosave while idle)."""
    if not minutes.is_draft:
        raise MinutesLocked(_("These minutes are %(state)s and locked; the secretariat can reopen them.",
                              state=minutes.state_label.lower()))
    content = clean_content(data, minutes)
    if content == minutes.content:
        return Saved(None, minutes.current_revision)
    changed = db.session.execute(
        update(Minutes)
        .where(Minutes.id == minutes.id, Minutes.state == S.DRAFT, Minutes.current_revision == based_on)
        .values(current_revision=based_on + 1, content=content, search_text=plain_text(content).lower(),
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        _refuse_stale_save(minutes, based_on)
    db.session.refresh(minutes)
    meeting = minutes.meeting
    meeting.held_on, meeting.place = data["held_on"], data["place"]
    revision = MinutesRevision(minutes_id=minutes.id, number=based_on + 1, content=content, author_id=actor.id,
                               kind=RevisionKind.AUTOSAVED if autosave else RevisionKind.SAVED)
    db.session.add(revision)
    db.session.commit()
    return Saved(revision, revision.number)


def _refuse_stale_save(minutes, based_on):
    db.session.refresh(minutes)
    if not minutes.is_draft:
        raise MinutesLocked(_("These minutes were %(state)s meanwhile and are locked; your text is not saved.",
                              state=minutes.state_label.lower()))
    raise StaleRevision(based_on, revision(minutes, minutes.current_revision))


@dataclass(frozen=True)
class Transition:
    sources: tuple
    target: S
    label: str


TRANSITIONS = {
    "approve": Transition((S.DRAFT,), S.APPROVED, _l("approve")),
    "publish": Transition((S.APPROVED, S.PUBLISHED), S.PUBLISHED, _l("publish")),
    "reopen": Transition((S.APPROVED, S.PUBLISHED), S.DRAFT, _l("reopen")),
}


def _transition(minutes, action, values, guard=()):
    """Move the minutes by one guarded UPDATE (… WHERE state = the state we saw); returns that state."""
    rule = TRANSITIONS[action]
    seen = minutes.state
    if seen not in rule.sources:
        raise MinutesError(_("You cannot %(action)s minutes that are %(state)s.",
                             action=rule.label, state=minutes.state_label.lower()))
    changed = db.session.execute(
        update(Minutes).where(Minutes.id == minutes.id, Minutes.state == seen, *guard)
        .values(state=rule.target, **values).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise MinutesError(_("These minutes were changed by someone else meanwhile; reload the page."))
    db.session.refresh(minutes)
    return seen


def next_resolution_number(committee, year):
    """<code>-<year>-<2 digits>: sequential per committee and year, never reused, unique
    under concurrency (one guarded UPDATE on the counter row, which the database serializes)."""
    db.session.execute(insert_ignoring_conflict(ResolutionCounter.__table__, ["committee_id", "year"],
                                                committee_id=committee.id, year=year, last_number=0))
    number = db.session.execute(
        update(ResolutionCounter)
        .where(ResolutionCounter.committee_id == committee.id, ResolutionCounter.year == year)
        .values(last_number=ResolutionCounter.last_number + 1).returning(ResolutionCounter.last_number)
    ).scalar_one()
    return f"{committee.code}-{year}-{number:02d}"


def approve(minutes, seen_revision, actor):
    """Approve the revision the approver saw: the minutes lock, and resolutions without
    a number get the next ones of the committee in the meeting's year."""
    if not minutes.content.get("items"):
        raise MinutesError(_("Add at least one agenda item before approving the minutes."))
    try:
        _transition(minutes, "approve", {"approved_at": utcnow(), "approved_by_id": actor.id,
                                         "current_revision": seen_revision + 1, "reopen_reason": None},
                    guard=(Minutes.current_revision == seen_revision,))
    except MinutesError:
        db.session.refresh(minutes)
        if minutes.is_draft and minutes.current_revision != seen_revision:
            raise MinutesError(_("The minutes were saved again (revision %(n)d) after you opened them; "
                                 "read them again, then approve.", n=minutes.current_revision)) from None
        raise
    committee, year = minutes.committee, date.fromisoformat(minutes.content["held_on"]).year
    content = dict(minutes.content)
    resolutions, given = [], []
    for row in content.get("resolutions", []):
        if not row.get("number"):
            row = dict(row, number=next_resolution_number(committee, year))
            db.session.add(Resolution(number=row["number"], committee_id=committee.id, minutes_id=minutes.id))
            given.append(row["number"])
        resolutions.append(row)
    content["resolutions"] = resolutions
    minutes.content = content
    minutes.search_text = plain_text(content).lower()
    db.session.add(MinutesRevision(minutes_id=minutes.id, number=seen_revision + 1, kind=RevisionKind.APPROVED,
                                   content=content, author_id=actor.id))
    audit.record("minutes.approve", minutes, actor=actor,
                 details={"from": "draft", "to": "approved", "revision": seen_revision + 1, "numbers": given})
    db.session.commit()
    return given


def publish(minutes, audience, actor):
    """Publish approved minutes to the members or to everyone (or change the audience)."""
    audience = Audience(audience)
    if minutes.state == S.PUBLISHED and minutes.audience == audience:
        raise MinutesError(_("These minutes are already published to %(audience)s.",
                             audience=audience.label.lower()))
    seen_audience = minutes.audience
    seen = _transition(minutes, "publish", {"audience": audience, "published_at": utcnow()},
                       guard=(Minutes.audience.is_(None) if seen_audience is None
                              else Minutes.audience == seen_audience,))
    audit.record("minutes.publish", minutes, actor=actor,
                 details={"from": seen, "to": "published", "audience": str(audience),
                          **({"previous_audience": seen_audience} if seen_audience else {})})
    db.session.commit()


def reopen(minutes, reason, actor):
    """Back to draft, with the reason; published minutes are withdrawn from their readers."""
    reason = (reason or "").strip()
    if not reason:
        raise MinutesError(_("Give the reason for reopening the minutes."))
    seen = _transition(minutes, "reopen", {"audience": None, "published_at": None, "reopen_reason": reason})
    audit.record("minutes.reopen", minutes, actor=actor, details={"from": seen, "to": "draft", "reason": reason})
    db.session.commit()


# --- Reading ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    minutes: Minutes
    excerpt: tuple | None  # (before, match, after), escaped by the template


def _excerpt(text, query, width=80):
    at = text.lower().find(query.lower())
    if at < 0:
        return None
    start, end = max(0, at - width), min(len(text), at + len(query) + width)
    return (("…" if start else "") + text[start:at], text[at:at + len(query)],
            text[at + len(query):end] + ("…" if end < len(text) else ""))


def search(user, text="", limit=100):
    """Minutes `user` may read, newest meeting first; with `text`, those whose words,
    committee name or code contain it (one query)."""
    statement = (select(Minutes).join(Minutes.meeting).join(Meeting.committee)
                 .options(contains_eager(Minutes.meeting).contains_eager(Meeting.committee))
                 .where(Minutes.visible_to(user)))
    if text:
        statement = statement.where(or_(contains(Minutes.search_text, text), contains(Committee.name, text),
                                        contains(Committee.code, text)))
    rows = db.session.scalars(statement.order_by(Meeting.held_on.desc(), Minutes.id.desc()).limit(limit)).all()
    return [Found(m, _excerpt(plain_text(m.content), text) if text else None) for m in rows]


def revisions(minutes):
    """Every revision, newest first, without the content (the history lists them)."""
    return db.session.scalars(
        select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id)
        .options(defer(MinutesRevision.content)).order_by(MinutesRevision.number.desc())).all()


def revision(minutes, number):
    return db.session.scalar(select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id,
                                                            MinutesRevision.number == number))


def compare_with_previous(minutes, number):
    """(the revision, the one before or None, the differences) — None if there is no such revision."""
    found = {r.number: r for r in db.session.scalars(
        select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id,
                                      MinutesRevision.number.in_([number - 1, number])))}
    if number not in found:
        return None
    previous = found.get(number - 1)
    return found[number], previous, diff(previous.content if previous else {}, found[number].content)
