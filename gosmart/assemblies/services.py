"""Assemblies and registration: quotas, capacity, the waiting list, e-tickets.

Neither the capacity nor a quota is ever exceeded, even with many workers: each is a
counter moved by one guarded UPDATE (… SET n = n + 1 WHERE n < limit) whose row count
decides, inside the same transaction as the registration it admits."""
import secrets
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..audit import utcnow
from ..auth.models import Role, normalize_email
from ..extensions import db
from ..mail import send_email
from ..mail_limits import TooManyEmails, allow_email, take_email
from ..members.models import Organization
from ..members.standing import in_good_standing, why_not
from ..pdf import cached_pdf, qr_svg_data_uri
from ..queries import contains, insert_ignoring_conflict
from .models import (
    Assembly, DelegateRole, QuotaUse, Registration, RegistrationState as RS, aware,
)

ORGANIZATION_ROLES = (DelegateRole.HEAD, DelegateRole.DELEGATE, DelegateRole.OBSERVER)
SECRETARIAT_ROLES = (DelegateRole.GUEST, DelegateRole.SPEAKER)


class RegistrationError(Exception):
    """A refused registration or change; the message is for the user."""


def new_checkin_token():
    return secrets.token_urlsafe(24)  # 192 bits


# --- Assemblies ------------------------------------------------------------------------

ASSEMBLY_FIELDS = ("kind", "title", "timezone", "starts_at", "ends_at", "venue", "city", "capacity",
                   "registration_opens_at", "registration_closes_at", "delegate_quota",
                   "honorary_may_register", "observers_allowed", "description")


def save_assembly(assembly, data, actor):
    """Create or edit; a raised capacity admits the waiting list in order."""
    creating = assembly.id is None
    for name in ASSEMBLY_FIELDS:
        setattr(assembly, name, data[name])
    if creating:
        assembly.confirmed_count = 0
        db.session.add(assembly)
    audit.record("assembly.created" if creating else "assembly.updated", assembly, actor=actor)
    db.session.flush()
    if not creating:
        _promote_waiting(assembly)
    db.session.commit()
    return assembly


def cancel_assembly(assembly, actor, reason):
    if assembly.is_cancelled:
        raise RegistrationError(_("This assembly is already cancelled."))
    if not reason or not reason.strip():
        raise RegistrationError(_("Give the reason for the cancellation."))
    assembly.cancelled_at = utcnow()
    assembly.cancel_reason = reason.strip()
    audit.record("assembly.cancelled", assembly, actor=actor, details={"reason": assembly.cancel_reason})
    for registration in live_registrations(assembly):
        send_email(registration.email, _("Cancelled: %(title)s", title=assembly.title), "assembly_cancelled",
                   registration=registration, assembly=assembly)
    db.session.commit()


def live_registrations(assembly):
    return db.session.scalars(select(Registration).where(
        Registration.assembly_id == assembly.id, Registration.state != RS.CANCELLED).order_by(Registration.id)).all()


def upcoming_and_past(now=None):
    """Assemblies not yet over (soonest first) and those over (latest first)."""
    now = now or utcnow()
    assemblies = db.session.scalars(select(Assembly).order_by(Assembly.starts_at.desc())).all()
    upcoming = [a for a in reversed(assemblies) if aware(a.ends_at) >= now]
    past = [a for a in assemblies if aware(a.ends_at) < now]
    return upcoming, past


# --- Registration ------------------------------------------------------------------------

def _take_quota(assembly, organization_id):
    db.session.execute(insert_ignoring_conflict(
        QuotaUse.__table__, ["assembly_id", "organization_id"],
        assembly_id=assembly.id, organization_id=organization_id, used=0))
    taken = db.session.execute(
        update(QuotaUse).where(QuotaUse.assembly_id == assembly.id, QuotaUse.organization_id == organization_id,
                               QuotaUse.used < assembly.delegate_quota)
        .values(used=QuotaUse.used + 1)).rowcount
    return taken == 1


def _release_quota(assembly_id, organization_id):
    db.session.execute(update(QuotaUse).where(
        QuotaUse.assembly_id == assembly_id, QuotaUse.organization_id == organization_id, QuotaUse.used > 0)
        .values(used=QuotaUse.used - 1))


def _take_seat(assembly, override=False):
    """True if a confirmed place was free (or the secretariat overrides the capacity)."""
    condition = [Assembly.id == assembly.id]
    if not override:
        condition.append(Assembly.confirmed_count < Assembly.capacity)
    return db.session.execute(update(Assembly).where(*condition)
                              .values(confirmed_count=Assembly.confirmed_count + 1)).rowcount == 1


def quota_used(assembly, organization_id):
    return db.session.scalar(select(QuotaUse.used).where(
        QuotaUse.assembly_id == assembly.id, QuotaUse.organization_id == organization_id)) or 0


def register(assembly, actor, *, name, email, role, title=None, dietary_needs=None, accessibility_needs=None,
             organization=None, override_reason=None, now=None):
    """Register one person. Representatives register their organization's delegates within
    its quota; honorary members themselves; the secretariat guests and speakers outside any
    quota (and past the capacity only with a reason). A full assembly puts the new
    registration on the waiting list."""
    now = now or utcnow()
    role = DelegateRole(role)
    email = normalize_email(email)
    if assembly.is_cancelled:
        raise RegistrationError(_("This assembly is cancelled."))
    is_secretariat = actor.role == Role.SECRETARIAT
    if not is_secretariat and not assembly.registration_open(now):
        raise RegistrationError(_("Registration is closed for this assembly."))
    organization_id = None
    if actor.role == Role.REPRESENTATIVE:
        organization = actor.organization
        if organization is None or not in_good_standing(actor):
            raise RegistrationError(_("Your organization's membership is not active, so it cannot register delegates."))
        if role not in ORGANIZATION_ROLES:
            raise RegistrationError(_("Choose head of delegation, delegate or observer."))
        if role == DelegateRole.OBSERVER and not assembly.observers_allowed:
            raise RegistrationError(_("Observers cannot register for this assembly."))
        organization_id = organization.id
    elif actor.role == Role.HONORARY:
        if not in_good_standing(actor):
            raise RegistrationError(why_not(actor))
        if not assembly.honorary_may_register:
            raise RegistrationError(_("Honorary members do not register for this assembly."))
        role, name, email = DelegateRole.HONORARY, actor.name, actor.email
    elif is_secretariat:
        if role not in SECRETARIAT_ROLES and organization is None:
            raise RegistrationError(_("Choose guest or speaker, or register a delegate through their organization."))
        organization_id = organization.id if organization is not None and role in ORGANIZATION_ROLES else None
        if override_reason is not None and not override_reason.strip():
            raise RegistrationError(_("Give the reason for going past the capacity."))
    else:
        raise RegistrationError(_("You cannot register for assemblies."))
    try:
        take_email(email, actor)  # the e-ticket is an email to an address the user typed
    except TooManyEmails as error:
        raise RegistrationError(str(error)) from None

    outside_quota = organization_id is None
    if organization_id is not None and not _take_quota(assembly, organization_id):
        db.session.rollback()
        raise RegistrationError(_("Your organization has used its quota of %(n)d registrations for this assembly.",
                                  n=assembly.delegate_quota))
    override = bool(is_secretariat and override_reason)
    confirmed = _take_seat(assembly, override=override)
    registration = Registration(
        assembly_id=assembly.id, organization_id=organization_id,
        user_id=actor.id if actor.role == Role.HONORARY else None,
        name=name, title=title or None, email=email, role=role, dietary_needs=dietary_needs or None,
        accessibility_needs=accessibility_needs or None,
        state=RS.CONFIRMED if confirmed else RS.WAITING, confirmed_at=now if confirmed else None,
        checkin_token=new_checkin_token(), outside_quota=outside_quota,
        capacity_override_reason=override_reason.strip() if override else None, registered_by_id=actor.id,
        created_at=now)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise RegistrationError(_("%(email)s is already registered for this assembly.", email=email)) from None
    audit.record("registration.created", registration, actor=actor,
                 details={"state": registration.state, "role": str(role), "assembly": assembly.id,
                          **({"capacity_override": registration.capacity_override_reason} if override else {})})
    _notify(registration, "registration_confirmed" if confirmed else "registration_waiting")
    db.session.commit()
    return registration


LIVE = (RS.CONFIRMED, RS.WAITING)


def update_registration(registration, actor, data, now=None):
    """Rename or edit a live registration nobody has checked in: one guarded UPDATE (… WHERE it is
    still live and not checked in), so an edit racing the door's scan cannot rename the person
    who was just checked in."""
    if not registration.can_change(actor, now):
        raise RegistrationError(_("This registration can no longer be changed."))
    role = DelegateRole(data.get("role") or registration.role)
    if registration.organization_id and role not in ORGANIZATION_ROLES:
        raise RegistrationError(_("Choose head of delegation, delegate or observer."))
    if role == DelegateRole.OBSERVER and not registration.assembly.observers_allowed:
        raise RegistrationError(_("Observers cannot register for this assembly."))
    try:
        changed = db.session.execute(update(Registration).where(
            Registration.id == registration.id, Registration.state.in_(LIVE), Registration.checked_in_at.is_(None))
            .values(name=data["name"], title=data.get("title") or None, email=normalize_email(data["email"]),
                    role=role, dietary_needs=data.get("dietary_needs") or None,
                    accessibility_needs=data.get("accessibility_needs") or None)).rowcount
    except IntegrityError:
        db.session.rollback()
        raise RegistrationError(_("%(email)s is already registered for this assembly.", email=data["email"])) from None
    if changed != 1:
        db.session.rollback()
        raise RegistrationError(_("This registration can no longer be changed: it was checked in or cancelled "
                                  "meanwhile."))
    db.session.refresh(registration)
    audit.record("registration.updated", registration, actor=actor)
    db.session.commit()


def cancel_registration(registration, actor, now=None):
    """Cancel; a freed place goes at once to the first on the waiting list. One guarded UPDATE
    (… WHERE still live and not checked in): a cancellation racing the door's scan gives either a
    check-in or a cancellation, never both. Returns whether the registrant was emailed: a
    cancellation always happens, but its email is not sent when too many have gone to the
    address, or on the sender's behalf, lately (the caller says so)."""
    if not registration.can_cancel(actor, now):
        if registration.is_checked_in:
            raise RegistrationError(_("%(name)s is checked in: the registration can no longer be cancelled.",
                                      name=registration.name))
        raise RegistrationError(_("This registration can no longer be cancelled."))
    was = registration.state
    # Guarded on the state we saw, too: a waiting registration promoted meanwhile frees a seat.
    changed = db.session.execute(update(Registration).where(
        Registration.id == registration.id, Registration.state == was, Registration.checked_in_at.is_(None))
        .values(state=RS.CANCELLED, cancelled_at=now or utcnow())).rowcount
    if changed != 1:
        db.session.rollback()
        raise RegistrationError(_("This registration was cancelled or checked in meanwhile; reload the page."))
    if registration.organization_id:
        _release_quota(registration.assembly_id, registration.organization_id)
    if was == RS.CONFIRMED:
        db.session.execute(update(Assembly).where(Assembly.id == registration.assembly_id)
                           .values(confirmed_count=Assembly.confirmed_count - 1))
    db.session.refresh(registration)
    audit.record("registration.cancelled", registration, actor=actor, details={"was": was})
    notified = allow_email(registration.email, actor)
    if notified:
        _notify(registration, "registration_cancelled")
    _promote_waiting(registration.assembly)
    db.session.commit()
    return notified


def _promote_waiting(assembly):
    """Admit the waiting list in order of arrival while places are free."""
    while True:
        waiter_id = db.session.scalar(
            select(Registration.id).where(Registration.assembly_id == assembly.id, Registration.state == RS.WAITING)
            .order_by(Registration.id).limit(1).with_for_update(skip_locked=True))
        if waiter_id is None or not _take_seat(assembly):
            return
        promoted = db.session.execute(update(Registration).where(
            Registration.id == waiter_id, Registration.state == RS.WAITING)
            .values(state=RS.CONFIRMED, confirmed_at=utcnow())).rowcount
        if promoted != 1:  # taken meanwhile: give the seat back and look again
            db.session.execute(update(Assembly).where(Assembly.id == assembly.id)
                               .values(confirmed_count=Assembly.confirmed_count - 1))
            continue
        registration = db.session.get(Registration, waiter_id)
        db.session.refresh(registration)
        audit.record("registration.promoted", registration, actor=None, details={"assembly": assembly.id})
        _notify(registration, "registration_promoted")


def reissue_token(registration, actor):
    if not registration.can_view(actor) or registration.state != RS.CONFIRMED:
        raise RegistrationError(_("Only a confirmed registration has a ticket."))
    try:
        take_email(registration.email, actor)
    except TooManyEmails as error:
        raise RegistrationError(str(error)) from None
    registration.checkin_token = new_checkin_token()
    audit.record("registration.ticket_reissued", registration, actor=actor)
    _notify(registration, "registration_confirmed", reissued=True)
    db.session.commit()


# --- Tickets (badge sheets: badges.py) -----------------------------------------------------

def ticket_pdf(registration, limit_renders=False):
    """The e-ticket (kept by its content: gosmart/pdf.py's cached_pdf)."""
    return cached_pdf("pdf/ticket.html", limit_renders=limit_renders, registration=registration,
                      assembly=registration.assembly, qr=qr_svg_data_uri(registration.checkin_token))



def _notify(registration, template, **context):
    subjects = {
        "registration_confirmed": _("Your e-ticket: %(title)s", title=registration.assembly.title),
        "registration_waiting": _("Waiting list: %(title)s", title=registration.assembly.title),
        "registration_promoted": _("A place is free: your e-ticket for %(title)s", title=registration.assembly.title),
        "registration_cancelled": _("Registration cancelled: %(title)s", title=registration.assembly.title),
    }
    attachments = ()
    if template in ("registration_confirmed", "registration_promoted"):
        attachments = [(f"ticket-{registration.id}.pdf", "application/pdf", ticket_pdf(registration))]
    send_email(registration.email, subjects[template], template, attachments=attachments,
               registration=registration, assembly=registration.assembly, **context)


# --- Lists ----------------------------------------------------------------------------------

def _registrations_query(assembly, organization_id=None, user_id=None, state=None, role=None, organization=None):
    """`organization`: text that the organization's name or membership number contains."""
    query = select(Registration).where(Registration.assembly_id == assembly.id)
    if organization:
        query = query.where(Registration.organization_id.in_(select(Organization.id).where(or_(
            contains(Organization.name, organization), contains(Organization.membership_number, organization)))))
    if organization_id:
        query = query.where(Registration.organization_id == organization_id)
    if user_id:
        query = query.where(Registration.user_id == user_id)
    if state:
        query = query.where(Registration.state == state)
    if role:
        query = query.where(Registration.role == role)
    return query.order_by(Registration.id)


def registrations_of(assembly, **filters):
    return db.session.scalars(_registrations_query(assembly, **filters)).all()


def assembly_choices():
    """(id, title, starts_at) of every assembly and meeting, the latest first: what another
    record (an MOU, a committee meeting) may name as where it happened."""
    return db.session.execute(
        select(Assembly.id, Assembly.title, Assembly.starts_at).order_by(Assembly.starts_at.desc())).all()


REGISTRATION_PAGE = 50


def registrations_page(assembly, after=None, page_size=REGISTRATION_PAGE, **filters):
    """(registrations, the id to continue after or None): the list in id order, paged by id
    (keyset), so that the 200th page of a 10,000-person assembly costs what the first does."""
    query = _registrations_query(assembly, **filters)
    if after:
        query = query.where(Registration.id > after)
    rows = db.session.scalars(query.limit(page_size + 1)).all()
    return rows[:page_size], (rows[page_size - 1].id if len(rows) > page_size else None)


def counts(assembly):
    rows = dict(db.session.execute(select(Registration.state, func.count()).where(
        Registration.assembly_id == assembly.id).group_by(Registration.state)).all())
    checked_in = db.session.scalar(select(func.count()).where(
        Registration.assembly_id == assembly.id, Registration.checked_in_at.is_not(None)))
    return {"confirmed": rows.get(RS.CONFIRMED, 0), "waiting": rows.get(RS.WAITING, 0),
            "cancelled": rows.get(RS.CANCELLED, 0), "checked_in": checked_in}


def export_rows(assembly, **filters):
    for r in registrations_of(assembly, **filters):
        yield [r.id, r.organization.membership_number if r.organization else "", r.organization.name if r.organization else "",
               r.name, r.title, r.email, r.role, r.state, r.dietary_needs, r.accessibility_needs,
               r.created_at, r.checked_in_at]


EXPORT_HEADER = ["registration", "membership_number", "organization", "name", "title", "email", "role", "state",
                 "dietary_needs", "accessibility_needs", "registered_at", "checked_in_at"]


def local_to_utc(naive_local, timezone):
    """A time typed in the venue's time zone, as UTC."""
    return naive_local.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


def open_for_registration(now=None, limit=5):
    """Assemblies whose registration is open now, soonest first."""
    now = now or utcnow()
    return db.session.scalars(select(Assembly).where(
        Assembly.cancelled_at.is_(None), Assembly.registration_opens_at <= now, Assembly.registration_closes_at > now)
        .order_by(Assembly.starts_at).limit(limit)).all()


def quota_use_by_assembly(organization_id, assembly_ids):
    return dict(db.session.execute(select(QuotaUse.assembly_id, QuotaUse.used).where(
        QuotaUse.organization_id == organization_id, QuotaUse.assembly_id.in_(assembly_ids))).all())
