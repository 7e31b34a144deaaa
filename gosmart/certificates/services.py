"""Render, record and verify certificates. Plain data in: the domains say who holds a
certificate and what it is for; this package knows nothing of members or assemblies."""
import secrets
from dataclasses import dataclass
from datetime import date
from itertools import zip_longest

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import audit, uploads
from ..audit import utcnow
from ..extensions import db
from ..i18n import language_tag
from ..mail import external_url
from ..pdf import html_to_pdf, qr_svg_data_uri
from ..queries import insert_ignoring_conflict
from .models import Certificate, CertificateCounter, CertificateKind, CertificateLanguage, CertificateSetting

FOLDER = "certificates"


class CertificateError(Exception):
    """A refused operation; the message is for the user."""


@dataclass(frozen=True)
class Holder:
    type: str          # "organization", "honorary_member", "registration", ...
    id: int
    name: str
    name_local: str | None
    subject: str       # what the certificate is for: the category (may be a lazy_gettext string), or the
                       # assembly attended; it is written in the certificate's language


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


# --- Language: English, Chinese or both, the secretariat's choice per kind ---------------

def certificate_language(kind):
    setting = db.session.get(CertificateSetting, str(CertificateKind(kind)))
    return CertificateLanguage(setting.language) if setting else CertificateLanguage.ENGLISH


def certificate_languages():
    """{kind: CertificateLanguage} for every kind of certificate."""
    chosen = {s.kind: s.language for s in db.session.scalars(select(CertificateSetting))}
    return {kind: CertificateLanguage(chosen.get(kind, CertificateLanguage.ENGLISH)) for kind in CertificateKind}


def set_certificate_languages(choices, actor):
    """Store {kind: language}; certificates issued from now on follow it. The caller commits."""
    changed = {}
    for kind, language in choices.items():
        kind, language = CertificateKind(kind), CertificateLanguage(language)
        setting = db.session.get(CertificateSetting, str(kind))
        if (setting.language if setting else CertificateLanguage.ENGLISH) == language:
            continue
        if setting is None:
            setting = CertificateSetting(kind=str(kind))
            db.session.add(setting)
        setting.language, setting.updated_by_id = str(language), getattr(actor, "id", None)
        changed[str(kind)] = str(language)
    if changed:
        audit.record("certificate.languages_changed", actor=actor, object_type="certificate_settings",
                     details=changed)
    return changed


def _signatories(locale):
    english = current_app.config["CERTIFICATE_SIGNATORIES"]
    if locale == "en":
        return english
    return current_app.config.get("CERTIFICATE_SIGNATORIES_ZH") or english


def _wording(kind, holder, issued_on, locale):
    """The certificate's text in one language. Names stay as the holder wrote them."""
    with force_locale(locale):
        subject = str(holder.subject)
        if kind == CertificateKind.MEMBERSHIP:
            line = _("is a member of GO SMART in the category %(subject)s.", subject=subject)
        elif kind == CertificateKind.HONORARY:
            line = _("is an honorary member of GO SMART. %(subject)s", subject=subject)
        else:
            line = _("attended %(subject)s.", subject=subject)
        return {"lang": language_tag(locale), "subject": subject, "kind": str(kind.label),
                "organization": _("Global Organization of Smart Cities"), "intro": _("This is to certify that"),
                "line": line, "date": _("Issued on %(date)s", date=format_date(issued_on, "long")),
                "verify": _("Verify at"), "signatories": _signatories(locale)}


def certificate_html(kind, holder, serial, code, issued_on, language=None):
    """The certificate's page, in `language` (by default the one chosen for its kind)."""
    kind = CertificateKind(kind)
    language = CertificateLanguage(language or certificate_language(kind))
    wordings = [_wording(kind, holder, issued_on, locale) for locale in language.locales]
    # Signature lines side by side; in two languages, each line in both.
    signatures = list(zip_longest(*(w["signatories"] for w in wordings), fillvalue=""))
    url = verification_url(code)
    with force_locale(language.locales[0]):
        return render_template("pdf/certificate.html", kind=kind, holder=holder, serial=serial, wordings=wordings,
                               signatures=signatures, bilingual=len(wordings) > 1, verification_url=url,
                               qr=qr_svg_data_uri(url))


def render(kind, holder, serial, code, issued_on, language=None):
    """The certificate's PDF (see certificate_html)."""
    return html_to_pdf(certificate_html(kind, holder, serial, code, issued_on, language))


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
    language = certificate_language(kind)
    pdf = render(kind, holder, serial, code, issued_on, language)
    with force_locale(language.locales[0]):
        subject = str(holder.subject)  # the record says it as the certificate does
    stored = uploads.store_bytes(pdf, "pdf", FOLDER)
    certificate = Certificate(
        kind=kind, serial=serial, verification_code=code, holder_type=holder.type, holder_id=holder.id,
        holder_name=holder.name, holder_name_local=holder.name_local, subject=subject, issued_on=issued_on,
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
