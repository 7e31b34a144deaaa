"""Attendance certificates: for registrants who were checked in, once the assembly has begun.

The secretariat's bulk run makes all of an assembly's certificates into one ZIP in the
background: the job is split into chunks that any number of worker processes take; the
progress is counted from the certificates themselves (so a retried chunk is never counted
twice), and the chunk that completes the count makes the ZIP."""
import io
import zipfile
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from .. import audit, uploads
from ..assemblies.models import Assembly, Registration
from ..audit import utcnow
from ..certificates import services as certificates
from ..certificates.models import ZIP_FOLDER, BulkJob, Certificate
from ..extensions import db
from ..mail import send_email
from ..tasks import app_context, huey

CHUNK = 25


class AttendanceError(Exception):
    """A refused operation; the message is for the user."""


def holder(registration):
    assembly = registration.assembly
    when = assembly.local(assembly.starts_at).strftime("%Y-%m-%d")
    return certificates.Holder("registration", registration.id, registration.name,
                               registration.organization.name if registration.organization else None,
                               f"{assembly.title}, {assembly.city}, {when}")


def issue(registration, actor=None, serial=None):
    """The attendee's certificate: the one issued, or made now (once, however many clicks). A
    revoked one stays revoked: AttendanceError says when and why."""
    if not registration.has_attended:  # checked in, not undone, and not cancelled
        raise AttendanceError(_("Only people who were checked in at the door receive an attendance certificate."))
    if not registration.assembly.has_begun():
        raise AttendanceError(_("Attendance certificates are issued once the assembly has begun."))
    try:
        certificate = certificates.issue("attendance", holder(registration), actor, serial=serial)
    except certificates.CertificateError as error:
        db.session.rollback()
        raise AttendanceError(str(error)) from None
    db.session.commit()
    return certificate


def certificate_of(registration):
    """The attendee's certificate as it stands (valid, or revoked), or None. Reads only."""
    return certificates.holder_certificate("attendance", "registration", registration.id)


def _link_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="attendance-certificate")


def link_token(registration):
    return _link_serializer().dumps(registration.id)


def registration_for_token(token):
    try:
        registration_id = _link_serializer().loads(token)
    except BadSignature:
        return None
    return db.session.get(Registration, registration_id) if isinstance(registration_id, int) else None


def _attended(assembly_id):
    return select(Registration.id).where(Registration.assembly_id == assembly_id, Registration.has_attended)


def _progress(job):
    """Attendees who have a certificate: issued, or revoked (which a bulk run does not undo)."""
    return db.session.scalar(select(func.count(func.distinct(Certificate.holder_id))).where(
        Certificate.kind == "attendance", Certificate.holder_type == "registration",
        Certificate.holder_id.in_(_attended(job.scope_id))))


def start_bulk(assembly, actor, email_links=False):
    if not assembly.has_begun():
        raise AttendanceError(_("Attendance certificates are issued once the assembly has begun."))
    total = db.session.scalar(select(func.count()).select_from(_attended(assembly.id).subquery()))
    job = BulkJob(label=_("Attendance certificates: %(title)s", title=assembly.title), scope_type="assembly",
                  scope_id=assembly.id, total=total, state="queued", created_by_id=actor.id,
                  email_links=bool(email_links))
    db.session.add(job)
    audit.record("certificate.bulk_started", job, actor=actor, details={"assembly": assembly.id, "total": total})
    db.session.commit()
    try:
        run_bulk_job(job.id, email_links)
    except Exception:  # the queue (Redis) is down: the job waits in the database, and the
        # workers' check for stalled jobs (checkin/resume.py) starts it once the queue is back
        current_app.logger.exception("bulk job %s saved but not queued", job.id)
    return job


@huey.task(retries=2, retry_delay=5)
def run_bulk_job(job_id, email_links=False):
    with app_context():
        job = db.session.get(BulkJob, job_id)
        db.session.execute(update(BulkJob).where(BulkJob.id == job_id, BulkJob.state == "queued")
                           .values(state="running"))
        db.session.commit()
        ids = db.session.scalars(_attended(job.scope_id).order_by(Registration.id)).all()
        if not ids:
            _finish(job_id)
            return
        for start in range(0, len(ids), CHUNK):
            make_chunk(job_id, ids[start:start + CHUNK], email_links)


@huey.task(retries=2, retry_delay=5)
def make_chunk(job_id, registration_ids, email_links=False):
    with app_context():
        done = set(db.session.scalars(select(Certificate.holder_id).where(
            Certificate.kind == "attendance", Certificate.holder_type == "registration",
            Certificate.holder_id.in_(registration_ids))))
        # A retried or resumed chunk redoes only what is missing, and emails only those it issues;
        # a revoked certificate stays revoked (only the secretariat's reissue replaces it).
        todo = [i for i in registration_ids if i not in done]
        # Serials in one short transaction, so that no write lock is held while PDFs render.
        serials = certificates.reserve_serials(date.today().year, len(todo)) if todo else []
        db.session.commit()
        for registration_id, serial in zip(todo, serials):
            registration = db.session.get(Registration, registration_id)
            issue(registration, serial=serial)
            if email_links:
                send_email(registration.email, _("Your certificate of attendance: %(title)s",
                                                 title=registration.assembly.title),
                           "attendance_certificate", registration=registration, token=link_token(registration))
                db.session.commit()
        job = db.session.get(BulkJob, job_id)
        db.session.execute(update(BulkJob).where(BulkJob.id == job_id).values(done=_progress(job)))
        db.session.commit()
        _finish(job_id)


def _finish(job_id):
    """The worker whose chunk completes the count makes the ZIP; the others see it taken."""
    job = db.session.get(BulkJob, job_id)
    taken = db.session.execute(update(BulkJob).where(
        BulkJob.id == job_id, BulkJob.state == "running", BulkJob.done >= BulkJob.total)
        .values(state="zipping")).rowcount
    db.session.commit()
    if taken != 1:
        return
    buffer = io.BytesIO()
    attended = _attended(job.scope_id)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in db.session.scalars(select(Certificate).where(
                Certificate.kind == "attendance", Certificate.holder_type == "registration",
                Certificate.revoked_at.is_(None), Certificate.holder_id.in_(attended)).order_by(Certificate.serial)):
            safe_name = "".join(c for c in certificate.holder_name if c.isalnum() or c in " -_")[:60].strip()
            archive.writestr(f"{certificate.serial} {safe_name}.pdf", certificates.pdf_of(certificate))
    stored = uploads.store_bytes(buffer.getvalue(), "zip", ZIP_FOLDER)
    db.session.execute(update(BulkJob).where(BulkJob.id == job_id).values(
        state="done", zip_name=stored.stored_name, finished_at=utcnow()))
    audit.record("certificate.bulk_finished", job, details={"zip_sha256": stored.sha256, "count": job.total})
    db.session.commit()


def latest_job(assembly):
    return db.session.scalar(select(BulkJob).where(BulkJob.scope_type == "assembly", BulkJob.scope_id == assembly.id)
                             .order_by(BulkJob.id.desc()).limit(1))


def assembly_of(job):
    return db.session.get(Assembly, job.scope_id)
