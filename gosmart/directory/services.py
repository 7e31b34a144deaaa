"""The member directory: search, filters, keyset paging, privacy.

Paging is by keyset (the last row's sort key and id), so page 200 costs what page 1
costs, and rows never repeat or vanish between pages when names tie."""
import base64
import json
from dataclasses import dataclass, field
from datetime import date

import pycountry
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, tuple_, update

from .. import audit, uploads
from ..auth import services as accounts
from ..auth.models import Role, User
from ..cache import fresh_for
from ..extensions import db
from ..i18n import format_count
from ..mail import send_email
from ..mail_limits import TooManyEmails, take_email
from ..members.forms import country_name
from ..members.models import (
    LOGO_FOLDER, MAX_EXTRA_REPRESENTATIVES, PROFILE_FIELDS, Category, HonoraryMember, Organization,
    OrganizationTopic,
)
from ..members.standing import in_good_standing
from ..queries import insert_ignoring_conflict, like_escape

PAGE_SIZE = 25
SORTS = {
    # name: (columns, descending)
    "name": ((Organization.name, Organization.id), False),
    "newest": ((Organization.member_since, Organization.id), True),
    "country": ((Organization.country, Organization.name, Organization.id), False),
}


def is_member_view(user):
    """Members in good standing, honorary members whose honour stands and the secretariat see the
    members' directory; everyone else (a suspended member's representative too) the public one."""
    return in_good_standing(user)


@dataclass
class Query:
    text: str = ""
    category: str = ""
    country: str = ""
    topic: str = ""
    sort: str = "name"
    after: str = ""
    before: str = ""


@dataclass
class Page:
    organizations: list
    next_cursor: str | None
    previous_cursor: str | None
    topics: dict = field(default_factory=dict)


def encode_cursor(values):
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, sort):
    """The sort-key values in a cursor, or None for anything malformed."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    columns = SORTS[sort][0]
    if not isinstance(values, list) or len(values) != len(columns):
        return None
    if not isinstance(values[-1], int) or not all(isinstance(v, (str, int)) or v is None for v in values):
        return None
    if sort == "newest":
        try:
            values[0] = date.fromisoformat(values[0])
        except (TypeError, ValueError):
            return None
    return values


def countries_matching(text):
    """ISO codes of countries whose English name contains `text` (so "japan" finds Japanese members)."""
    if len(text) < 3:
        return []
    text = text.lower()
    return [c.alpha_2 for c in pycountry.countries if text in c.name.lower()
            or text in getattr(c, "common_name", "").lower()]


def _filters(query, member_view):
    conditions = [Organization.in_good_standing]
    if not member_view:
        conditions.append(Organization.listed_publicly.is_(True))
    if query.text:
        pattern = "%" + like_escape(query.text.lower()) + "%"
        # Visitors search names only; members also the descriptions that are shown to them.
        column = Organization.search_text if member_view else func.lower(Organization.name)
        matches = [column.like(pattern, escape="\\")]
        if not member_view:
            matches.append(Organization.name_local.like(pattern, escape="\\"))
        codes = countries_matching(query.text)
        if codes:
            matches.append(Organization.country.in_(codes))
        conditions.append(or_(*matches))
    if query.category:
        conditions.append(Organization.category == query.category)
    if query.country:
        conditions.append(Organization.country == query.country)
    if query.topic and member_view:
        conditions.append(Organization.id.in_(
            select(OrganizationTopic.organization_id).where(OrganizationTopic.topic == query.topic)))
    return and_(*conditions)


def search(query, viewer, page_size=PAGE_SIZE):
    """One page of the directory for `viewer`; two queries whatever the page or table size."""
    member_view = is_member_view(viewer)
    columns, descending = SORTS[query.sort]
    statement = select(Organization).where(_filters(query, member_view))
    backwards = False
    cursor = decode_cursor(query.after, query.sort) if query.after else None
    if query.before and not cursor:
        cursor = decode_cursor(query.before, query.sort)
        backwards = cursor is not None
    if cursor is not None:
        key, values = tuple_(*columns), tuple_(*cursor)
        forward_is_greater = not descending
        if backwards:
            forward_is_greater = not forward_is_greater
        statement = statement.where(key > values if forward_is_greater else key < values)
    ascending = descending == backwards
    statement = statement.order_by(*(c.asc() if ascending else c.desc() for c in columns))
    rows = db.session.scalars(statement.limit(page_size + 1)).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    key_of = lambda org: [getattr(org, c.key) for c in columns]  # noqa: E731
    has_next = more if not backwards else True
    has_previous = (cursor is not None) if not backwards else more
    page = Page(
        organizations=rows,
        next_cursor=encode_cursor(key_of(rows[-1])) if rows and has_next else None,
        previous_cursor=encode_cursor(key_of(rows[0])) if rows and has_previous else None,
    )
    if member_view and rows:
        page.topics = topics_of([o.id for o in rows])
    return page


def topics_of(organization_ids):
    topics = {}
    for organization_id, topic in db.session.execute(
            select(OrganizationTopic.organization_id, OrganizationTopic.topic)
            .where(OrganizationTopic.organization_id.in_(organization_ids)).order_by(OrganizationTopic.topic)):
        topics.setdefault(organization_id, []).append(topic)
    return topics


@fresh_for("DIRECTORY_FIGURES_SECONDS")
def headline_figures():
    """Active members by category and by country, as of today, as the page shows them: labels
    and country names in the request's language, numbers written the way it writes them."""
    active = Organization.in_good_standing
    by_category = dict(db.session.execute(
        select(Organization.category, func.count()).where(active).group_by(Organization.category)).all())
    by_country = db.session.execute(
        select(Organization.country, func.count()).where(active).group_by(Organization.country)
        .order_by(func.count().desc(), Organization.country)).all()
    honorary = db.session.scalar(select(func.count(HonoraryMember.id)).where(HonoraryMember.in_good_standing))
    return {"by_category": [(str(c.label), format_count(by_category.get(c.value, 0))) for c in Category],
            "by_country": [(country_name(code), format_count(n)) for code, n in by_country],
            "total": format_count(sum(by_category.values())), "honorary": format_count(honorary)}


@fresh_for("DIRECTORY_FIGURES_SECONDS")
def filter_choices():
    """The countries that have members, and the topics in use."""
    countries = db.session.scalars(select(Organization.country).where(
        Organization.in_good_standing).distinct().order_by(Organization.country)).all()
    topics = db.session.scalars(select(OrganizationTopic.topic).distinct().order_by(OrganizationTopic.topic)).all()
    return countries, topics


def honorary_section():
    return db.session.scalars(
        select(HonoraryMember).where(HonoraryMember.in_good_standing)
        .join(HonoraryMember.user).order_by(HonoraryMember.granted_on)).all()


def visible_fields(organization, viewer):
    """The profile fields `viewer` may see beyond name, category and country."""
    if not is_member_view(viewer):
        return set()
    if viewer.role == Role.SECRETARIAT or viewer.organization_id == organization.id:
        return set(PROFILE_FIELDS)
    return {f for f in PROFILE_FIELDS if organization.shows(f)}


def can_view_profile(organization, viewer):
    if is_member_view(viewer) and viewer.role == Role.SECRETARIAT:
        return True
    if not organization.in_good_standing:
        return False
    return is_member_view(viewer) or organization.listed_publicly


# --- My organization: profile, privacy, logo, representatives -----------------------



class ProfileError(Exception):
    """A refused change; the message is for the user."""


def update_profile(organization, data, actor):
    changed = []
    for name in ("contact_name", "contact_email", "contact_phone", "website", "description"):
        value = data.get(name) or None
        if getattr(organization, name) != value:
            setattr(organization, name, value)
            changed.append(name)
    visible = [f for f in PROFILE_FIELDS if f in set(data.get("visible") or ())]
    if visible != list(organization.member_visible_fields or []):
        organization.member_visible_fields = visible
        changed.append("privacy")
    if bool(data.get("listed_publicly")) != organization.listed_publicly:
        organization.listed_publicly = bool(data.get("listed_publicly"))
        changed.append("listed_publicly")
    topics = sorted(set(data.get("topics") or ()))
    current = set(current_topics(organization))
    if sorted(current) != topics:
        # Only what differs, and inserts that let an identical concurrent save (a double click)
        # win instead of hitting the unique constraint.
        db.session.execute(delete(OrganizationTopic).where(
            OrganizationTopic.organization_id == organization.id, OrganizationTopic.topic.not_in(topics)))
        for topic in sorted(set(topics) - current):
            db.session.execute(insert_ignoring_conflict(OrganizationTopic.__table__, ["organization_id", "topic"],
                                                        organization_id=organization.id, topic=topic))
        changed.append("topics")
    organization.refresh_search_text()
    audit.record("organization.profile_updated", organization, actor=actor, details={"changed": changed})
    db.session.commit()
    return changed


def current_topics(organization):
    return db.session.scalars(select(OrganizationTopic.topic).where(
        OrganizationTopic.organization_id == organization.id).order_by(OrganizationTopic.topic)).all()


def set_logo(organization, stored_name, actor):
    """The organization's logo is the file stored as `stored_name` (with this transaction); the one
    it replaces goes in the same commit."""
    previous = organization.logo_stored_name
    organization.logo_stored_name = stored_name
    if previous and previous != stored_name:
        uploads.delete_stored_file(LOGO_FOLDER, previous)
    audit.record("organization.logo_changed", organization, actor=actor)
    db.session.commit()


def invite_representative(organization, name, email, actor):
    """A colleague's account, invited by email. The limit is held by one guarded UPDATE of the
    organization's counter (… WHERE extra_representatives < MAX), so invitations sent at the same
    moment never pass it; the address by the unique constraint on users.email."""
    if not in_good_standing(actor):
        raise ProfileError(_("Only a member in good standing can invite representatives."))
    taken = db.session.execute(update(Organization).where(
        Organization.id == organization.id, Organization.in_good_standing,
        Organization.extra_representatives < MAX_EXTRA_REPRESENTATIVES)
        .values(extra_representatives=Organization.extra_representatives + 1)).rowcount
    if taken != 1:
        db.session.rollback()
        raise ProfileError(_("An organization has at most %(n)d additional representatives.",
                             n=MAX_EXTRA_REPRESENTATIVES))
    try:  # counted before the address is looked up: the answers below tell about accounts
        take_email(email, actor)
    except TooManyEmails as error:
        db.session.rollback()  # and the counter with it
        raise ProfileError(str(error)) from None
    try:
        user = accounts.add_user(name=name, email=email, role=Role.REPRESENTATIVE, organization_id=organization.id)
    except accounts.EmailTaken as error:
        db.session.rollback()  # and the counter with it
        raise ProfileError(str(error)) from None
    audit.record("organization.representative_invited", organization, actor=actor, details={"email": user.email})
    send_email(user.email, _("You are invited to represent %(name)s in GO SMART", name=organization.name),
               "representative_invitation", user=user, organization=organization, invited_by=actor,
               token=accounts.password_reset_token(user, "invite"))
    db.session.commit()
    return user


def export_rows(query):
    """Every directory row matching `query`, all fields (the secretariat's export), read in batches."""
    statement = (select(Organization).where(_filters(query, member_view=True))
                 .order_by(Organization.name, Organization.id).execution_options(yield_per=500))
    for organization in db.session.scalars(statement):
        yield [organization.membership_number, organization.name, organization.name_local,
               organization.category, organization.country, organization.member_since, organization.status,
               organization.contact_name, organization.contact_email, organization.contact_phone,
               organization.website, organization.description]


EXPORT_HEADER = ["membership_number", "name", "name_local", "category", "country", "member_since", "status",
                 "contact_name", "contact_email", "contact_phone", "website", "description"]
