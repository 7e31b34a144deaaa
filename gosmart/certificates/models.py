"""Certificates: what was issued to whom, and whether it still holds."""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import utcnow
from ..extensions import UTCDateTime, db

FOLDER = "certificates"  # where certificate PDFs are stored (gosmart.uploads)
ZIP_FOLDER = "certificate-zips"
# Verification codes: Crockford's base 32 (no I, L, O or U), 16 characters = 80 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16


def display_code(code):
    """How a code is printed and shown: "7KQ2-M9XD-4HTR-WB3N". A code from before (32 characters
    of base 64, case-sensitive) is shown as it is."""
    if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code):
        return "-".join(code[i:i + 4] for i in range(0, CODE_LENGTH, 4))
    return code


class CertificateKind(StrEnum):
    MEMBERSHIP = "membership"
    HONORARY = "honorary"
    ATTENDANCE = "attendance"

    @property
    def label(self):
        return {"membership": _l("Membership certificate"), "honorary": _l("Honorary membership certificate"),
                "attendance": _l("Certificate of attendance")}[self]

    @property
    def held_by_person(self):
        """Honorary and attendance certificates name a person; membership ones an organization."""
        return self != CertificateKind.MEMBERSHIP


class CertificateLanguage(StrEnum):
    """The language a kind of certificate is issued in: the secretariat's choice."""
    ENGLISH = "en"
    CHINESE = "zh"
    BILINGUAL = "bilingual"

    @property
    def label(self):
        return {"en": _l("English"), "zh": _l("Chinese (Traditional)"),
                "bilingual": _l("Bilingual: Chinese and English")}[self]

    @property
    def locales(self):
        """The locales the certificate is written in, the first one leading."""
        return {"en": ("en",), "zh": ("zh_Hant_TW",), "bilingual": ("zh_Hant_TW", "en")}[self]


class CertificateSetting(db.Model):
    """Per kind of certificate, the language it is issued in (English when no row)."""

    __tablename__ = "certificate_settings"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    language: Mapped[str] = mapped_column(String(10), default=CertificateLanguage.ENGLISH)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Certificate(db.Model):
    """The record of one issued PDF. The holder is named by type and id only: this package
    knows no domain, and the domains pass in plain data."""

    __tablename__ = "certificates"
    __table_args__ = (
        # At most one valid certificate of a kind per holder; a revoked one does not count.
        Index("uq_certificates_valid_holder", "kind", "holder_type", "holder_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    serial: Mapped[str] = mapped_column(String(30), unique=True)
    # Random: the public verification page finds the certificate by it. 16 characters of Crockford's
    # base 32 (80 bits, see display_code); 32 of base 64 for certificates issued before.
    verification_code: Mapped[str] = mapped_column(String(64), unique=True)
    holder_type: Mapped[str] = mapped_column(String(30))
    holder_id: Mapped[int] = mapped_column(Integer)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_name_local: Mapped[str | None] = mapped_column(String(200))
    # The category, or the assembly attended: its title (200), city (100) and date.
    subject: Mapped[str] = mapped_column(String(400))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(100), info={"stored_file": FOLDER})
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    @property
    def kind_label(self):
        return CertificateKind(self.kind).label

    @property
    def is_valid(self):
        return self.revoked_at is None

    @property
    def printed_code(self):
        return display_code(self.verification_code)


class CertificateCounter(db.Model):
    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class BulkJob(db.Model):
    """A background run that makes many certificates into one ZIP, with its progress."""

    __tablename__ = "certificate_bulk_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    scope_type: Mapped[str] = mapped_column(String(30))  # e.g. "assembly"
    scope_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued, running, zipping, done, failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # Each attendee also gets an email with a link (kept here, so a resumed job sends them too).
    email_links: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    zip_name: Mapped[str | None] = mapped_column(String(100), info={"stored_file": ZIP_FOLDER})
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self):
        return 100 if self.total == 0 else int(100 * self.done / self.total)
