"""Render, record and verify certificates. Plain data in: the domains say who holds a
certificate and what it is for; this package knows nothing of members or assemblies."""
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from itertools import zip_longest

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import audit, uploads
from ..audit import utcnow
from ..extensions import db
from ..i18n import language_tag
from ..mail import external_url
from ..pdf import html_to_pdf, qr_svg_data_uri
from ..queries import insert_ignoring_conflict
from .models import (
    CODE_ALPHABET, CODE_LENGTH, FOLDER, Certificate, CertificateCounter, CertificateKind, CertificateLanguage,
    CertificateSetting, display_code,
)


class CertificateError(Exception):
    """A refused operation; the message is for the user."""


class CertificateRevoked(CertificateError):
    """The holder's certificate was revoked: it stays so until the secretariat reissues it."""

    def __init__(self, certificate):
        self.certificate = certificate
        super().__init__(revocation_notice(certificate))


def revocation_notice(certificate):
    return _("Certificate %(serial)s was revoked on %(date)s: %(reason)s. Only the secretariat can issue a "
             "new one; write to them if you think this is a mistake.", serial=certificate.serial,
             date=format_date(certificate.revoked_at, "long"), reason=certificate.revoke_reason or "—")


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
    return external_url("certificates.verify", code=display_code(code))


# --- Verification codes: read aloud, typed, and checked -------------------------------------

# Crockford's base 32 reads I and L as 1 and O as 0: what a person types from a printed code.
TYPED_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
SERIAL = re.compile(r"^\s*GS[\s_-]*CERT[\s_-]*(\d{4})[\s_-]*(\d{1,6})\s*$", re.IGNORECASE)
TITLES = {"dr", "prof", "professor", "mr", "mrs", "ms", "mx", "sir", "dame"}


def new_code():
    """16 characters of Crockford's base 32 (80 bits; the verification page is rate-limited)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def typed_code(text):
    """The stored form of a code as a person typed it: any case, with or without hyphens or
    spaces, O for 0 and I or L for 1. None if it cannot be one."""
    cleaned = re.sub(r"[\s\-‐-―]", "", text or "").upper().translate(TYPED_AS)
    if len(cleaned) == CODE_LENGTH and all(c in CODE_ALPHABET for c in cleaned):
        return cleaned
    return None


def typed_serial(text):
    """"gs cert 2018 1" → "GS-CERT-2018-000001"; None if it is not a serial number."""
    match = SERIAL.match(text or "")
    return f"GS-CERT-{match.group(1)}-{int(match.group(2)):06d}" if match else None


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
                "verify": _("Verify at"), "code": _("Verification code"), "signatories": _signatories(locale)}


def certificate_html(kind, holder, serial, code, issued_on, language=None):
    """The certificate's page, in `language` (by default the one chosen for its kind)."""
    kind = CertificateKind(kind)
    language = CertificateLanguage(language or certificate_language(kind))
    wordings = [_wording(kind, holder, issued_on, locale) for locale in language.locales]
    # Signature lines side by side; in two languages, each line in both.
    signatures = list(zip_longest(*(w["signatories"] for w in wordings), fillvalue=""))
    url = verification_url(code)  # in the QR code; the page and the code are printed apart, to be typed
    with force_locale(language.locales[0]):
        return render_template("pdf/certificate.html", kind=kind, holder=holder, serial=serial, wordings=wordings,
                               signatures=signatures, bilingual=len(wordings) > 1, verification_url=url,
                               verify_page=external_url("certificates.verify_form"), code=display_code(code),
                               qr=qr_svg_data_uri(url))


def render(kind, holder, serial, code, issued_on, language=None):
    """The certificate's PDF (see certificate_html)."""
    return html_to_pdf(certificate_html(kind, holder, serial, code, issued_on, language))


def valid_certificate(kind, holder_type, holder_id):
    return db.session.scalar(select(Certificate).where(
        Certificate.kind == kind, Certificate.holder_type == holder_type, Certificate.holder_id == holder_id,
        Certificate.revoked_at.is_(None)))


def holder_certificate(kind, holder_type, holder_id):
    """The holder's certificate of this kind as it stands: the valid one, else the last one
    revoked, else None (never issued). Reads only."""
    return db.session.scalar(select(Certificate).where(
        Certificate.kind == kind, Certificate.holder_type == holder_type, Certificate.holder_id == holder_id)
        .order_by(Certificate.revoked_at.is_not(None), Certificate.id.desc()).limit(1))


def issue(kind, holder, actor=None, issued_on=None, replaces=None, serial=None):
    """The holder's certificate of this kind: the valid one, or one made now if the holder never
    had one. A revoked certificate stays revoked (CertificateRevoked) unless this is the
    secretariat's reissue, which `replaces` it.

    Idempotent under concurrency: of simultaneous calls for one holder, one makes the certificate
    and the others get it (the unique index on valid certificates decides, in a savepoint that
    takes the loser's serial, PDF and audit entry back). The PDF is stored with the row, in the
    same transaction. Flushes; the caller commits."""
    kind = CertificateKind(kind)
    current = holder_certificate(kind, holder.type, holder.id)
    if current is not None and current.is_valid:
        return current
    if current is not None and (replaces is None or replaces.id != current.id):
        raise CertificateRevoked(current)
    issued_on = issued_on or date.today()
    # A write before the savepoint: on SQLite it opens the transaction that the savepoint nests in.
    db.session.execute(insert_ignoring_conflict(CertificateCounter.__table__, ["year"], year=issued_on.year,
                                                last_number=0))
    savepoint = db.session.begin_nested()
    try:
        certificate = _make(kind, holder, actor, issued_on, replaces, serial)
    except BaseException:
        savepoint.rollback()
        raise
    if certificate is not None:
        savepoint.commit()
        return certificate
    savepoint.rollback()  # another request issued it meanwhile: theirs is the one
    winner = valid_certificate(kind, holder.type, holder.id)
    if winner is None:
        raise CertificateError(_("The certificate is being changed by someone else; try again."))
    return winner


def _make(kind, holder, actor, issued_on, replaces, serial):
    """The new certificate, or None if a valid one appeared meanwhile."""
    serial = serial or reserve_serials(issued_on.year)[0]
    # A concurrent issue for this holder held the year's counter until it committed: look again.
    if valid_certificate(kind, holder.type, holder.id) is not None:
        return None
    code = new_code()
    language = certificate_language(kind)
    pdf = render(kind, holder, serial, code, issued_on, language)
    with force_locale(language.locales[0]):
        subject = str(holder.subject)  # the record says it as the certificate does
    stored = uploads.store_bytes(pdf, "pdf", FOLDER)
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    certificate_id = db.session.execute(insert(Certificate).values(
        kind=str(kind), serial=serial, verification_code=code, holder_type=holder.type, holder_id=holder.id,
        holder_name=holder.name, holder_name_local=holder.name_local, subject=subject, issued_on=issued_on,
        issued_at=utcnow(), issued_by_id=getattr(actor, "id", None), sha256=stored.sha256,
        stored_name=stored.stored_name, replaces_id=replaces.id if replaces else None,
    ).on_conflict_do_nothing(index_elements=["kind", "holder_type", "holder_id"],
                             index_where=Certificate.revoked_at.is_(None))
        .returning(Certificate.id)).scalar()
    if certificate_id is None:
        return None
    certificate = db.session.get(Certificate, certificate_id)
    audit.record("certificate.issued", certificate, actor=actor,
                 details={"serial": serial, "kind": str(kind), "holder": f"{holder.type}:{holder.id}"})
    return certificate


def pdf_of(certificate):
    """The certificate's PDF, as issued."""
    return uploads.read_stored_file(FOLDER, certificate.stored_name)


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
    """The secretariat's reissue, after a correction or a revocation: the certificate is revoked
    (if it is not already) and a new one replaces it."""
    if certificate.is_valid:
        revoke(certificate, actor, _("Replaced by a corrected certificate."))
        db.session.flush()
    new = issue(certificate.kind, holder, actor, replaces=certificate)
    audit.record("certificate.reissued", new, actor=actor, details={"replaces": certificate.serial})
    return new


def find_by_code(code):
    """The certificate whose verification code this is, as printed or as typed; codes issued
    before the short ones (32 characters, case-sensitive) still verify."""
    if not code or len(code) > 64:
        return None
    candidates = {code.strip()} | ({typed_code(code)} - {None})
    return db.session.scalar(select(Certificate).where(Certificate.verification_code.in_(candidates)))


def find_by_serial(serial, name):
    """The certificate with this serial number if `name` is its holder's: serials are sequential,
    so the name is the second factor. The holder's full name (as printed, or in local script for
    an organization) or, for a person, the surname or given name alone."""
    serial = typed_serial(serial)
    if serial is None or not name:
        return None
    certificate = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
    return certificate if certificate is not None and name_matches(certificate, name) else None


def _name_key(text):
    """A name's words in lower case, letters and digits only (any script): "Mei-Ling" is "meiling"."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join("".join(c for c in word if unicodedata.category(c)[0] in "LN") for word in text.split()).strip()


def name_matches(certificate, typed):
    """`typed` is the holder's name: in full (spaces aside), or for a person without a title or
    as the surname or given name alone (first or last word, as names are written either way)."""
    typed = _name_key(typed)
    person = CertificateKind(certificate.kind).held_by_person
    names = [certificate.holder_name] + ([] if person else [certificate.holder_name_local])  # for attendance,
    # name_local is the person's organization, not theirs
    for name in filter(None, names):
        words = _name_key(name).split()
        if typed and typed.replace(" ", "") == "".join(words):
            return True
        if person:
            while words and words[0] in TITLES:
                words = words[1:]
            if typed and typed.replace(" ", "") == "".join(words):
                return True
            if len(words) > 1 and len(typed) > 1 and typed in (words[0], words[-1]):
                return True
    return False


def recent(limit=200, query=""):
    statement = select(Certificate).order_by(Certificate.id.desc()).limit(limit)
    if query:
        statement = statement.where((Certificate.serial == query.strip().upper())
                                    | Certificate.holder_name.ilike(f"%{query.strip()}%"))
    return db.session.scalars(statement).all()
