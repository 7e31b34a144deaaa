import secrets
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..audit import utcnow
from ..extensions import UTCDateTime, db


class Role(StrEnum):
    SECRETARIAT = "secretariat"
    DOOR_STAFF = "door_staff"
    REPRESENTATIVE = "representative"
    HONORARY = "honorary"
    APPLICANT = "applicant"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.SECRETARIAT: _l("Secretariat"),
    Role.DOOR_STAFF: _l("Door staff"),
    Role.REPRESENTATIVE: _l("Member representative"),
    Role.HONORARY: _l("Honorary member"),
    Role.APPLICANT: _l("Applicant"),
}
# Accounts the secretariat creates directly; the others come from applications and grants.
STAFF_ROLES = (Role.SECRETARIAT, Role.DOOR_STAFF)


def new_session_token():
    return secrets.token_urlsafe(24)


def normalize_email(email):
    return (email or "").strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.APPLICANT, index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login cookie: replacing it ends every session of the user.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the user chose (a locale of LANGUAGES); None: the browser's.
    locale: Mapped[str | None] = mapped_column(String(16))

    organization = relationship("Organization", foreign_keys=[organization_id], lazy="joined")
    # An honorary member's record (gosmart.members), read by the standing rule (gosmart.members.standing).
    # Loaded with the user (as the organization is), so that asking costs no query.
    honorary_membership = relationship("HonoraryMember", primaryjoin="User.id == HonoraryMember.user_id",
                                       uselist=False, viewonly=True, lazy="joined")

    @validates("email")
    def _normalize_email(self, key, value):
        return normalize_email(value)

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self):
        self.session_token = new_session_token()

    def has_role(self, *roles):
        return self.role in roles

    @property
    def role_label(self):
        return Role(self.role).label

    @property
    def is_secretariat(self):
        return self.role == Role.SECRETARIAT

    def can_manage_accounts(self):
        return self.is_secretariat

    def __repr__(self):
        return f"<User {self.email} {self.role}>"
