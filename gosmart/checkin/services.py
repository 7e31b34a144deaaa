"""Check-in at the door.

One guarded UPDATE (… WHERE checked_in_at IS NULL) decides, so two stations scanning the
same ticket at the same moment get exactly one "checked in". Every scan is stored with
the station's own id for it, so a retried request (a dropped connection, a queued scan
sent again) gets the first answer and is never counted twice. A fixed, small number of
queries per scan, whatever the size of the assembly."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..assemblies.models import Assembly, DoorAssignment, Registration, RegistrationState as RS
from ..auth.models import Role, User
from ..audit import utcnow
from ..certificates import services as certificates
from ..extensions import db
from ..members.models import Organization
from ..queries import insert_ignoring_conflict, like_escape
from .models import CheckInScan, Verdict


class CheckInError(Exception):
    """A refused operation; the message is for the user."""


@dataclass
class Answer:
    verdict: Verdict
    registration: Registration | None = None
    checked_in_at: datetime | None = None
    station: str | None = None
    by: str | None = None
    replayed: bool = False


def can_work_door(user, assembly):
    if not user.is_authenticated:
        return False
    if user.role == Role.SECRETARIAT:
        return True
    return user.role == Role.DOOR_STAFF and db.session.get(DoorAssignment, (assembly.id, user.id)) is not None


def assemblies_for(user):
    """The assemblies whose door this user may work: all for the secretariat, the assigned ones for door staff."""
    query = select(Assembly).where(Assembly.cancelled_at.is_(None)).order_by(Assembly.starts_at.desc())
    if user.role != Role.SECRETARIAT:
        query = query.join(DoorAssignment, DoorAssignment.assembly_id == Assembly.id).where(
            DoorAssignment.user_id == user.id)
    return db.session.scalars(query).all()


def _answer_for(scan):
    registration = db.session.get(Registration, scan.registration_id) if scan.registration_id else None
    return _describe(Verdict(scan.verdict), registration, replayed=True)


def _describe(verdict, registration, replayed=False):
    answer = Answer(verdict, registration, replayed=replayed)
    if registration is not None and registration.checked_in_at and verdict in (Verdict.CHECKED_IN, Verdict.ALREADY):
        answer.checked_in_at = registration.checked_in_at
        answer.station = registration.checked_in_station
        if registration.checked_in_by_id:
            answer.by = db.session.scalar(select(User.name).where(User.id == registration.checked_in_by_id))
    return answer


def check_in(assembly, user, client_id, station, token=None, registration_id=None, scanned_at=None):
    """The door's verdict on one scan (by ticket token) or pick (by registration id)."""
    client_id = (client_id or "")[:64]
    if not client_id:
        raise CheckInError(_("The station did not send a scan id; reload the page."))
    previous = db.session.scalar(select(CheckInScan).where(CheckInScan.client_id == client_id))
    if previous is not None:
        return _answer_for(previous)
    if token:
        registration = db.session.scalar(select(Registration).where(Registration.checkin_token == token.strip()))
    elif registration_id:
        registration = db.session.get(Registration, registration_id)
    else:
        registration = None
    if registration is None:
        verdict = Verdict.UNKNOWN
    elif registration.assembly_id != assembly.id:
        verdict = Verdict.OTHER_ASSEMBLY
    elif registration.state == RS.WAITING:
        verdict = Verdict.WAITING
    elif registration.state == RS.CANCELLED:
        verdict = Verdict.CANCELLED
    else:
        won = db.session.execute(update(Registration).where(
            Registration.id == registration.id, Registration.state == RS.CONFIRMED,
            Registration.checked_in_at.is_(None))
            .values(checked_in_at=utcnow(), checked_in_station=station, checked_in_by_id=user.id,
                    no_show=False)).rowcount
        db.session.refresh(registration)
        if won == 1:
            verdict = Verdict.CHECKED_IN
        else:  # someone was first: another station, or a cancellation a moment ago
            verdict = Verdict.CANCELLED if registration.state == RS.CANCELLED else Verdict.ALREADY
    db.session.add(CheckInScan(
        client_id=client_id, assembly_id=assembly.id, verdict=verdict, station=station, user_id=user.id,
        registration_id=registration.id if registration is not None and verdict != Verdict.OTHER_ASSEMBLY else None,
        scanned_at=scanned_at))
    if verdict == Verdict.CHECKED_IN:
        audit.record("checkin.checked_in", registration, actor=user, details={"station": station})
    try:
        db.session.commit()
    except IntegrityError:  # the same scan arrived twice at once: the first one's answer stands
        db.session.rollback()
        return _answer_for(db.session.scalar(select(CheckInScan).where(CheckInScan.client_id == client_id)))
    if verdict == Verdict.OTHER_ASSEMBLY:
        registration = None  # tell the door it is for another assembly, not whose ticket it is
    return _describe(verdict, registration)


def undo(registration, user, reason):
    """The secretariat undoes a mistaken check-in, with its reason. An attendance certificate
    already issued for it no longer attests anything: it is revoked with the same reason."""
    if not reason or not reason.strip():
        raise CheckInError(_("Give the reason for undoing the check-in."))
    was = registration.checked_in_at
    changed = db.session.execute(update(Registration).where(
        Registration.id == registration.id, Registration.checked_in_at.is_not(None))
        .values(checked_in_at=None, checked_in_station=None, checked_in_by_id=None)).rowcount
    if changed != 1:
        db.session.rollback()
        raise CheckInError(_("This person is not checked in."))
    audit.record("checkin.undone", registration, actor=user,
                 details={"reason": reason.strip(), "was": was.isoformat() if was else None})
    certificate = certificates.valid_certificate("attendance", "registration", registration.id)
    if certificate is not None:
        try:
            certificates.revoke(certificate, user, _("The check-in was undone: %(reason)s", reason=reason.strip()))
        except certificates.CertificateError:  # revoked meanwhile, and everything rolled back with it
            raise CheckInError(_("This registration was changed by someone else meanwhile; reload the page.")) from None
    db.session.commit()


def mark_no_shows(assembly, user, now=None):
    if not assembly.has_begun(now):
        raise CheckInError(_("No-shows can be marked once the assembly has begun."))
    count = db.session.execute(update(Registration).where(
        Registration.assembly_id == assembly.id, Registration.state == RS.CONFIRMED,
        Registration.checked_in_at.is_(None), Registration.no_show.is_(False)).values(no_show=True)).rowcount
    audit.record("checkin.no_shows_marked", assembly, actor=user, details={"count": count})
    db.session.commit()
    return count


def live_count(assembly):
    arrived, expected = db.session.execute(select(
        func.count(Registration.checked_in_at), func.count(Registration.id)).where(
        Registration.assembly_id == assembly.id, Registration.state == RS.CONFIRMED)).one()
    return arrived, expected


def search(assembly, text, limit=10):
    """Confirmed, waiting or cancelled registrations whose name or organization matches."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    pattern = "%" + like_escape(text.lower()) + "%"
    return db.session.scalars(
        select(Registration).outerjoin(Registration.organization).where(
            Registration.assembly_id == assembly.id,
            or_(func.lower(Registration.name).like(pattern, escape="\\"),
                Registration.organization.has(func.lower(Organization.name).like(pattern, escape="\\")))
        ).order_by(Registration.name).limit(limit)).all()


def checkin_rows(assembly):
    statement = (select(Registration).where(Registration.assembly_id == assembly.id, Registration.state == RS.CONFIRMED)
                 .order_by(Registration.checked_in_at.is_(None), Registration.checked_in_at, Registration.id))
    for r in db.session.scalars(statement):
        yield [r.id, r.name, r.organization.name if r.organization else "", r.role,
               r.checked_in_at.isoformat() if r.checked_in_at else "", r.checked_in_station or "",
               "yes" if r.no_show else ""]


CHECKIN_HEADER = ["registration", "name", "organization", "role", "checked_in_at_utc", "station", "no_show"]


def assign(assembly, user, actor):
    if user.role != Role.DOOR_STAFF:
        raise CheckInError(_("Only door-staff accounts are assigned to doors."))
    # Insert unless there: assigning twice at once (a double click) records one assignment.
    added = db.session.execute(insert_ignoring_conflict(
        DoorAssignment.__table__, ["assembly_id", "user_id"], assembly_id=assembly.id, user_id=user.id)
        .returning(DoorAssignment.user_id)).first()  # (rowcount is not reliable for an INSERT on psycopg)
    if added is not None:
        audit.record("checkin.door_staff_assigned", assembly, actor=actor, details={"user": user.email})
    db.session.commit()


def door_staff_accounts():
    return db.session.scalars(select(User).where(User.role == Role.DOOR_STAFF, User.active.is_(True))
                              .order_by(User.name)).all()
