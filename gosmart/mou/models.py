"""Memoranda of understanding between GO SMART and its partners.

Only draft, signed and terminated are stored. "Expired" is read from the date: a signed
MOU whose expiry date has passed is expired that very day, in Python (`status_on`) and
in SQL (the same method used in a query), with no nightly job to forget."""
from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, and_, case, literal, true
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..auth.models import Role
from ..extensions import db
from ..members.standing import in_good_standing

EXPIRY_WARNING_DAYS = 90  # signed MOUs expiring within this many days are flagged


DOCUMENT_FOLDER = "mous"  # where signed documents are stored (gosmart.uploads)

class MouState(StrEnum):
    """What the secretariat recorded."""

    DRAFT = "draft"
    SIGNED = "signed"
    TERMINATED = "terminated"


class MouStatus(StrEnum):
    """What an MOU is on a given day."""

    DRAFT = "draft"
    SIGNED = "signed"
    EXPIRED = "expired"
    TERMINATED = "terminated"

    @property
    def label(self):
        return {"draft": _l("Draft"), "signed": _l("Signed"), "expired": _l("Expired"),
                "terminated": _l("Terminated")}[self]


class Visibility(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"
    SECRETARIAT = "secretariat"

    @property
    def label(self):
        return {"public": _l("Everyone (public)"), "members": _l("Members"),
                "secretariat": _l("The secretariat only")}[self]


class Party(StrEnum):
    GO_SMART = "go_smart"
    PARTNER = "partner"

    @property
    def label(self):
        return {"go_smart": _l("GO SMART"), "partner": _l("Partner")}[self]


def visibilities_for(user):
    """The visibility levels `user` may read. Members-only MOUs are for those acting for a member
    in good standing; door staff, applicants, and a suspended or withdrawn member's
    representatives or a revoked honorary member see what visitors see."""
    if not user.is_authenticated:
        return (Visibility.PUBLIC,)
    if user.role == Role.SECRETARIAT:
        return tuple(Visibility)
    if in_good_standing(user):
        return (Visibility.PUBLIC, Visibility.MEMBERS)
    return (Visibility.PUBLIC,)


def is_secretariat(user):
    return user.is_authenticated and user.role == Role.SECRETARIAT


class Mou(db.Model):
    __tablename__ = "mous"
    __table_args__ = (
        # The services refuse these with a message; the database refuses them anyway.
        CheckConstraint("partner_organization_id IS NOT NULL OR partner_name IS NOT NULL", name="has_partner"),
        CheckConstraint("expires_on IS NULL OR effective_on IS NULL OR expires_on >= effective_on",
                        name="expires_after_effective"),
        CheckConstraint("state IN ('draft', 'signed', 'terminated')", name="state"),
        CheckConstraint("visibility IN ('public', 'members', 'secretariat')", name="visibility"),
        CheckConstraint("renews_id IS NULL OR renews_id <> id", name="renews_another"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20), default=MouState.DRAFT, index=True)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.SECRETARIAT, index=True)
    # The partner is a member organization, or an outside body with a name and a country.
    partner_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    partner_name: Mapped[str | None] = mapped_column(String(200))
    partner_country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    signed_on: Mapped[date | None] = mapped_column(Date, index=True)
    signing_place: Mapped[str | None] = mapped_column(String(200))
    effective_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("mous.id"), index=True)
    # The assembly or meeting at which it was signed, if any.
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id"), index=True)
    # The signed document, stored by gosmart.uploads under its content's name.
    document_stored_name: Mapped[str | None] = mapped_column(String(100), index=True,
                                                              info={"stored_file": DOCUMENT_FOLDER})
    document_name: Mapped[str | None] = mapped_column(String(255))
    document_size: Mapped[int | None] = mapped_column(Integer)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    terminated_on: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    partner_organization = relationship("Organization", lazy="joined")
    renews = relationship("Mou", remote_side=[id], foreign_keys=[renews_id])
    assembly = relationship("Assembly")
    signatories = relationship("MouSignatory", back_populates="mou", order_by="MouSignatory.position",
                               cascade="all, delete-orphan")

    @hybrid_method
    def status_on(self, today):
        if self.state == MouState.SIGNED and self.expires_on is not None and self.expires_on < today:
            return MouStatus.EXPIRED
        return MouStatus(self.state)

    @status_on.expression
    def status_on(cls, today):
        # NULL < today is NULL, so an MOU without an expiry date stays signed.
        return case((and_(cls.state == MouState.SIGNED.value, cls.expires_on < today),
                     literal(MouStatus.EXPIRED.value)), else_=cls.state)

    def expires_soon(self, today):
        """Signed, and expiring within EXPIRY_WARNING_DAYS (the expiry day included)."""
        return (self.status_on(today) == MouStatus.SIGNED and self.expires_on is not None
                and self.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS))

    @classmethod
    def visible_to(cls, user):
        """The SQL condition of `can_view`."""
        if is_secretariat(user):
            return true()
        return and_(cls.state != MouState.DRAFT.value,
                    cls.visibility.in_([v.value for v in visibilities_for(user)]))

    def can_view(self, user):
        if is_secretariat(user):
            return True
        return self.state != MouState.DRAFT and self.visibility in visibilities_for(user)

    def can_manage(self, user):
        return is_secretariat(user)

    def can_sign(self, user):
        return is_secretariat(user) and self.state == MouState.DRAFT

    def can_terminate(self, user, today):
        return is_secretariat(user) and self.status_on(today) == MouStatus.SIGNED

    @property
    def visibility_label(self):
        return Visibility(self.visibility).label

    @property
    def partner_display_name(self):
        if self.partner_organization is not None:
            return self.partner_organization.name
        return self.partner_name

    @property
    def partner_country_code(self):
        if self.partner_organization is not None:
            return self.partner_organization.country
        return self.partner_country

    @property
    def is_partner_member(self):
        return self.partner_organization_id is not None

    def __repr__(self):
        return f"<Mou {self.id} {self.title!r} {self.state}>"


class MouSignatory(db.Model):
    __tablename__ = "mou_signatories"
    __table_args__ = (
        CheckConstraint("party IN ('go_smart', 'partner')", name="party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mou_id: Mapped[int] = mapped_column(ForeignKey("mous.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    party: Mapped[str] = mapped_column(String(20))

    mou = relationship("Mou", back_populates="signatories")

    @property
    def party_label(self):
        return Party(self.party).label
