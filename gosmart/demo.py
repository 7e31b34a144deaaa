"""`flask demo load`: the demo data of PRODUCT.md, loaded idempotently.

Never in production: the accounts share one published password."""
import hashlib
import re
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select, update

from . import demo_members as data
from .assemblies.models import Assembly
from .audit import utcnow
from .auth.models import Role, User
from .auth.services import hash_password
from .demo_events import load_assemblies
from .demo_minutes import load_minutes
from .extensions import db
from .members import services as member_services
from .members.models import (
    Application, ApplicationEvent, ApplicationState, Category, HonoraryMember, MembershipCounter, MemberStatus,
    Organization, OrganizationTopic,
)
from .minutes.models import Meeting
from .mou.models import Mou, MouSignatory, MouState, Party, Visibility

DEMO_PASSWORD = "gosmart-demo"
DEMO_ACCOUNTS = [
    # email, name, role
    ("secretariat@demo.gosmart.org", "Mei-Ling Chen (secretariat)", Role.SECRETARIAT),
    ("taipei@demo.gosmart.org", "Wen-Hsiang Lin (Taipei City)", Role.REPRESENTATIVE),
    ("honorary@demo.gosmart.org", data.HONORARY["name"], Role.HONORARY),
    ("door@demo.gosmart.org", "Yu-Ting Huang (door staff)", Role.DOOR_STAFF),
    ("applicant@demo.gosmart.org", "Chia-Hao Wu (applicant)", Role.APPLICANT),
]
# Open applications, one in each state the secretariat meets (the first is the demo applicant's).
DEMO_APPLICATIONS = [
    ("applicant@demo.gosmart.org", Category.INDUSTRY, "Formosa Mobility Lab Co., Ltd.", None, "TW",
     ApplicationState.DRAFT, {"registration_number": "83521746", "size": "1-49",
                              "solutions": "Demand-responsive shuttles for hillside neighbourhoods.",
                              "topics": ["mobility", "ai"]}, None),
    ("cebu@demo.gosmart.org", Category.CITY, "Cebu City", None, "PH", ApplicationState.SUBMITTED,
     {"population": 923000, "head_of_government": "Mayor of Cebu City", "smart_city_office": "City ICT Office",
      "topics": ["smart mobility", "public safety"]}, None),
    ("lumen@demo.gosmart.org", Category.INDUSTRY, "Lumen Grid Analytics Pte. Ltd.", None, "SG",
     ApplicationState.CHANGES_REQUESTED, {"registration_number": "201934567K", "size": "50-249",
                                          "solutions": "Grid analytics for district energy.",
                                          "topics": ["energy", "ai"]},
     "Please add the company registration certificate."),
    ("kumamoto@demo.gosmart.org", Category.CITY, "Kumamoto", "熊本市", "JP", ApplicationState.RESUBMITTED,
     {"population": 738000, "head_of_government": "Mayor of Kumamoto", "smart_city_office": "Digital Strategy Office",
      "topics": ["public safety", "e-government"]}, "Please name the smart-city office."),
]

demo_cli = AppGroup("demo", help="Demo data (development only).")


def _refuse_in_production():
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Demo data is never loaded in production.")


def is_empty():
    return db.session.scalar(select(User.id).limit(1)) is None


def _slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]


def _demo_organizations():
    """(category, name, name_local, country, details, topics), Taipei City first, the rest in a fixed mixed order."""
    cities = [(Category.CITY, n, local, c, {"population": pop}, list(areas)) for n, local, c, pop, areas in data.CITIES]
    industry = [(Category.INDUSTRY, n, None, c, {"size": size, "solutions": solutions}, list(sectors))
                for n, c, sectors, size, solutions in data.INDUSTRY]
    academic = [(Category.ACADEMIC, n, local, c, {"kind": kind, "research_areas": ", ".join(areas)}, list(areas))
                for n, local, c, kind, areas in data.ACADEMIC]
    rest = sorted(cities[1:] + industry + academic, key=lambda o: hashlib.sha256(o[1].encode()).hexdigest())
    return [cities[0]] + rest


def _load_members():
    if db.session.scalar(select(func.count(Organization.id))) >= 150:
        return
    existing = set(db.session.scalars(select(Organization.name)))
    organizations = _demo_organizations()
    counters = {}
    for (category, name, local, country, details, topics), since in zip(
            organizations, data.member_since_dates(len(organizations))):
        counters[since.year] = counters.get(since.year, 0) + 1
        if name in existing:
            continue
        organization = Organization(
            name=name, name_local=local, category=category, country=country, details=details,
            membership_number=f"GS-{since.year}-{counters[since.year]:04d}", member_since=since,
            status=MemberStatus.ACTIVE, contact_name=f"{name} smart-city office",
            contact_email=f"contact@{_slug(name)}.example", website=f"https://{_slug(name)}.example",
            description=details.get("solutions"),
        )
        db.session.add(organization)
        db.session.flush()
        db.session.add_all(OrganizationTopic(organization_id=organization.id, topic=t) for t in sorted(set(topics)))
    for year, last in counters.items():  # later approvals in these years continue the sequence
        counter = db.session.get(MembershipCounter, year) or MembershipCounter(year=year, last_number=0)
        counter.last_number = max(counter.last_number or 0, last)
        db.session.add(counter)


def _user(email, name, role, password_hash, organization=None):
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role=role, password_hash=password_hash,
                    organization=organization, email_confirmed_at=utcnow())
        db.session.add(user)
        db.session.flush()
    return user


def _load_accounts(password_hash):
    taipei = db.session.scalar(select(Organization).where(Organization.name == "Taipei City"))
    users = {email: _user(email, name, role, password_hash, taipei if role == Role.REPRESENTATIVE else None)
             for email, name, role in DEMO_ACCOUNTS}
    honorary = users["honorary@demo.gosmart.org"]
    if db.session.scalar(select(HonoraryMember).where(HonoraryMember.user_id == honorary.id)) is None:
        db.session.add(HonoraryMember(
            user_id=honorary.id, title=data.HONORARY["title"], affiliation=data.HONORARY["affiliation"],
            citation=data.HONORARY["citation"], granted_on=data.FIGURES_DATE - timedelta(days=30),
            granted_by_id=users["secretariat@demo.gosmart.org"].id))
    return users


def _load_applications(password_hash, secretariat):
    for email, category, name, local, country, state, answers, request in DEMO_APPLICATIONS:
        if db.session.scalar(select(Application.id).where(Application.name == name)):
            continue
        applicant = _user(email, f"{name} applicant", Role.APPLICANT, password_hash)
        now = utcnow()
        application = Application(
            category=category, state=state, applicant=applicant, name=name, name_local=local, country=country,
            answers=answers, contact_name=applicant.name, contact_email=email,
            submitted_at=None if state == ApplicationState.DRAFT else now - timedelta(days=9),
            created_at=now - timedelta(days=12), updated_at=now - timedelta(days=2))
        db.session.add(application)
        db.session.flush()
        if state != ApplicationState.DRAFT:
            db.session.add(ApplicationEvent(application_id=application.id, actor_id=applicant.id, action="submit",
                                            from_state="draft", to_state="submitted",
                                            created_at=now - timedelta(days=9)))
        if request:
            db.session.add(ApplicationEvent(application_id=application.id, actor_id=secretariat.id,
                                            action="request_changes", from_state="submitted",
                                            to_state="changes_requested", message=request,
                                            created_at=now - timedelta(days=5)))
        if state == ApplicationState.RESUBMITTED:
            db.session.add(ApplicationEvent(application_id=application.id, actor_id=applicant.id,
                                            action="resubmit", from_state="changes_requested",
                                            to_state="resubmitted", created_at=now - timedelta(days=2)))


def _load_mous(secretariat):
    """The LGAQ MOU signed at the first General Assembly, and one MOU in each other state.
    Dates near today (expiring soon, expired) are computed from today, so they stay true."""
    today = date.today()
    member = {name: db.session.scalar(select(Organization.id).where(Organization.name == name)) for name in (
        "Amsterdam Institute for Urban Innovation", "Lumenpath Mobility Inc.",
        "Okinawa Smart Island Research Foundation")}
    renewal_expires = today + timedelta(days=45)
    renewal_signed = renewal_expires - timedelta(days=3 * 365)
    # The source names no signatories: the LGAQ MOU records them by office.
    mous = [
        dict(title="Memorandum of Understanding between GO SMART and the Local Government Association of Queensland",
             partner_name="Local Government Association of Queensland", partner_country="AU",
             state=MouState.SIGNED, visibility=Visibility.PUBLIC, signed_on=date(2019, 3, 27),
             signing_place="Taipei, at the first General Assembly of GO SMART", effective_on=date(2019, 3, 27),
             scope="Cooperation between Queensland councils and GO SMART members on smart-city proof-of-concept "
                   "projects: exchange of policies and practice, delegations to GO SMART assemblies, and pilots "
                   "of members' solutions in Queensland local governments.",
             signatories=[("Chair of GO SMART", "Taipei City, first chair of GO SMART", Party.GO_SMART),
                          ("President of the LGAQ", "Local Government Association of Queensland", Party.PARTNER)]),
        dict(title="Urban living labs exchange", partner_organization_id=member["Amsterdam Institute for Urban Innovation"],
             state=MouState.SIGNED, visibility=Visibility.MEMBERS, signed_on=renewal_signed - timedelta(days=3 * 365),
             signing_place="Amsterdam", effective_on=renewal_signed - timedelta(days=3 * 365),
             expires_on=renewal_signed - timedelta(days=1),
             scope="Exchange of living-lab methods and urban data between Amsterdam and GO SMART city members.",
             signatories=[("Mei-Ling Chen", "Director, GO SMART Secretariat", Party.GO_SMART),
                          ("Sanne de Vries", "Director, Amsterdam Institute for Urban Innovation", Party.PARTNER)]),
        dict(title="Urban living labs exchange (renewal)",
             partner_organization_id=member["Amsterdam Institute for Urban Innovation"], renews="Urban living labs exchange",
             state=MouState.SIGNED, visibility=Visibility.MEMBERS, signed_on=renewal_signed, signing_place="Taipei",
             effective_on=renewal_signed, expires_on=renewal_expires,
             scope="Renewal for three years, adding joint calls for proof-of-concept projects.",
             signatories=[("Mei-Ling Chen", "Director, GO SMART Secretariat", Party.GO_SMART),
                          ("Sanne de Vries", "Director, Amsterdam Institute for Urban Innovation", Party.PARTNER)]),
        dict(title="Adaptive traffic-signal proof of concept", partner_organization_id=member["Lumenpath Mobility Inc."],
             state=MouState.TERMINATED, visibility=Visibility.MEMBERS, signed_on=date(2019, 9, 2), signing_place="Taipei",
             effective_on=date(2019, 9, 2), expires_on=date(2022, 9, 1), terminated_on=date(2021, 3, 31),
             termination_reason="The proof of concept ended early: the company moved its pilot to another city.",
             scope="A proof of concept of adaptive traffic-signal control at ten intersections offered by members.",
             signatories=[("Mei-Ling Chen", "Director, GO SMART Secretariat", Party.GO_SMART),
                          ("Kuan-Yu Lee", "Chief Executive, Lumenpath Mobility Inc.", Party.PARTNER)]),
        dict(title="Island energy systems cooperation",
             partner_organization_id=member["Okinawa Smart Island Research Foundation"],
             state=MouState.DRAFT, visibility=Visibility.MEMBERS, signing_place="Okinawa",
             scope="Draft: shared research on island micro-grids and disaster-resilient energy for island members.",
             signatories=[("Mei-Ling Chen", "Director, GO SMART Secretariat", Party.GO_SMART)]),
    ]
    existing = {title: id_ for id_, title in db.session.execute(select(Mou.id, Mou.title))}
    for fields in mous:
        signatories, renews = fields.pop("signatories"), fields.pop("renews", None)
        if fields["title"] in existing or (fields.get("partner_organization_id", True) is None):
            continue  # already there, or its partner is not in this database
        mou = Mou(**fields, renews_id=existing.get(renews), created_by_id=secretariat.id,
                  signatories=[MouSignatory(position=i, name=n, title=t, party=p)
                               for i, (n, t, p) in enumerate(signatories)])
        db.session.add(mou)
        db.session.flush()
        existing[mou.title] = mou.id


def load():
    """Create whatever part of the demo is missing; running it again changes nothing."""
    password_hash = hash_password(DEMO_PASSWORD)
    _load_members()
    users = _load_accounts(password_hash)
    _load_applications(password_hash, users["secretariat@demo.gosmart.org"])
    _load_mous(users["secretariat@demo.gosmart.org"])
    load_assemblies(users["taipei@demo.gosmart.org"], users["door@demo.gosmart.org"])
    load_minutes(users["secretariat@demo.gosmart.org"])
    _link_to_the_first_general_assembly()
    db.session.commit()
    _issue_certificates(users)


def _issue_certificates(users):
    """The membership certificate of the demo representative's organization and the honorary
    member's (approval and grants issue them; the other demo members stand for members granted
    before certificates existed, which `flask certificates backfill` serves)."""
    honorary = db.session.scalar(select(HonoraryMember.id).where(
        HonoraryMember.user_id == users["honorary@demo.gosmart.org"].id))
    member_services.backfill_certificates(organization_ids=[users["taipei@demo.gosmart.org"].organization_id],
                                          honorary_ids=[honorary])


def _link_to_the_first_general_assembly():
    """The LGAQ MOU was signed, and the committees met, at the First General Assembly (2019-03-27)."""
    assembly_id = db.session.scalar(select(Assembly.id).where(Assembly.title == "First General Assembly"))
    db.session.execute(update(Mou).where(Mou.partner_name == "Local Government Association of Queensland",
                                         Mou.assembly_id.is_(None)).values(assembly_id=assembly_id))
    db.session.execute(update(Meeting).where(Meeting.held_on == date(2019, 3, 27), Meeting.assembly_id.is_(None))
                       .values(assembly_id=assembly_id))


def print_logins():
    click.echo(" * Demo logins (password: %s):" % DEMO_PASSWORD)
    for email, _name, role in DEMO_ACCOUNTS:
        click.echo(f"     {str(role.label):<24} {email}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Load only into an empty database.")
def load_command(if_empty):
    """Load the demo data (idempotent) and print the demo logins."""
    _refuse_in_production()
    if if_empty and not is_empty():
        click.echo(" * Database already has data; demo not loaded again.")
    else:
        load()
        click.echo(" * Demo data loaded.")
    print_logins()


@demo_cli.command("logins")
def logins_command():
    """Print the demo logins."""
    _refuse_in_production()
    print_logins()
