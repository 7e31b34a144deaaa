"""The secretariat's workspace: figures read across every domain, the audit log, exports.
Each page issues a bounded number of queries, whatever the size of the tables."""
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, text

from ..assemblies.models import Assembly, Registration, RegistrationState as RS
from ..audit import AuditEntry, utcnow
from ..extensions import db
from ..members.models import AWAITING_REVIEW, Application, ApplicationState, Category, MemberStatus, Organization
from ..mou import services as mous
from ..mou.models import Mou
from ..queries import like_escape

AUDIT_PAGE = 50


def applications_waiting(now=None):
    """Open applications by state, with the age of the oldest in days."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Application.state, func.count(), func.min(Application.submitted_at))
        .where(Application.state.in_([s.value for s in (*AWAITING_REVIEW, ApplicationState.CHANGES_REQUESTED)]))
        .group_by(Application.state)).all()
    result = []
    for state, count, oldest in rows:
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)
        result.append({"state": ApplicationState(state), "count": count,
                       "oldest_days": (now - oldest).days if oldest else None})
    return sorted(result, key=lambda r: r["state"].value)


def members_by_category():
    counts = dict(db.session.execute(select(Organization.category, func.count()).where(
        Organization.status == MemberStatus.ACTIVE).group_by(Organization.category)).all())
    return [(c, counts.get(c.value, 0)) for c in Category]


def members_by_country(limit=12):
    return db.session.execute(
        select(Organization.country, func.count()).where(Organization.status == MemberStatus.ACTIVE)
        .group_by(Organization.country).order_by(func.count().desc(), Organization.country).limit(limit)).all()


def upcoming_assemblies(now=None, limit=5):
    """Upcoming assemblies with confirmed, waiting and checked-in counts: two queries in all."""
    now = now or utcnow()
    upcoming = db.session.scalars(select(Assembly).where(Assembly.ends_at >= now, Assembly.cancelled_at.is_(None))
                                  .order_by(Assembly.starts_at).limit(limit)).all()
    if not upcoming:
        return []
    rows = db.session.execute(
        select(Registration.assembly_id, Registration.state, func.count(), func.count(Registration.checked_in_at))
        .where(Registration.assembly_id.in_([a.id for a in upcoming]))
        .group_by(Registration.assembly_id, Registration.state)).all()
    counts = {a.id: {"confirmed": 0, "waiting": 0, "checked_in": 0} for a in upcoming}
    for assembly_id, state, n, checked_in in rows:
        if state == RS.CONFIRMED:
            counts[assembly_id]["confirmed"] = n
            counts[assembly_id]["checked_in"] = checked_in
        elif state == RS.WAITING:
            counts[assembly_id]["waiting"] = n
    return [(a, counts[a.id]) for a in upcoming]


def bar_chart(rows, width=340, bar=22, gap=8, label_width=160):
    """Geometry of a horizontal bar chart, drawn as inline SVG by the template."""
    top = max((n for _label, n, _href in rows), default=0) or 1
    bars = []
    for i, (label, n, href) in enumerate(rows):
        bars.append({"label": label, "n": n, "href": href, "y": i * (bar + gap),
                     "width": max(2, round((width - label_width - 40) * n / top))})
    return {"bars": bars, "height": len(rows) * (bar + gap), "width": width, "bar": bar, "label_width": label_width}


# --- The audit log ------------------------------------------------------------------------

@dataclass
class AuditQuery:
    who: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    before: int | None = None
    filters: dict = field(default_factory=dict)


WHOLE_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _audit_conditions(query):
    conditions = []
    if query.who:
        who = query.who.strip().lower()
        # A whole address of someone in the log: that person, through ix_audit_entries_actor_email.
        # Otherwise the beginning of addresses ("x@taipei.gov" also finds x@taipei.gov.tw): a scan,
        # newest first, until a page is full.
        if WHOLE_ADDRESS.match(who) and db.session.scalar(
                select(AuditEntry.id).where(AuditEntry.actor_email == who).limit(1)) is not None:
            conditions.append(AuditEntry.actor_email == who)
        else:
            conditions.append(AuditEntry.actor_email.like(like_escape(who) + "%", escape="\\"))
    if query.action:
        # "application" finds every application.* action; "application.approve" that one.
        if "." in query.action:
            conditions.append(AuditEntry.action == query.action)
        else:
            conditions.append(AuditEntry.action.like(like_escape(query.action) + ".%", escape="\\"))
    if query.object_type:
        conditions.append(AuditEntry.object_type == query.object_type)
    if query.object_id:
        conditions.append(AuditEntry.object_id == query.object_id)
    if query.date_from:
        conditions.append(AuditEntry.created_at >= datetime.combine(query.date_from, time(), tzinfo=timezone.utc))
    if query.date_to:
        conditions.append(AuditEntry.created_at < datetime.combine(query.date_to + timedelta(days=1), time(),
                                                                   tzinfo=timezone.utc))
    return conditions


def audit_page(query, page_size=AUDIT_PAGE):
    """Newest first, paged by id (keyset): a later page costs what the first does."""
    statement = select(AuditEntry).where(*_audit_conditions(query))
    if query.before:
        statement = statement.where(AuditEntry.id < query.before)
    rows = db.session.scalars(statement.order_by(AuditEntry.id.desc()).limit(page_size + 1)).all()
    return rows[:page_size], (rows[page_size - 1].id if len(rows) > page_size else None)


def audit_rows(query):
    statement = (select(AuditEntry).where(*_audit_conditions(query)).order_by(AuditEntry.id.desc())
                 .execution_options(yield_per=1000))
    for e in db.session.scalars(statement):
        yield [e.id, e.created_at.isoformat(), e.actor_email, e.action, e.object_type, e.object_id,
               json.dumps(e.details, ensure_ascii=False), e.ip_address, e.request_id]


AUDIT_HEADER = ["id", "at_utc", "who", "action", "object_type", "object_id", "details", "address", "request_id"]


# The distinct kinds of object, one index lookup per kind (a "loose index scan" on
# ix_audit_entries_object): SELECT DISTINCT would read all million entries on PostgreSQL.
OBJECT_TYPES = text("""
    WITH RECURSIVE kinds(object_type) AS (
        SELECT min(object_type) FROM audit_entries
        UNION ALL
        SELECT (SELECT min(object_type) FROM audit_entries WHERE object_type > kinds.object_type)
        FROM kinds WHERE kinds.object_type IS NOT NULL
    )
    SELECT object_type FROM kinds WHERE object_type IS NOT NULL""")


def object_types():
    return db.session.scalars(OBJECT_TYPES).all()


def recent_audit(limit=10):
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()


# --- Exports ------------------------------------------------------------------------------

MOU_HEADER = ["id", "title", "partner", "partner_country", "state", "status_today", "visibility", "signed_on",
              "signing_place", "effective_on", "expires_on", "terminated_on", "renews"]


def mou_rows(today):
    statement = select(Mou).order_by(Mou.id).execution_options(yield_per=500)
    for m in db.session.scalars(statement):
        partner = m.partner_organization.name if m.partner_organization else m.partner_name
        country = m.partner_organization.country if m.partner_organization else m.partner_country
        yield [m.id, m.title, partner, country, m.state, m.status_on(today), m.visibility, m.signed_on,
               m.signing_place, m.effective_on, m.expires_on, m.terminated_on, m.renews_id]


def expiring_mous(viewer, today):
    return mous.expiring(viewer, today)
