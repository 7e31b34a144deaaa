"""Assemblies and meetings, and the registrations of their delegates."""
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..auth.models import Role
from ..extensions import UTCDateTime, db
from ..members.standing import in_good_standing


class AssemblyKind(StrEnum):
    GENERAL_ASSEMBLY = "general_assembly"
    INAUGURAL_MEETING = "inaugural_meeting"
    COMMITTEE_MEETING = "committee_meeting"
    FORUM = "forum"

    @property
    def label(self):
        return {"general_assembly": _l("General assembly"), "inaugural_meeting": _l("Inaugural meeting"),
                "committee_meeting": _l("Committee meeting"), "forum": _l("Forum")}[self]


class DelegateRole(StrEnum):
    HEAD = "head_of_delegation"
    DELEGATE = "delegate"
    OBSERVER = "observer"
    HONORARY = "honorary_member"
    GUEST = "guest"
    SPEAKER = "speaker"

    @property
    def label(self):
        return {"head_of_delegation": _l("Head of delegation"), "delegate": _l("Delegate"),
                "observer": _l("Observer"), "honorary_member": _l("Honorary member"),
                "guest": _l("Guest"), "speaker": _l("Speaker")}[self]


class RegistrationState(StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {"confirmed": _l("Confirmed"), "waiting": _l("On the waiting list"),
                "cancelled": _l("Cancelled")}[self]


class Assembly(db.Model):
    __tablename__ = "assemblies"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    # Times are stored in UTC and shown in the venue's time zone.
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Taipei")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delegate_quota: Mapped[int] = mapped_column(Integer, default=3)
    honorary_may_register: Mapped[bool] = mapped_column(Boolean, default=True)
    observers_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    # Confirmed registrations; moved only by guarded UPDATEs (… WHERE confirmed_count < capacity).
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self):
        return AssemblyKind(self.kind).label

    @property
    def zone(self):
        return ZoneInfo(self.timezone)

    def local(self, moment):
        """`moment` (UTC) in the venue's time zone."""
        if moment is None:
            return None
        if moment.tzinfo is None:  # SQLite returns naive UTC datetimes
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(self.zone)

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None

    def registration_open(self, now=None):
        now = now or utcnow()
        return (not self.is_cancelled and aware(self.registration_opens_at) <= now
                < aware(self.registration_closes_at))

    def has_begun(self, now=None):
        return aware(self.starts_at) <= (now or utcnow())

    def can_manage(self, user):
        return user.is_authenticated and user.role == Role.SECRETARIAT


def aware(moment):
    """SQLite gives back naive datetimes; every stored time is UTC."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        # One live registration per email and assembly; a cancelled one does not block a new one.
        Index("uq_registrations_assembly_email_live", "assembly_id", "email", unique=True,
              sqlite_where=text("state != 'cancelled'"), postgresql_where=text("state != 'cancelled'")),
        Index("ix_registrations_assembly_state", "assembly_id", "state", "id"),
        Index("ix_registrations_assembly_organization", "assembly_id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # an honorary member's own
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(30))
    dietary_needs: Mapped[str | None] = mapped_column(String(300))
    accessibility_needs: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20))
    # Random, at least 128 bits; reissuing replaces it, so an old ticket stops working.
    checkin_token: Mapped[str] = mapped_column(String(64), unique=True)
    outside_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity_override_reason: Mapped[str | None] = mapped_column(Text)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Check-in at the door: set once by one guarded UPDATE (… WHERE checked_in_at IS NULL).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_station: Mapped[str | None] = mapped_column(String(60))
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    no_show: Mapped[bool] = mapped_column(Boolean, default=False)

    assembly = relationship("Assembly", lazy="joined")
    organization = relationship("Organization", lazy="joined")

    @property
    def role_label(self):
        return DelegateRole(self.role).label

    @property
    def state_label(self):
        return RegistrationState(self.state).label

    @property
    def is_live(self):
        return self.state != RegistrationState.CANCELLED

    @hybrid_property
    def has_attended(self):
        """Checked in at the door (and not undone), on a registration that stands: the one
        condition for an attendance certificate. In SQL too."""
        return self.state == RegistrationState.CONFIRMED and self.checked_in_at is not None

    @has_attended.inplace.expression
    @classmethod
    def _has_attended_expression(cls):
        return and_(cls.state == RegistrationState.CONFIRMED.value, cls.checked_in_at.is_not(None))

    @property
    def is_checked_in(self):
        """Once checked in, who attended and the registration's state are facts: nobody renames or
        cancels it (the secretariat may undo a mistaken check-in, with its reason, first)."""
        return self.checked_in_at is not None

    def can_view(self, user):
        if not user.is_authenticated:
            return False
        if user.role == Role.SECRETARIAT:
            return True
        if user.role == Role.REPRESENTATIVE:
            return self.organization_id is not None and user.organization_id == self.organization_id
        return self.user_id is not None and self.user_id == user.id

    def can_cancel(self, user, now=None):
        """Live and not checked in; for representatives and honorary members also while
        registration is open and before the assembly begins; the secretariat at any time."""
        if not (self.can_view(user) and self.is_live and not self.is_checked_in):
            return False
        return user.role == Role.SECRETARIAT or (
            self.assembly.registration_open(now) and not self.assembly.has_begun(now))

    def can_change(self, user, now=None):
        """Rename or edit: as cancelling, by someone acting for a member in good standing."""
        return self.can_cancel(user, now) and in_good_standing(user)


class DoorAssignment(db.Model):
    """Door staff see the check-in screens of the assemblies they are assigned to, and nothing else."""

    __tablename__ = "assembly_door_staff"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class QuotaUse(db.Model):
    """Live registrations of one organization for one assembly; moved only by guarded UPDATEs."""

    __tablename__ = "assembly_quota_use"
    __table_args__ = (UniqueConstraint("assembly_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    used: Mapped[int] = mapped_column(Integer, default=0)


BADGE_SHEET_FOLDER = "badge-sheets"


class BadgeSheetState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self):
        return {"queued": _l("Waiting for a worker"), "running": _l("Working"), "done": _l("Ready"),
                "failed": _l("Failed")}[self]


class BadgeSheet(db.Model):
    """The badges of an assembly's confirmed registrations, made by the task worker in chunks of
    pages (gosmart/assemblies/badges.py) and stored as one PDF; `done` counts the badges made."""

    __tablename__ = "badge_sheets"
    __table_args__ = (CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=BadgeSheetState.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str | None] = mapped_column(String(100), info={"stored_file": BADGE_SHEET_FOLDER})
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved with every chunk: a sheet that is not finished and has not moved for a while stopped.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assembly = relationship("Assembly")

    @property
    def state_label(self):
        return BadgeSheetState(self.state).label

    @property
    def percent(self):
        return 100 if self.total == 0 else int(100 * self.done / self.total)

    @property
    def is_finished(self):
        return self.state in (BadgeSheetState.DONE, BadgeSheetState.FAILED)
