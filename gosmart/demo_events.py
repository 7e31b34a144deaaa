"""Demo assemblies: the inaugural meeting and the First General Assembly of 2019-03-27
(180 attendees each), and an upcoming General Assembly open for registration."""
import hashlib
import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from .assemblies.models import Assembly, AssemblyKind, DelegateRole, DoorAssignment, QuotaUse, Registration
from .audit import utcnow
from .extensions import db
from .members.models import Organization

TAIPEI = ZoneInfo("Asia/Taipei")
UTC = ZoneInfo("UTC")
FIRST_NAMES = ["Mei-Ling", "Chih-Wei", "Olivia", "Thomas", "Sophie", "Daan", "Yuki", "Haruto", "Lucas", "Ana",
               "Jack", "Charlotte", "Wen-Hsuan", "Pierre", "Emma", "Kenji", "Isabela", "Noah", "Chloé", "Arjun"]
LAST_NAMES = ["Chen", "Lin", "Smith", "Dubois", "de Vries", "Tanaka", "Silva", "Brown", "Wang", "Martin",
              "Jansen", "Sato", "Santos", "Wilson", "Huang", "Bernard", "Bakker", "Suzuki", "Costa", "Taylor"]
ATTENDED = 180


def _utc(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=TAIPEI).astimezone(UTC)


def _person(i):
    return f"{FIRST_NAMES[i % 20]} {LAST_NAMES[(i // 20 + i) % 20]}"


def _assembly(title, **values):
    assembly = db.session.scalar(select(Assembly).where(Assembly.title == title))
    if assembly is None:
        assembly = Assembly(title=title, timezone="Asia/Taipei", confirmed_count=0, **values)
        db.session.add(assembly)
        db.session.flush()
        return assembly, True
    return assembly, False


def _register(assembly, organization, i, role, checked_in_at=None, station=None):
    db.session.add(Registration(
        assembly_id=assembly.id, organization_id=organization.id, name=_person(i),
        title="Director" if role == DelegateRole.HEAD else "Delegate", role=role,
        email=f"{hashlib.sha1(f'{assembly.id}-{i}'.encode(), usedforsecurity=False).hexdigest()[:10]}"
              "@delegates.example",
        state="confirmed", checkin_token=secrets.token_urlsafe(24), confirmed_at=assembly.registration_opens_at,
        created_at=assembly.registration_opens_at, checked_in_at=checked_in_at, checked_in_station=station,
        no_show=checked_in_at is None and assembly.starts_at < utcnow()))


def _fill_2019(assembly, organizations, registrations, start_hour):
    """`registrations` confirmed delegates, the first 180 checked in at the door."""
    per_org = {}
    for i in range(registrations):
        organization = organizations[i % len(organizations)]
        per_org[organization.id] = per_org.get(organization.id, 0) + 1
        role = DelegateRole.HEAD if per_org[organization.id] == 1 else DelegateRole.DELEGATE
        arrived = _utc(assembly_day(assembly), start_hour - 1, 0) + timedelta(seconds=17 * i) if i < ATTENDED else None
        _register(assembly, organization, i, role, arrived, "Main entrance" if arrived else None)
    for organization_id, used in per_org.items():
        db.session.add(QuotaUse(assembly_id=assembly.id, organization_id=organization_id, used=used))
    assembly.confirmed_count = registrations


def assembly_day(assembly):
    return assembly.starts_at.astimezone(TAIPEI).date()


def load_assemblies(taipei_representative, door_staff, today=None):
    today = today or utcnow().date()
    organizations = db.session.scalars(select(Organization).order_by(Organization.id)).all()
    day = datetime(2019, 3, 27).date()
    inaugural, new = _assembly(
        "GO SMART Inaugural Meeting", kind=AssemblyKind.INAUGURAL_MEETING, starts_at=_utc(day, 10),
        ends_at=_utc(day, 12), venue="Taipei International Convention Center", city="Taipei", capacity=250,
        registration_opens_at=_utc(datetime(2019, 1, 15).date(), 9), registration_closes_at=_utc(day, 8),
        delegate_quota=3, description="The inaugural meeting of the Global Organization of Smart Cities.")
    if new:
        _fill_2019(inaugural, organizations, 190, 10)
    general, new = _assembly(
        "First General Assembly", kind=AssemblyKind.GENERAL_ASSEMBLY, starts_at=_utc(day, 14),
        ends_at=_utc(day, 17), venue="Taipei International Convention Center", city="Taipei", capacity=300,
        registration_opens_at=_utc(datetime(2019, 1, 15).date(), 9), registration_closes_at=_utc(day, 12),
        delegate_quota=3,
        description="The first General Assembly and the Strategy Committee meeting; the MOU with LGAQ was signed.")
    if new:
        _fill_2019(general, organizations, 200, 14)
    starts = today + timedelta(days=120)
    upcoming, new = _assembly(
        f"General Assembly {starts.year}", kind=AssemblyKind.GENERAL_ASSEMBLY, starts_at=_utc(starts, 9),
        ends_at=_utc(starts, 17), venue="Taipei Nangang Exhibition Center", city="Taipei", capacity=400,
        registration_opens_at=_utc(today - timedelta(days=30), 9),
        registration_closes_at=_utc(starts - timedelta(days=7), 17), delegate_quota=3,
        description="The General Assembly, with the Smart City Summit & Expo.")
    if new:
        taipei = taipei_representative.organization
        for i, role in enumerate((DelegateRole.HEAD, DelegateRole.DELEGATE)):
            db.session.add(Registration(
                assembly_id=upcoming.id, organization_id=taipei.id, name=_person(100 + i),
                title="Commissioner" if i == 0 else "Senior specialist", role=role,
                email=f"delegate{i + 1}@taipei.example", state="confirmed", checkin_token=secrets.token_urlsafe(24),
                confirmed_at=utcnow(), created_at=utcnow(), registered_by_id=taipei_representative.id))
        db.session.add(QuotaUse(assembly_id=upcoming.id, organization_id=taipei.id, used=2))
        upcoming.confirmed_count = 2
        db.session.add(DoorAssignment(assembly_id=upcoming.id, user_id=door_staff.id))
    return upcoming
