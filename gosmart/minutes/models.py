"""Committees, their meetings, and the minutes of each meeting with every revision.

The minutes' text is one document (`Minutes.content`, described in services.py),
saved whole: every save is a `MinutesRevision` holding a full snapshot, and
`Minutes.current_revision` is the number a save must be based on to succeed."""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..auth.models import Role
from ..extensions import UTCDateTime, db
from ..members.standing import in_good_standing


class MinutesState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"

    @property
    def label(self):
        return {"draft": _l("Draft"), "approved": _l("Approved"), "published": _l("Published")}[self]


class Audience(StrEnum):
    """Who may read published minutes."""

    MEMBERS = "members"
    PUBLIC = "public"

    @property
    def label(self):
        return {"members": _l("Members"), "public": _l("Everyone (public)")}[self]


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"

    @property
    def label(self):
        return {"present": _l("Present"), "absent": _l("Absent"), "excused": _l("Excused")}[self]


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"

    @property
    def label(self):
        return {"open": _l("Open"), "done": _l("Done")}[self]


def audiences_for(user):
    """The audiences whose published minutes `user` may read; None: every minutes, in any state.
    Members in good standing read minutes published to members (and their PDF); everyone else,
    a suspended member's representatives too, those published to the public."""
    if user.is_authenticated and user.role == Role.SECRETARIAT:
        return None
    if in_good_standing(user):
        return (Audience.MEMBERS, Audience.PUBLIC)
    return (Audience.PUBLIC,)


class Committee(db.Model):
    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The prefix of resolution numbers: SC-2019-01.
    code: Mapped[str] = mapped_column(String(10), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # The chair is a member organization or a person, never both.
    chair_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    chair_person: Mapped[str | None] = mapped_column(String(200))
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    chair_organization = relationship("Organization")
    members = relationship("CommitteeMember", back_populates="committee", order_by="CommitteeMember.id",
                           cascade="all, delete-orphan")

    @property
    def chair_name(self):
        return self.chair_organization.name if self.chair_organization_id else self.chair_person

    def __repr__(self):
        return f"<Committee {self.code} {self.name}>"


class CommitteeMember(db.Model):
    """A seat on a committee: a member organization or a person by name."""

    __tablename__ = "committee_members"
    __table_args__ = (
        UniqueConstraint("committee_id", "organization_id"),
        CheckConstraint("(organization_id IS NULL) <> (person_name IS NULL)", name="organization_or_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    person_name: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    committee = relationship("Committee", back_populates="members")
    organization = relationship("Organization", lazy="joined")

    @property
    def name(self):
        return self.organization.name if self.organization_id else self.person_name


class Meeting(db.Model):
    """A meeting of a committee. (The link to an assembly comes with the Assemblies issue.)"""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_committee_held_on", "committee_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200))
    # The assembly the meeting was held at, if any.
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    committee = relationship("Committee", lazy="joined")
    minutes = relationship("Minutes", back_populates="meeting", uselist=False)
    assembly = relationship("Assembly")


class Minutes(db.Model):
    __tablename__ = "minutes"
    __table_args__ = (Index("ix_minutes_visibility", "state", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=MinutesState.DRAFT)
    audience: Mapped[str | None] = mapped_column(String(20))  # set while published
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    # The number of the latest revision; a save names the one it was based on.
    current_revision: Mapped[int] = mapped_column(Integer, default=0)
    # Lower-cased text of the content, for the search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    meeting = relationship("Meeting", back_populates="minutes", lazy="joined")
    approved_by = relationship("User", foreign_keys=[approved_by_id])

    @property
    def committee(self):
        return self.meeting.committee

    @property
    def title(self):
        return f"{self.meeting.committee.name}, {self.meeting.held_on.isoformat()}"

    @property
    def state_label(self):
        return MinutesState(self.state).label

    @property
    def audience_label(self):
        return Audience(self.audience).label if self.audience else ""

    @property
    def is_draft(self):
        return self.state == MinutesState.DRAFT

    def can_view(self, user):
        audiences = audiences_for(user)
        return audiences is None or (self.state == MinutesState.PUBLISHED and self.audience in audiences)

    @staticmethod
    def visible_to(user):
        """The SQL condition of can_view(), for lists and the search."""
        audiences = audiences_for(user)
        if audiences is None:
            return true()
        return (Minutes.state == MinutesState.PUBLISHED) & Minutes.audience.in_([str(a) for a in audiences])

    def can_manage(self, user):
        """Edit, approve, publish, reopen, see the revisions: the secretariat."""
        return user.is_authenticated and user.role == Role.SECRETARIAT

    def can_edit(self, user):
        return self.can_manage(user) and self.is_draft

    def __repr__(self):
        return f"<Minutes {self.id} {self.state} r{self.current_revision}>"


class RevisionKind(StrEnum):
    CREATED = "created"
    SAVED = "saved"
    AUTOSAVED = "autosaved"
    APPROVED = "approved"  # the approval numbers the resolutions, which changes the content

    @property
    def label(self):
        return {"created": _l("Created"), "saved": _l("Saved"), "autosaved": _l("Saved automatically"),
                "approved": _l("Approved, resolutions numbered")}[self]


class MinutesRevision(db.Model):
    """A full snapshot of the minutes as saved; never changed afterwards."""

    __tablename__ = "minutes_revisions"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"))  # indexed by the unique constraint
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default=RevisionKind.SAVED)
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User", lazy="joined")

    @property
    def kind_label(self):
        return RevisionKind(self.kind).label


class ResolutionCounter(db.Model):
    """The last resolution number of a committee in a year; bumped by one guarded UPDATE."""

    __tablename__ = "resolution_counters"

    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Resolution(db.Model):
    """The register of resolution numbers given out: unique, and kept even if the
    resolution later leaves reopened minutes, so that a number is never given twice."""

    __tablename__ = "resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
