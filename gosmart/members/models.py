from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import utcnow
from ..extensions import db


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


class Organization(db.Model):
    """A member organization: a city, a company, or an academic or corporate body."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_local: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    membership_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    member_since: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.ACTIVE, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def category_label(self):
        return Category(self.category).label

    @property
    def display_name(self):
        if self.name_local and self.name_local != self.name:
            return f"{self.name} ({self.name_local})"
        return self.name

    def __repr__(self):
        return f"<Organization {self.membership_number} {self.name}>"
