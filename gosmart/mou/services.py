"""Recording MOUs: record, amend, sign, terminate; the list, its filters and the renewal chain.

Every rule is checked here, before anything is written; each change is one transaction
with its audit entry. The caller stores an uploaded document first, in the same transaction
(gosmart.uploads), and rolls back if the service refuses: a refusal leaves neither a row nor a file."""
from dataclasses import dataclass, field
from datetime import date, timedelta

import pycountry
from flask_babel import gettext as _
from sqlalchemy import extract, literal, or_, select, update
from sqlalchemy.orm import aliased, contains_eager

from .. import audit, uploads
from ..assemblies.models import Assembly
from ..audit import utcnow
from ..extensions import db
from ..members.models import Organization
from ..queries import contains
from .models import (
    DOCUMENT_FOLDER, EXPIRY_WARNING_DAYS, Mou, MouSignatory, MouState, MouStatus, Party, Visibility, is_secretariat,
)

MAX_SIGNATORIES = 10


class MouError(Exception):
    """A refused operation. `errors` maps a form field (or None) to the message for the user."""

    def __init__(self, errors):
        self.errors = errors if isinstance(errors, dict) else {None: errors}
        super().__init__(" ".join(str(m) for m in self.errors.values()))


@dataclass
class Signatory:
    name: str
    title: str | None
    party: str


@dataclass
class MouData:
    """An MOU's fields as the secretariat gives them."""

    title: str
    partner_organization_id: int | None = None
    partner_name: str | None = None
    partner_country: str | None = None
    signed_on: date | None = None
    signing_place: str | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    scope: str = ""
    visibility: str = Visibility.SECRETARIAT
    renews_id: int | None = None
    assembly_id: int | None = None
    signatories: list = field(default_factory=list)


FIELDS = ("title", "partner_organization_id", "partner_name", "partner_country", "signed_on", "signing_place",
          "effective_on", "expires_on", "scope", "visibility", "renews_id", "assembly_id")


# --- Rules ----------------------------------------------------------------------------

def _check_dates(errors, state, signed_on, effective_on, expires_on, today):
    if state != MouState.DRAFT:
        if signed_on is None:
            errors["signed_on"] = _("A signed MOU needs its signing date.")
        elif signed_on > today:
            errors["signed_on"] = _("The signing date is in the future; an MOU is signed on or before today.")
    if expires_on is not None:
        if effective_on is not None and expires_on < effective_on:
            errors["expires_on"] = _("The expiry date is before the effective date.")
        elif effective_on is None and signed_on is not None and expires_on < signed_on:
            errors["expires_on"] = _("The expiry date is before the signing date.")


def check(data, today, mou=None):
    """{field: message} for everything wrong with `data` for `mou` (None: a new draft)."""
    errors = {}
    state = MouState(mou.state) if mou is not None else MouState.DRAFT
    if not (data.title or "").strip():
        errors["title"] = _("Give the MOU's title.")
    if data.partner_organization_id and data.partner_name:
        errors["partner_name"] = _("Choose a member organization or name an outside body, not both.")
    elif data.partner_organization_id:
        if db.session.get(Organization, data.partner_organization_id) is None:
            errors["partner_organization_id"] = _("This member organization does not exist.")
    elif data.partner_name:
        if not data.partner_country or pycountry.countries.get(alpha_2=data.partner_country) is None:
            errors["partner_country"] = _("Give the outside body's country.")
    else:
        errors["partner_organization_id"] = _(
            "Give the partner: choose a member organization or name an outside body.")
    _check_dates(errors, state, data.signed_on, data.effective_on, data.expires_on, today)
    if data.visibility not in {v.value for v in Visibility}:
        errors["visibility"] = _("Choose who may see the MOU.")
    if data.renews_id is not None:
        renewed = db.session.get(Mou, data.renews_id)
        if renewed is None:
            errors["renews_id"] = _("The MOU this one renews does not exist.")
        elif mou is not None and mou.id in {m.id for m in [renewed] + earlier_in_chain(renewed)}:
            errors["renews_id"] = _("An MOU cannot renew itself or one of its own renewals.")
    if data.assembly_id is not None and db.session.get(Assembly, data.assembly_id) is None:
        errors["assembly_id"] = _("This assembly does not exist.")
    if len(data.signatories) > MAX_SIGNATORIES:
        errors["signatories"] = _("At most %(n)d signatories.", n=MAX_SIGNATORIES)
    elif any(s.party not in {p.value for p in Party} or not (s.name or "").strip() for s in data.signatories):
        errors["signatories"] = _("Each signatory needs a name and a party.")
    return errors


# --- Changes --------------------------------------------------------------------------

def _apply(mou, data):
    """Copy `data` onto `mou`; the names of the fields that changed."""
    changed = []
    values = {name: getattr(data, name) for name in FIELDS}
    values["title"] = values["title"].strip()
    values["scope"] = values["scope"] or ""
    if values["partner_organization_id"]:
        values["partner_name"] = values["partner_country"] = None
    for name, value in values.items():
        if getattr(mou, name) != value:
            setattr(mou, name, value)
            changed.append(name)
    wanted = [(s.name.strip(), s.title or None, s.party) for s in data.signatories]
    if [(s.name, s.title, s.party) for s in mou.signatories] != wanted:
        mou.signatories = [MouSignatory(position=i, name=n, title=t, party=p) for i, (n, t, p) in enumerate(wanted)]
        changed.append("signatories")
    return changed


def _attach(mou, document):
    """Point `mou` at an uploaded document; the stored name of the one it replaces."""
    previous = mou.document_stored_name
    mou.document_stored_name = document.stored_name
    mou.document_name = document.original_name
    mou.document_size = document.size
    mou.document_sha256 = document.sha256
    return previous


def record(data, actor, today, document=None):
    """A new draft MOU. Raises MouError, having written nothing."""
    errors = check(data, today)
    if errors:
        raise MouError(errors)
    mou = Mou(state=MouState.DRAFT, created_by_id=getattr(actor, "id", None), created_at=utcnow(),
              updated_at=utcnow())
    _apply(mou, data)
    if document is not None:
        _attach(mou, document)
    db.session.add(mou)
    audit.record("mou.created", mou, actor=actor, details=_summary(mou, document))
    db.session.commit()
    return mou


def amend(mou, data, actor, today, document=None):
    """Save the secretariat's changes; a replaced document goes in the same commit."""
    errors = check(data, today, mou)
    if errors:
        raise MouError(errors)
    changed = _apply(mou, data)
    if document is not None:
        previous = _attach(mou, document)
        if previous and previous != document.stored_name:
            uploads.delete_stored_file(DOCUMENT_FOLDER, previous)
        changed.append("document")
    if not changed:
        db.session.rollback()
        return
    mou.updated_at = utcnow()
    details = {"changed": changed}
    if document is not None:
        details.update(document=document.original_name, sha256=document.sha256)
    audit.record("mou.updated", mou, actor=actor, details=details)
    db.session.commit()


def _guarded_state_change(mou, seen, values):
    """One UPDATE … WHERE state = what we saw: two people signing at once change it once."""
    changed = db.session.execute(
        update(Mou).where(Mou.id == mou.id, Mou.state == seen).values(updated_at=utcnow(), **values)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise MouError(_("This MOU was changed by someone else meanwhile; reload the page."))
    db.session.refresh(mou)


def sign(mou, signed_on, signing_place, actor, today):
    """draft → signed. Without an effective date the MOU takes effect when signed."""
    if mou.state != MouState.DRAFT:
        raise MouError(_("Only a draft can be signed; this MOU is %(status)s.",
                         status=mou.status_on(today).label.lower()))
    errors = {}
    effective_on = mou.effective_on or signed_on
    _check_dates(errors, MouState.SIGNED, signed_on, effective_on, mou.expires_on, today)
    if errors:
        raise MouError(errors)
    place = (signing_place or "").strip() or mou.signing_place
    _guarded_state_change(mou, MouState.DRAFT, {"state": MouState.SIGNED.value, "signed_on": signed_on,
                                                "signing_place": place, "effective_on": effective_on})
    audit.record("mou.signed", mou, actor=actor, details={
        "signed_on": signed_on.isoformat(), "signing_place": place, "effective_on": effective_on.isoformat()})
    db.session.commit()


def terminate(mou, terminated_on, reason, actor, today):
    """signed → terminated, with the reason and the date it ended."""
    status = mou.status_on(today)
    if status != MouStatus.SIGNED:
        raise MouError(_("Only a signed MOU in force can be terminated; this one is %(status)s.",
                         status=status.label.lower()))
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the termination.")
    if terminated_on is None:
        errors["terminated_on"] = _("Give the date of the termination.")
    elif terminated_on > today:
        errors["terminated_on"] = _("The termination date is in the future; record it on or after that day.")
    elif mou.signed_on and terminated_on < mou.signed_on:
        errors["terminated_on"] = _("The termination date is before the signing date.")
    if errors:
        raise MouError(errors)
    _guarded_state_change(mou, MouState.SIGNED, {"state": MouState.TERMINATED.value,
                                                 "terminated_on": terminated_on, "termination_reason": reason})
    audit.record("mou.terminated", mou, actor=actor,
                 details={"terminated_on": terminated_on.isoformat(), "reason": reason})
    db.session.commit()


def _summary(mou, document):
    details = {"title": mou.title, "partner": mou.partner_name, "visibility": mou.visibility}
    if mou.partner_organization_id:
        # The relationship of a new object is not loaded yet; check() put the organization in the session.
        details.update(partner=db.session.get(Organization, mou.partner_organization_id).name,
                       partner_organization_id=mou.partner_organization_id)
    if document is not None:
        details.update(document=document.original_name, sha256=document.sha256)
    return details


# --- Reading --------------------------------------------------------------------------

@dataclass
class Query:
    status: str = ""
    partner: str = ""
    year: int | None = None


def search(query, viewer, today):
    """The MOUs `viewer` may see that match `query`, latest signed first, drafts on top. One query."""
    statement = (select(Mou).outerjoin(Mou.partner_organization).options(contains_eager(Mou.partner_organization))
                 .where(Mou.visible_to(viewer)))
    if query.status:
        statement = statement.where(Mou.status_on(today) == query.status)
    if query.partner:
        statement = statement.where(or_(contains(Mou.partner_name, query.partner),
                                        contains(Organization.name, query.partner),
                                        contains(Organization.name_local, query.partner)))
    if query.year:
        statement = statement.where(Mou.signed_on >= date(query.year, 1, 1),
                                    Mou.signed_on < date(query.year + 1, 1, 1))
    statement = statement.order_by(Mou.signed_on.is_(None).desc(), Mou.signed_on.desc(), Mou.id.desc())
    return db.session.scalars(statement).all()


def years(viewer):
    """The signing years of the MOUs `viewer` may see, latest first."""
    year = extract("year", Mou.signed_on)
    rows = db.session.scalars(select(year).distinct().where(Mou.visible_to(viewer), Mou.signed_on.is_not(None))
                              .order_by(year.desc()))
    return [int(y) for y in rows]


def statuses(viewer):
    """The statuses `viewer` may filter on: drafts are the secretariat's."""
    if is_secretariat(viewer):
        return list(MouStatus)
    return [s for s in MouStatus if s != MouStatus.DRAFT]


def expiring(viewer, today, days=EXPIRY_WARNING_DAYS):
    """Signed MOUs that expire within `days` (for the dashboard), soonest first."""
    return db.session.scalars(
        select(Mou).where(Mou.visible_to(viewer), Mou.state == MouState.SIGNED.value,
                          Mou.expires_on >= today, Mou.expires_on <= today + timedelta(days=days))
        .order_by(Mou.expires_on, Mou.id)).all()


def visible_mou(mou_id, viewer):
    """The MOU if `viewer` may see it, else None (its existence is not revealed)."""
    mou = db.session.get(Mou, mou_id)
    return mou if mou is not None and mou.can_view(viewer) else None


def _chain(start_id, upward):
    """(id, depth) of the MOUs reached from `start_id` through `renews_id`: upward to the
    MOUs it renews, or downward to its renewals. A recursive CTE: one query however long
    the chain; the depth limit is a guard, the services never let a chain loop."""
    chain = select(Mou.id.label("id"), Mou.renews_id.label("renews_id"), literal(0).label("depth")) \
        .where(Mou.id == start_id).cte("chain", recursive=True)
    step = aliased(Mou)
    link = step.id == chain.c.renews_id if upward else step.renews_id == chain.c.id
    chain = chain.union_all(select(step.id, step.renews_id, chain.c.depth + 1).join(chain, link)
                            .where(chain.c.depth < 100))
    return db.session.execute(select(chain.c.id, chain.c.depth).where(chain.c.depth > 0)).all()


def earlier_in_chain(mou):
    """The MOUs `mou` renews, directly or not, the oldest first."""
    return _in_order(_chain(mou.id, upward=True), reverse=True)


def later_in_chain(mou):
    """The MOUs that renew `mou`, directly or not, in order of renewal."""
    return _in_order(_chain(mou.id, upward=False))


def _in_order(rows, reverse=False):
    depth = {id_: d for id_, d in rows}
    if not depth:
        return []
    mous = db.session.scalars(select(Mou).where(Mou.id.in_(depth))).all()
    return sorted(mous, key=lambda m: (depth[m.id], m.signed_on or date.max, m.id), reverse=reverse)


def renewal_chain(mou, viewer):
    """(earlier, later): the MOUs before and after `mou` in its renewal chain that `viewer` may see."""
    return ([m for m in earlier_in_chain(mou) if m.can_view(viewer)],
            [m for m in later_in_chain(mou) if m.can_view(viewer)])


def partner_choices():
    """(id, name) of member organizations, for the partner field."""
    return db.session.execute(select(Organization.id, Organization.name).order_by(Organization.name)).all()


def renewable_choices(exclude_id=None):
    """(id, title, signed_on) of the MOUs an MOU may renew."""
    statement = select(Mou.id, Mou.title, Mou.signed_on).order_by(Mou.signed_on.desc(), Mou.id.desc())
    if exclude_id is not None:
        statement = statement.where(Mou.id != exclude_id)
    return db.session.execute(statement).all()


def data_of(mou, renewal=False):
    """The form's starting values: the MOU as it is, or (`renewal`) a new draft that renews it."""
    data = MouData(**{name: getattr(mou, name) for name in FIELDS})
    data.signatories = [Signatory(s.name, s.title, s.party) for s in mou.signatories]
    if renewal:
        data.renews_id = mou.id
        data.signed_on = data.signing_place = data.effective_on = data.expires_on = data.assembly_id = None
    return data
