"""Render, record and verify certificates. Plain data in: the domains say who holds a
certificate and what it is for; this package knows nothing of members or assemblies."""
import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import audit, uploads
from ..audit import utcnow
from ..extensions import db
from ..mail import external_url
from ..pdf import qr_svg_data_uri, render_pdf
from ..queries import insert_ignoring_conflict
from .models import Certificate, CertificateCounter, CertificateKind

FOLDER = "certificates"


class CertificateError(Exception):
    """A refused operation; the message is for the user."""


@dataclass(frozen=True)
class Holder:
    type: str          # "organization", "honorary_member", "registration", ...
    id: int
    name: str
    name_local: str | None
    subject: str       # what the certificate is for: the category, or the assembly attended


def reserve_serials(year, count=1):
    """`count` serials GS-CERT-<year>-<6 digits>: sequential, never reused (one guarded UPDATE
    on the year's counter). A bulk run reserves its chunk's serials in one short transaction."""
    db.session.execute(insert_ignoring_conflict(CertificateCounter.__table__, ["year"], year=year, last_number=0))
    last = db.session.execute(
        update(CertificateCounter).where(CertificateCounter.year == year)
        .values(last_number=CertificateCounter.last_number + count).returning(CertificateCounter.last_number)
    ).scalar_one()
    return [f"GS-CERT-{year}-{number:06d}" for number in range(last - count + 1, last + 1)]


def verification_url(code):
    return external_url("certificates.verify", code=code)


def render(kind, holder, serial, code, issued_on):
    url = verification_url(code)
    return render_pdf("pdf/certificate.html", kind=CertificateKind(kind), holder=holder, serial=serial,
                      issued_on=issued_on, verification_url=url, qr=qr_svg_data_uri(url),
                      signatories=current_app.config["CERTIFICATE_SIGNATORIES"])


def valid_certificate(kind, holder_type, holder_id):
    return db.session.scalar(select(Certificate).where(
        Certificate.kind == kind, Certificate.holder_type == holder_type, Certificate.holder_id == holder_id,
        Certificate.revoked_at.is_(None)))


def issue(kind, holder, actor=None, issued_on=None, replaces=None, serial=None):
    """The holder's valid certificate of this kind, made now if there is none. The caller commits."""
    kind = CertificateKind(kind)
    existing = valid_certificate(kind, holder.type, holder.id)
    if existing is not None:
        return existing
    issued_on = issued_on or date.today()
    serial = serial or reserve_serials(issued_on.year)[0]
    code = secrets.token_urlsafe(24)  # 192 bits
    pdf = render(kind, holder, serial, code, issued_on)
    stored = uploads.store_bytes(pdf, "pdf", FOLDER)
    certificate = Certificate(
        kind=kind, serial=serial, verification_code=code, holder_type=holder.type, holder_id=holder.id,
        holder_name=holder.name, holder_name_local=holder.name_local, subject=holder.subject, issued_on=issued_on,
        issued_by_id=getattr(actor, "id", None), sha256=stored.sha256, stored_name=stored.stored_name,
        replaces_id=replaces.id if replaces else None)
    db.session.add(certificate)
    audit.record("certificate.issued", certificate, actor=actor,
                 details={"serial": serial, "kind": str(kind), "holder": f"{holder.type}:{holder.id}"})
    return certificate


def pdf_of(certificate):
    path = uploads.stored_path(FOLDER, certificate.stored_name)
    return path.read_bytes()


def revoke(certificate, actor, reason):
    if not reason or not reason.strip():
        raise CertificateError(_("Give the reason for revoking the certificate."))
    changed = db.session.execute(update(Certificate).where(
        Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason.strip())).rowcount
    if changed != 1:
        db.session.rollback()
        raise CertificateError(_("This certificate is already revoked."))
    db.session.refresh(certificate)
    audit.record("certificate.revoked", certificate, actor=actor, details={"reason": reason.strip()})


def reissue(certificate, holder, actor):
    """After a correction: the old certificate is revoked and a new one replaces it."""
    revoke(certificate, actor, _("Replaced by a corrected certificate."))
    db.session.flush()
    new = issue(certificate.kind, holder, actor, replaces=certificate)
    audit.record("certificate.reissued", new, actor=actor, details={"replaces": certificate.serial})
    return new


def find_by_code(code):
    if not code or len(code) > 64:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.verification_code == code.strip()))


def recent(limit=200, query=""):
    statement = select(Certificate).order_by(Certificate.id.desc()).limit(limit)
    if query:
        statement = statement.where((Certificate.serial == query.strip().upper())
                                    | Certificate.holder_name.ilike(f"%{query.strip()}%"))
    return db.session.scalars(statement).all()
