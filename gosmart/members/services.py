"""Membership applications, their review, the member lifecycle, honorary members.

Every state change goes through `_transition()`: one table of what is allowed, one
guarded UPDATE (… WHERE state = the state we saw), an event on the timeline, an audit
entry, and the emails, all in one transaction."""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from .. import audit, uploads
from ..audit import utcnow
from ..auth import services as accounts
from ..auth.models import Role, User, normalize_email
from ..certificates import services as certificates
from ..certificates.models import Certificate
from ..extensions import db
from ..mail import send_email
from ..mail_limits import allow_email
from ..queries import contains, insert_ignoring_conflict
from .models import (
    AWAITING_REVIEW, DOCUMENTS_FOLDER, EDITABLE, OPEN_STATES, Application, ApplicationDocument, ApplicationEvent,
    ApplicationState as S, Category, EventVisibility, HonoraryMember, HonoraryStatus, MemberStatus,
    MembershipCounter, Organization, OrganizationTopic,
)

MAX_DOCUMENTS = 5


class MembershipError(Exception):
    """A refused operation; the message is for the user."""


@dataclass(frozen=True)
class Transition:
    sources: tuple
    target: S
    by_secretariat: bool
    label: str


TRANSITIONS = {
    "submit": Transition((S.DRAFT,), S.SUBMITTED, False, _l("submit")),
    "resubmit": Transition((S.CHANGES_REQUESTED,), S.RESUBMITTED, False, _l("resubmit")),
    "withdraw": Transition(OPEN_STATES, S.WITHDRAWN, False, _l("withdraw")),
    "request_changes": Transition(AWAITING_REVIEW, S.CHANGES_REQUESTED, True, _l("request changes to")),
    "approve": Transition(AWAITING_REVIEW, S.APPROVED, True, _l("approve")),
    "reject": Transition(AWAITING_REVIEW, S.REJECTED, True, _l("reject")),
}


def _transition(application, action, actor, message=None, guard=()):
    rule = TRANSITIONS[action]
    seen = application.state
    if seen not in rule.sources:
        raise MembershipError(_("You cannot %(action)s an application that is %(state)s.",
                                action=rule.label, state=S(seen).label.lower()))
    now = utcnow()
    values = {"state": rule.target, "updated_at": now}
    if rule.target in (S.APPROVED, S.REJECTED):
        values.update(decided_at=now, decided_by_id=actor.id, decision_reason=message)
    if action == "submit":
        values["submitted_at"] = now
    # Guarded: if someone else moved the application meanwhile, nothing changes.
    changed = db.session.execute(
        update(Application).where(Application.id == application.id, Application.state == seen, *guard)
        .values(**values)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise MembershipError(_("This application was changed by someone else meanwhile; reload the page."))
    db.session.refresh(application)
    db.session.add(ApplicationEvent(application=application, actor_id=actor.id, action=action,
                                    from_state=seen, to_state=rule.target, message=message))
    audit.record(f"application.{action}", application, actor=actor,
                 details={"from": seen, "to": str(rule.target), **({"message": message} if message else {})})


# --- The applicant's side ------------------------------------------------------

CONTACT_FIELDS = ("contact_name", "contact_title", "contact_email", "contact_phone", "website")


def _draft_values(data):
    """The columns an applicant's form sets on an application."""
    values = {"name": data["name"], "name_local": data.get("name_local") or None, "country": data["country"],
              "answers": {k: v for k, v in data.get("answers", {}).items() if v not in (None, "", [])},
              "updated_at": utcnow()}
    for field in CONTACT_FIELDS:
        values[field] = data.get(field) or None
    if values["contact_email"]:
        values["contact_email"] = normalize_email(values["contact_email"])
    return values


def save_draft(application, data):
    """Store the form's answers on an application the applicant may still edit: one guarded
    UPDATE (… WHERE state is still editable), so a save racing the submission (a second tab, a
    double click) cannot change what was submitted."""
    if application.state not in EDITABLE:
        raise MembershipError(_("This application can no longer be changed."))
    changed = db.session.execute(update(Application).where(
        Application.id == application.id, Application.state.in_([str(s) for s in EDITABLE]))
        .values(**_draft_values(data))).rowcount
    if changed != 1:
        db.session.rollback()
        raise MembershipError(_("This application can no longer be changed."))
    db.session.refresh(application)


def start_application(category, data, applicant=None, account=None):
    """A new draft. A visitor gives `account` (name, email, password, and the locale they
    applied in, for the emails) and gets an applicant account with a link to confirm the email —
    unless the address already has an account: then nothing is created, the address's owner is
    told by email, and None is returned. The caller answers a visitor the same in both cases
    ("we have sent you an email"), so that the form does not tell who has an account."""
    category = Category(category)
    if applicant is None:
        applicant = _new_applicant(account)
        if applicant is None:
            return None
    elif applicant.role != Role.APPLICANT:
        raise MembershipError(_("Your account already belongs to a member; membership applications come from new applicants."))
    application = Application(category=category, applicant=applicant, state=S.DRAFT, **_draft_values(data))
    db.session.add(application)
    audit.record("application.created", application, actor=applicant)
    db.session.commit()
    return application


def _new_applicant(account):
    """The visitor's new account, or None (and its owner emailed) when the address has one.
    Both ways do the same work: the password checked and hashed, one email."""
    existing = accounts.find_user(account["email"])
    if existing is None:
        try:
            applicant = accounts.add_user(name=account["name"], email=account["email"], role=Role.APPLICANT,
                                          password=account["password"], locale=account.get("locale"))
        except accounts.EmailTaken:  # the same address applied at the same moment: that one has the account
            existing = accounts.find_user(account["email"])
        except accounts.AccountError as error:
            raise MembershipError(str(error)) from None
        else:
            audit.record("account.created", applicant, actor=applicant, details={"role": "applicant"})
            accounts.send_email_confirmation(applicant)
            return applicant
    else:
        accounts.password_problem(account["password"])  # the same work as set_password() above
        accounts.hash_password(account["password"])
    if existing is not None:
        audit.record("application.account_exists", existing, details={"email": existing.email})
        if allow_email(existing.email):  # else its owner has been told often enough lately
            send_email(existing.email, _l("Your GO SMART account: an application with your address"),
                       "application_account_exists", locale=existing.locale, user=existing)
        db.session.commit()
    return None


def update_draft(application, data, actor):
    save_draft(application, data)
    audit.record("application.saved", application, actor=actor)
    db.session.commit()


def submit(application, actor):
    """Send the application to the secretariat (again, after a change request)."""
    if application.applicant.organization_id is not None:  # approved for another organization meanwhile
        raise MembershipError(_("Your account already belongs to a member; membership applications come from new applicants."))
    if actor.email_confirmed_at is None:
        raise MembershipError(_("Please confirm your email address first: open the link we sent you."))
    if not application.documents:
        raise MembershipError(_("Please add at least one supporting document, such as a letter of intent."))
    action = "resubmit" if application.state == S.CHANGES_REQUESTED else "submit"
    # Guarded on the document count too: a removal racing the submission cannot leave it with none.
    _transition(application, action, actor, guard=(Application.document_count > 0,))
    send_email(application.applicant.email, _l("We received your GO SMART membership application"),
               "application_submitted", locale=application.applicant.locale, application=application,
               resubmitted=action == "resubmit")
    db.session.commit()


def withdraw(application, actor):
    """Withdraw; True if the applicant was emailed about it. Withdrawing always happens, but an
    account made with someone else's (unconfirmed) address could otherwise draft and withdraw in
    a loop: over the email limits (gosmart/mail_limits.py) no email is sent, and the caller says so."""
    _transition(application, "withdraw", actor)
    notified = allow_email(application.applicant.email, actor)
    if notified:
        send_email(application.applicant.email, _l("Your GO SMART membership application was withdrawn"),
                   "application_withdrawn", locale=application.applicant.locale, application=application)
    db.session.commit()
    return notified


def add_document(application, stored, actor):
    """Record an uploaded file (already checked and stored by gosmart.uploads). The limit is held
    by one guarded UPDATE of the application's document count (… WHERE document_count < MAX and
    the application is still editable): uploads at the same moment never pass it."""
    if not application.can_edit(actor):
        raise MembershipError(_("Documents can only be added while the application can be changed."))
    taken = db.session.execute(update(Application).where(
        Application.id == application.id, Application.state.in_([str(s) for s in EDITABLE]),
        Application.document_count < MAX_DOCUMENTS)
        .values(document_count=Application.document_count + 1)).rowcount
    if taken != 1:
        db.session.rollback()
        raise MembershipError(_("An application has at most %(n)d documents; remove one first.", n=MAX_DOCUMENTS))
    document = ApplicationDocument(application_id=application.id, stored_name=stored.stored_name,
                                   original_name=stored.original_name, content_type=stored.content_type,
                                   size=stored.size, sha256=stored.sha256)
    db.session.add(document)
    audit.record("application.document_added", application, actor=actor,
                 details={"document": stored.original_name, "sha256": stored.sha256})
    db.session.commit()
    return document


def remove_document(document, actor):
    application = document.application
    if not application.can_edit(actor):
        raise MembershipError(_("Documents can only be removed while the application can be changed."))
    # Locks in the order an upload takes them (the file, then the application), so that a removal
    # and an upload of the same content at the same moment cannot deadlock.
    removed = db.session.execute(delete(ApplicationDocument).where(ApplicationDocument.id == document.id)).rowcount
    if removed != 1:  # removed meanwhile (a double click): nothing to give back
        db.session.rollback()
        return
    uploads.delete_stored_file(DOCUMENTS_FOLDER, document.stored_name)  # unless another row names it
    # The count guarded on the state: a removal racing the submission changes nothing submitted.
    released = db.session.execute(update(Application).where(
        Application.id == application.id, Application.state.in_([str(s) for s in EDITABLE]),
        Application.document_count > 0).values(document_count=Application.document_count - 1)).rowcount
    if released != 1:
        db.session.rollback()
        raise MembershipError(_("Documents can only be removed while the application can be changed."))
    audit.record("application.document_removed", application, actor=actor,
                 details={"document": document.original_name})
    db.session.commit()


def similar_members_or_applications(name, country, exclude_application_id=None, viewer=None):
    """Members or open applications with the same name and country: a warning, not a block.

    Only the secretariat learns of every member and of open applications (confidential). Anyone
    else — a visitor, an applicant — hears only of members the public directory shows (active,
    listed publicly), and of no application."""
    if not name or not country:
        return [], []
    same_name = func.lower(Organization.name) == name.strip().lower()
    query = select(Organization).where(same_name, Organization.country == country)
    secretariat = viewer is not None and getattr(viewer, "role", None) == Role.SECRETARIAT
    if not secretariat:
        query = query.where(Organization.status == MemberStatus.ACTIVE, Organization.listed_publicly.is_(True))
    members = db.session.scalars(query.limit(5)).all()
    if not secretariat:
        return members, []
    query = select(Application).where(
        func.lower(Application.name) == name.strip().lower(), Application.country == country,
        Application.state.in_([str(s) for s in OPEN_STATES if s != S.DRAFT]))
    if exclude_application_id:
        query = query.where(Application.id != exclude_application_id)
    return members, db.session.scalars(query.limit(5)).all()


# --- The secretariat's review --------------------------------------------------

def review_queue(state=None, category=None, country=None, limit=200):
    """Applications for review, oldest submitted first; drafts are the applicants' own business."""
    query = select(Application).where(Application.state != S.DRAFT)
    if state:
        query = query.where(Application.state == state)
    else:
        query = query.where(Application.state.in_([str(s) for s in AWAITING_REVIEW]))
    if category:
        query = query.where(Application.category == category)
    if country:
        query = query.where(Application.country == country)
    query = query.order_by(Application.submitted_at.is_(None), Application.submitted_at, Application.id)
    return db.session.scalars(query.limit(limit)).all()


def comment(application, actor, message, visibility):
    visibility = EventVisibility(visibility)
    db.session.add(ApplicationEvent(application=application, actor_id=actor.id, action="comment",
                                    message=message, visibility=visibility))
    audit.record("application.commented", application, actor=actor, details={"visibility": str(visibility)})
    if visibility == EventVisibility.APPLICANT:
        send_email(application.applicant.email, _l("The GO SMART secretariat commented on your application"),
                   "application_comment", locale=application.applicant.locale, application=application,
                   message=message)
    db.session.commit()


def request_changes(application, actor, message):
    if not message or not message.strip():
        raise MembershipError(_("Say what should change."))
    _transition(application, "request_changes", actor, message.strip())
    send_email(application.applicant.email, _l("Your GO SMART application: changes requested"),
               "application_changes_requested", locale=application.applicant.locale, application=application,
               message=message.strip())
    db.session.commit()


def reject(application, actor, reason):
    if not reason or not reason.strip():
        raise MembershipError(_("Give the reason for the rejection."))
    _transition(application, "reject", actor, reason.strip())
    send_email(application.applicant.email, _l("Your GO SMART membership application"),
               "application_rejected", locale=application.applicant.locale, application=application,
               reason=reason.strip())
    db.session.commit()


def next_membership_number(year):
    """GS-<year>-<4 digits>: sequential per year, never reused, unique under concurrency
    (one guarded UPDATE on the year's counter row, which the database serializes). A number
    already held (a member recorded with its number, not through the counter) is passed over:
    the counter row stays locked by this transaction meanwhile, so no approval can take it."""
    db.session.execute(insert_ignoring_conflict(MembershipCounter.__table__, ["year"], year=year, last_number=0))
    while True:
        number = db.session.execute(
            update(MembershipCounter).where(MembershipCounter.year == year)
            .values(last_number=MembershipCounter.last_number + 1).returning(MembershipCounter.last_number)
        ).scalar_one()
        candidate = f"GS-{year}-{number:04d}"
        if db.session.scalar(select(Organization.id).where(Organization.membership_number == candidate)) is None:
            return candidate


def already_represents_message(applicant):
    organization = applicant.organization
    return _("%(person)s already represents %(name)s (%(number)s): approving this application would leave that "
             "member without its representative. Reject it, giving the reason, or ask the applicant to apply with "
             "another account.", person=applicant.name, name=organization.name if organization else "—",
             number=(organization.membership_number or "—") if organization else "—")


def approve(application, actor, today=None):
    """Approve: the organization, its membership number, the applicant as its representative."""
    today = today or date.today()
    applicant = application.applicant
    if applicant.organization_id is not None:
        raise MembershipError(already_represents_message(applicant))
    _transition(application, "approve", actor)
    answers = application.answers or {}
    organization = Organization(
        name=application.name, name_local=application.name_local, category=application.category,
        country=application.country, membership_number=next_membership_number(today.year),
        member_since=today, status=MemberStatus.ACTIVE,
        details={k: v for k, v in answers.items() if k != "topics"},
        contact_name=application.contact_name, contact_email=application.contact_email,
        contact_phone=application.contact_phone, website=application.website,
        description=answers.get("description") or answers.get("solutions"),
    )
    db.session.add(organization)
    db.session.flush()
    for topic in sorted(set(answers.get("topics", []))):
        db.session.add(OrganizationTopic(organization_id=organization.id, topic=topic))
    application.organization_id = organization.id
    # Guarded: an applicant approved for another organization meanwhile (two of their applications
    # approved at once) is not moved, which would leave that member without its representative.
    moved = db.session.execute(update(User).where(User.id == applicant.id, User.organization_id.is_(None))
                               .values(role=Role.REPRESENTATIVE, organization_id=organization.id)).rowcount
    if moved != 1:
        db.session.rollback()
        raise MembershipError(already_represents_message(db.session.get(User, applicant.id)))
    db.session.refresh(applicant)
    audit.record("organization.created", organization, actor=actor,
                 details={"membership_number": organization.membership_number, "application": application.id})
    certificate = certificates.issue("membership", membership_holder(organization), actor, issued_on=today)
    send_email(applicant.email, _l("Welcome to GO SMART: your membership is approved"),
               "application_approved", locale=applicant.locale, application=application, organization=organization,
               attachments=[(f"{certificate.serial}.pdf", "application/pdf", certificates.pdf_of(certificate))])
    db.session.commit()
    return organization


# --- Member lifecycle ----------------------------------------------------------

LIFECYCLE = {
    "suspend": ((MemberStatus.ACTIVE,), MemberStatus.SUSPENDED),
    "reinstate": ((MemberStatus.SUSPENDED, MemberStatus.WITHDRAWN), MemberStatus.ACTIVE),
    "withdraw": ((MemberStatus.ACTIVE, MemberStatus.SUSPENDED), MemberStatus.WITHDRAWN),
}


def change_member_status(organization, action, actor, reason=None, on=None):
    sources, target = LIFECYCLE[action]
    if action in ("suspend", "withdraw") and not (reason and reason.strip()):
        raise MembershipError(_("Give the reason."))
    seen = organization.status
    if seen not in sources:
        raise MembershipError(_("A member that is %(state)s cannot be changed this way.",
                                state=MemberStatus(seen).label.lower()))
    values = {"status": target, "status_reason": reason.strip() if reason else None,
              "withdrawn_on": (on or date.today()) if target == MemberStatus.WITHDRAWN else None}
    changed = db.session.execute(
        update(Organization).where(Organization.id == organization.id, Organization.status == seen).values(**values)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise MembershipError(_("This member was changed by someone else meanwhile; reload the page."))
    db.session.refresh(organization)
    audit.record(f"organization.{action}", organization, actor=actor,
                 details={"from": seen, "to": str(target), **({"reason": reason} if reason else {})})
    for representative in organization.representatives:
        send_email(representative.email, _l("GO SMART membership of %(name)s", name=organization.name),
                   "member_status_changed", locale=representative.locale, organization=organization, action=action,
                   user=representative)
    db.session.commit()


# --- Certificates --------------------------------------------------------------

def membership_holder(organization):
    # The category label stays lazy: the certificate writes it in its own language.
    return certificates.Holder("organization", organization.id, organization.name, organization.name_local,
                               organization.category_label)


def honorary_holder(honorary):
    affiliation = ", ".join(p for p in (honorary.title, honorary.affiliation) if p)
    return certificates.Holder("honorary_member", honorary.id, honorary.user.name, None, affiliation[:300])


def membership_certificate(organization):
    """The organization's valid membership certificate, to download. Reads only: certificates are
    issued on approval (and by `flask certificates backfill`), never by a download. MembershipError
    says why there is none: not in good standing, not issued yet, or revoked (when and why)."""
    if not organization.in_good_standing:
        raise MembershipError(_("Only an active member has a valid membership certificate."))
    return _downloadable(certificate_of(organization))


def honorary_certificate(user):
    """The honorary member's valid certificate, to download (reads only; see membership_certificate)."""
    honorary = db.session.scalar(select(HonoraryMember).where(HonoraryMember.user_id == user.id))
    if honorary is None or not honorary.in_good_standing:
        raise MembershipError(_("There is no honorary membership certificate for this account."))
    return _downloadable(certificates.holder_certificate("honorary", "honorary_member", honorary.id))


def certificate_of(organization):
    """The organization's membership certificate as it stands (valid, or revoked), or None."""
    return certificates.holder_certificate("membership", "organization", organization.id)


def _downloadable(certificate):
    if certificate is None:
        raise MembershipError(_("Your certificate has not been issued yet. The secretariat issues it; write to "
                                "them if you need it now."))
    if not certificate.is_valid:
        raise MembershipError(certificates.revocation_notice(certificate))
    return certificate


def reissue_membership_certificate(organization, actor):
    """After a correction of the name, or a revocation: the certificate is issued again and any
    earlier one stays revoked."""
    current = certificates.holder_certificate("membership", "organization", organization.id)
    if current is None:
        certificate = certificates.issue("membership", membership_holder(organization), actor)
    else:
        certificate = certificates.reissue(current, membership_holder(organization), actor)
    db.session.commit()
    return certificate


def backfill_certificates(actor=None, organization_ids=None, honorary_ids=None):
    """Issue the certificates of active members and honorary members who never had one (granted
    before certificates existed); a revoked certificate stays revoked. One commit per certificate,
    so a long run can be stopped and run again. Returns the certificates issued. `organization_ids`,
    `honorary_ids`: only these (the demo)."""
    organizations = select(Organization).where(Organization.status == MemberStatus.ACTIVE, ~_has_certificate(
        "membership", "organization", Organization.id)).order_by(Organization.id)
    honorary = select(HonoraryMember).where(HonoraryMember.status == MemberStatus.ACTIVE, ~_has_certificate(
        "honorary", "honorary_member", HonoraryMember.id)).order_by(HonoraryMember.id)
    if organization_ids is not None:
        organizations = organizations.where(Organization.id.in_(organization_ids))
    if honorary_ids is not None:
        honorary = honorary.where(HonoraryMember.id.in_(honorary_ids))
    issued = []
    for organization_id in db.session.scalars(organizations.with_only_columns(Organization.id)).all():
        organization = db.session.get(Organization, organization_id)
        issued.append(certificates.issue("membership", membership_holder(organization), actor,
                                         issued_on=organization.member_since))
        db.session.commit()
    for honorary_id in db.session.scalars(honorary.with_only_columns(HonoraryMember.id)).all():
        member = db.session.get(HonoraryMember, honorary_id)
        issued.append(certificates.issue("honorary", honorary_holder(member), actor, issued_on=member.granted_on))
        db.session.commit()
    return issued


def _has_certificate(kind, holder_type, holder_id):
    return select(Certificate.id).where(Certificate.kind == kind, Certificate.holder_type == holder_type,
                                        Certificate.holder_id == holder_id).exists()


# --- Honorary members ----------------------------------------------------------

def grant_honorary(name, email, title, affiliation, citation, actor, today=None):
    try:
        user = accounts.add_user(name=name, email=email, role=Role.HONORARY, email_confirmed_at=None)
    except accounts.EmailTaken as error:
        raise MembershipError(str(error)) from None
    honorary = HonoraryMember(user_id=user.id, title=title or None, affiliation=affiliation or None,
                              citation=citation.strip(), granted_on=today or date.today(), granted_by_id=actor.id)
    db.session.add(honorary)
    audit.record("honorary.granted", honorary, actor=actor, details={"email": user.email})
    certificates.issue("honorary", honorary_holder(honorary), actor, issued_on=honorary.granted_on)
    send_email(user.email, _("You are invited to be an honorary member of GO SMART"), "honorary_invitation",
               user=user, honorary=honorary, token=accounts.password_reset_token(user, "invite"))
    db.session.commit()
    return honorary


def revoke_honorary(honorary, actor, reason):
    """The secretariat withdraws an honour: from now on the person sees what the public sees, and
    the honorary certificate is revoked with the same reason. One guarded UPDATE: two revocations
    at once record one."""
    reason = (reason or "").strip()
    if not reason:
        raise MembershipError(_("Give the reason for revoking the honorary membership."))
    changed = db.session.execute(update(HonoraryMember).where(
        HonoraryMember.id == honorary.id, HonoraryMember.status == HonoraryStatus.ACTIVE)
        .values(status=HonoraryStatus.REVOKED, revoked_at=utcnow(), revoke_reason=reason)).rowcount
    if changed != 1:
        db.session.rollback()
        raise MembershipError(_("This honorary membership is already revoked."))
    db.session.refresh(honorary)
    audit.record("honorary.revoked", honorary, actor=actor, details={"reason": reason, "email": honorary.user.email})
    certificate = certificates.valid_certificate("honorary", "honorary_member", honorary.id)
    if certificate is not None:
        try:
            certificates.revoke(certificate, actor, reason)
        except certificates.CertificateError:  # revoked meanwhile, and everything rolled back with it
            raise MembershipError(_("This honorary membership was changed by someone else meanwhile; reload the "
                                    "page.")) from None
    user = honorary.user
    send_email(user.email, _("Your honorary membership of GO SMART"), "honorary_revoked", locale=user.locale,
               user=user, honorary=honorary)
    db.session.commit()


def honorary_members():
    return db.session.scalars(
        select(HonoraryMember).join(HonoraryMember.user).order_by(User.name)).all()


def applications_of(user):
    return db.session.scalars(
        select(Application).where(Application.applicant_id == user.id).order_by(Application.id.desc())).all()


def members(query="", status=None, category=None, limit=100, offset=0):
    """The secretariat's member list (all statuses)."""
    statement = select(Organization)
    if query:
        statement = statement.where(or_(contains(Organization.name, query),
                                        contains(Organization.name_local, query),
                                        contains(Organization.membership_number, query)))
    if status:
        statement = statement.where(Organization.status == status)
    if category:
        statement = statement.where(Organization.category == category)
    return db.session.scalars(statement.order_by(Organization.name, Organization.id).limit(limit).offset(offset)).all()

