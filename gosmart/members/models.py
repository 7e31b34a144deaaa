"""Member organizations, honorary members, and membership applications."""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..auth.models import Role
from ..extensions import UTCDateTime, db


# Where their files are stored (gosmart.uploads): application documents, organizations' logos.
DOCUMENTS_FOLDER = "applications"
LOGO_FOLDER = "logos"

class Category(StrEnum):
    CITY = "city"
    INDUSTRY = "industry"
    ACADEMIC = "academic"

    @property
    def label(self):
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.CITY: _l("City"),
    Category.INDUSTRY: _l("Industry"),
    Category.ACADEMIC: _l("Academic and corporate body"),
}


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return {"active": _l("Active"), "suspended": _l("Suspended"), "withdrawn": _l("Withdrawn")}[self]


class HonoraryStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"

    @property
    def label(self):
        return {"active": _l("Active"), "revoked": _l("Revoked")}[self]


# What a representative may show to other members beyond the name, category and country.
PROFILE_FIELDS = ("contact_name", "contact_email", "contact_phone", "website", "description", "logo")
PROFILE_FIELD_LABELS = {
    "contact_name": _l("Contact person"), "contact_email": _l("Email"), "contact_phone": _l("Phone"),
    "website": _l("Website"), "description": _l("Description"), "logo": _l("Logo"),
}
DEFAULT_VISIBLE_FIELDS = ["website", "description", "logo"]
# Representatives an organization may invite beyond the first (the applicant); six in all.
MAX_EXTRA_REPRESENTATIVES = 5


class Organization(db.Model):
    """A member organization: a city, a company, or an academic or corporate body."""

    __tablename__ = "organizations"
    __table_args__ = (
        # The directory's keyset paging: (status, sort key, id).
        Index("ix_organizations_directory_name", "status", "name", "id"),
        Index("ix_organizations_directory_since", "status", "member_since", "id"),
        Index("ix_organizations_directory_country", "status", "country", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_local: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    membership_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    member_since: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.ACTIVE, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    # The category's own answers (population, registration number, sectors, ...), as approved.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Privacy: the fields other members see, and whether visitors see the name at all.
    member_visible_fields: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_VISIBLE_FIELDS))
    listed_publicly: Mapped[bool] = mapped_column(Boolean, default=True)
    logo_stored_name: Mapped[str | None] = mapped_column(String(100), info={"stored_file": LOGO_FOLDER})
    # Representatives invited beyond the first; moved only by a guarded UPDATE
    # (… WHERE extra_representatives < MAX_EXTRA_REPRESENTATIVES), so the limit holds under concurrency.
    extra_representatives: Mapped[int] = mapped_column(Integer, default=0)
    # Lower-cased names (and the description when members may see it), for the directory search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    representatives = relationship("User", foreign_keys="User.organization_id", viewonly=True,
                                   order_by="User.id")

    @property
    def category_label(self):
        return Category(self.category).label

    @property
    def status_label(self):
        return MemberStatus(self.status).label

    @hybrid_property
    def in_good_standing(self):
        """A member in good standing: what members-only reads and actions ask of the organization a
        representative acts for (gosmart.members.standing). The one place to change when standing
        grows (terms, grace, lapsed). In SQL too: `select(Organization).where(Organization.in_good_standing)`."""
        return self.status == MemberStatus.ACTIVE

    @property
    def is_active_member(self):
        return self.in_good_standing

    @property
    def display_name(self):
        if self.name_local and self.name_local != self.name:
            return f"{self.name} ({self.name_local})"
        return self.name

    def can_register_delegates(self):
        return self.in_good_standing

    def can_invite_representative(self):
        return self.in_good_standing and (self.extra_representatives or 0) < MAX_EXTRA_REPRESENTATIVES

    def shows(self, field):
        """Whether other members may see `field` (the secretariat sees everything)."""
        return field in (self.member_visible_fields or ())

    def refresh_search_text(self):
        parts = [self.name, self.name_local or ""]
        if self.shows("description"):
            parts.append(self.description or "")
        self.search_text = " ".join(p for p in parts if p).lower()

    def __repr__(self):
        return f"<Organization {self.membership_number} {self.name}>"


@event.listens_for(Organization, "before_insert")
@event.listens_for(Organization, "before_update")
def _keep_search_text(mapper, connection, organization):
    organization.refresh_search_text()


class MembershipCounter(db.Model):
    """The last membership number given out in a year; bumped by one guarded UPDATE."""

    __tablename__ = "membership_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class HonoraryMember(db.Model):
    """A person granted membership by the secretariat directly, with no application."""

    __tablename__ = "honorary_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    affiliation: Mapped[str | None] = mapped_column(String(200))
    citation: Mapped[str] = mapped_column(Text)
    granted_on: Mapped[date] = mapped_column(Date)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=HonoraryStatus.ACTIVE)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    @hybrid_property
    def in_good_standing(self):
        """The honour stands (it has not been revoked); see gosmart.members.standing."""
        return self.status == HonoraryStatus.ACTIVE

    @property
    def status_label(self):
        return HonoraryStatus(self.status).label

    def can_revoke(self, user):
        return user.is_authenticated and user.role == Role.SECRETARIAT and self.in_good_standing


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    ApplicationState.DRAFT: _l("Draft"),
    ApplicationState.SUBMITTED: _l("Submitted"),
    ApplicationState.CHANGES_REQUESTED: _l("Changes requested"),
    ApplicationState.RESUBMITTED: _l("Resubmitted"),
    ApplicationState.APPROVED: _l("Approved"),
    ApplicationState.REJECTED: _l("Rejected"),
    ApplicationState.WITHDRAWN: _l("Withdrawn"),
}
OPEN_STATES = (ApplicationState.DRAFT, ApplicationState.SUBMITTED,
               ApplicationState.CHANGES_REQUESTED, ApplicationState.RESUBMITTED)
AWAITING_REVIEW = (ApplicationState.SUBMITTED, ApplicationState.RESUBMITTED)
EDITABLE = (ApplicationState.DRAFT, ApplicationState.CHANGES_REQUESTED)


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_queue", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ApplicationState.DRAFT)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_local: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    # The category's own answers, keyed by form field name.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_title: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Set once, on approval: a second approval cannot make a second organization.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), unique=True)
    # The documents attached; moved only by guarded UPDATEs (… WHERE document_count < MAX_DOCUMENTS).
    document_count: Mapped[int] = mapped_column(Integer, default=0)

    applicant = relationship("User", foreign_keys=[applicant_id], lazy="joined")
    organization = relationship("Organization", foreign_keys=[organization_id])
    documents = relationship("ApplicationDocument", back_populates="application",
                             order_by="ApplicationDocument.id", cascade="all, delete-orphan")
    events = relationship("ApplicationEvent", back_populates="application",
                          order_by="ApplicationEvent.id", cascade="all, delete-orphan")

    @property
    def state_label(self):
        return ApplicationState(self.state).label

    @property
    def category_label(self):
        return Category(self.category).label

    @property
    def is_editable(self):
        return self.state in EDITABLE

    def can_view(self, user):
        return user.is_authenticated and (user.role == Role.SECRETARIAT or user.id == self.applicant_id)

    def can_edit(self, user):
        return user.is_authenticated and user.id == self.applicant_id and self.is_editable

    def can_withdraw(self, user):
        return user.is_authenticated and user.id == self.applicant_id and self.state in OPEN_STATES

    def can_review(self, user):
        return user.is_authenticated and user.role == Role.SECRETARIAT

    def __repr__(self):
        return f"<Application {self.id} {self.name} {self.state}>"


class ApplicationDocument(db.Model):
    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    # Named by its content (gosmart.uploads): the same file uploaded twice is stored once.
    stored_name: Mapped[str] = mapped_column(String(100), index=True, info={"stored_file": DOCUMENTS_FOLDER})
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application = relationship("Application", back_populates="documents")


class EventVisibility(StrEnum):
    APPLICANT = "applicant"  # the applicant sees it
    INTERNAL = "internal"    # the secretariat only


class ApplicationEvent(db.Model):
    """The application's timeline: state changes and comments."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))  # a transition name, or "comment"
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(20), default=EventVisibility.APPLICANT)

    application = relationship("Application", back_populates="events")
    actor = relationship("User", lazy="joined")

    @property
    def is_internal(self):
        return self.visibility == EventVisibility.INTERNAL


class OrganizationTopic(db.Model):
    """A focus area (cities), sector (industry) or research area (academic): the directory filters on these."""

    __tablename__ = "organization_topics"
    __table_args__ = (UniqueConstraint("organization_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    topic: Mapped[str] = mapped_column(String(60), index=True)
