"""The benchmark's dataset: built once per (version, scale, database) and reused.

The schema comes from the migrations (`flask db upgrade`, the deploy step); the rows go in
through the models' own tables (SQLAlchemy core inserts in batches, so the column types
of the models process every value). Change VERSION when the generated data changes:
a dataset of another version is rebuilt, one of this version is only upgraded."""
import json
import os
import random
import secrets
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-not-secret"
SEED = 20180615

SCALES = {
    # The figures.
    "full": dict(organizations=10_000, assemblies=50, registrations=100_000, checkins=20_000, mous=1_000,
                 minutes=500, audit=1_000_000, largest=10_000, attendees=1_000, honorary=20),
    # The smoke test's: every code path, in seconds.
    "tiny": dict(organizations=50, assemblies=5, registrations=200, checkins=40, mous=10, minutes=5,
                 audit=1_000, largest=60, attendees=10, honorary=3),
}

SECRETARIAT = "secretariat@bench.gosmart.org"
DOOR = "door@bench.gosmart.org"
COUNTRIES = ["TW", "JP", "KR", "US", "GB", "DE", "FR", "NL", "AU", "CA", "IN", "ID", "TH", "VN", "PH", "MY", "SG",
             "ES", "IT", "SE", "FI", "DK", "NO", "PL", "CZ", "AT", "CH", "BE", "PT", "IE", "NZ", "BR", "MX", "CL",
             "AR", "CO", "ZA", "KE", "NG", "EG", "MA", "TR", "IL", "AE", "SA", "LT", "LV", "EE", "HU", "RO"]
SYLLABLES = ["ka", "lo", "ven", "mar", "tis", "bel", "dor", "an", "rim", "sel", "ta", "no", "vi", "gra", "po",
             "lin", "es", "tor", "ha", "mi", "qu", "ren", "sa", "ul", "ze", "bra", "kin", "mo", "dal", "fen"]
CITY_SUFFIXES = ["", "", "port", "burg", "ville", "field", "haven", "stad", "ton"]
CJK = "臺北市新高雄桃園台中南京東西山川海港城大學科技智慧"
INDUSTRY_WORDS = ["Smart", "Urban", "Civic", "Data", "Grid", "Mobility", "Cloud", "Sensor", "Digital", "Green"]
INDUSTRY_SUFFIXES = ["Solutions Ltd", "Systems Inc.", "Technologies", "Labs", "Networks Co.", "Group"]
DESCRIPTIONS = [
    "Smart city pilots in mobility and energy, open data, and e-government services.",
    "A research institute for urban informatics and smart infrastructure.",
    "Sensors, networks and platforms for public safety and water management.",
    "Digital services for citizens; a member of regional smart-city networks.",
    "Healthcare innovation and elderly care with connected devices.",
]
AUDIT_ACTIONS = [  # (action, object type, weight)
    ("login.succeeded", "User", 30), ("logout", "User", 8), ("login.failed", "User", 3),
    ("registration.created", "Registration", 15), ("registration.updated", "Registration", 3),
    ("registration.cancelled", "Registration", 2), ("checkin.checked_in", "Registration", 12),
    ("organization.profile_updated", "Organization", 6), ("application.saved", "Application", 5),
    ("application.created", "Application", 2), ("application.commented", "Application", 2),
    ("certificate.issued", "Certificate", 4), ("mou.updated", "Mou", 2), ("mou.created", "Mou", 1),
    ("minutes.created", "Minutes", 1), ("password.changed", "User", 2), ("email.confirmed", "User", 2),
]


def log(message):
    print(f"[bench] {message}", flush=True)


# --- Where the datasets live ----------------------------------------------------------------

def bench_dir():
    path = Path(os.environ.get("BENCH_DIR", ROOT / "instance" / "bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def postgres_base_url():
    return os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_reachable():
    try:
        engine = create_engine(postgres_base_url(), connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # noqa: BLE001
        return str(error).splitlines()[0]
    return None


def database_name(scale):
    return f"gosmart_bench_v{VERSION}_{scale}"


def target_url(kind, scale):
    if kind == "sqlite":
        return f"sqlite:///{bench_dir() / (database_name(scale) + '.db')}"
    return make_url(postgres_base_url()).set(database=database_name(scale)).render_as_string(hide_password=False)


def marker_path(kind, scale):
    return bench_dir() / f"{database_name(scale)}.{kind}.json"


# --- Build or reuse ------------------------------------------------------------------------

def ensure(kind, scale, rebuild=False):
    """The dataset's facts (ids, logins, build time); built only when missing or of another version."""
    url = target_url(kind, scale)
    marker = marker_path(kind, scale)
    facts = None
    if marker.exists() and not rebuild:
        facts = json.loads(marker.read_text())
        if facts.get("version") != VERSION or not _looks_complete(url, facts):
            facts = None
    if facts is not None:
        log(f"{kind}: reusing the {scale} dataset of version {VERSION} (built in {facts['build_seconds']:.0f} s)")
        upgrade(url)  # new migrations (indexes) apply to the kept data
        facts["reused"] = True
        return url, facts
    log(f"{kind}: building the {scale} dataset (version {VERSION})")
    started = time.perf_counter()
    _create_empty(kind, url)
    upgrade(url)
    facts = build(url, SCALES[scale])
    facts.update(version=VERSION, scale=scale, kind=kind, build_seconds=time.perf_counter() - started,
                 built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    marker.write_text(json.dumps(facts, indent=1))
    log(f"{kind}: dataset built in {facts['build_seconds']:.1f} s: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in facts["phase_seconds"].items()))
    facts["reused"] = False
    return url, facts


def _looks_complete(url, facts):
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            n = connection.execute(text("SELECT count(*) FROM organizations")).scalar()
        engine.dispose()
    except Exception:  # noqa: BLE001  (no database, no table: rebuild)
        return False
    return n == facts["counts"]["organizations"]


def _create_empty(kind, url):
    if kind == "sqlite":
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def upgrade(url):
    """`flask db upgrade`, as a deploy does (in this process: the same call, one import fewer)."""
    from flask_migrate import upgrade as flask_db_upgrade

    app = _app_for(url)
    with app.app_context():
        flask_db_upgrade()
        from gosmart.extensions import db
        db.engine.dispose()


def drop(kind, scale):
    """Forget a dataset (the smoke test cleans up after itself)."""
    url = target_url(kind, scale)
    marker_path(kind, scale).unlink(missing_ok=True)
    if kind == "sqlite":
        _create_empty(kind, url)
    else:
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


# --- The rows ----------------------------------------------------------------------------------

def _app_for(url):
    from config import ProductionConfig
    from gosmart import create_app

    class BenchBuildConfig(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-" + "x" * 40

    return create_app(BenchBuildConfig)


def _batches(rows, size=5_000):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Builder:
    def __init__(self, connection, n):
        self.c = connection
        self.n = n
        self.rng = random.Random(SEED)
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.phases = {}

    def put(self, model_or_table, rows, size=5_000):
        table = getattr(model_or_table, "__table__", model_or_table)
        count = 0
        for batch in _batches(rows, size):
            self.c.execute(insert(table), batch)
            count += len(batch)
        return count

    def phase(self, name, work):
        started = time.perf_counter()
        result = work()
        self.phases[name] = time.perf_counter() - started
        return result


def _name(rng):
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
    return (word + rng.choice(CITY_SUFFIXES)).capitalize()


def build(url, n):
    from werkzeug.security import generate_password_hash

    from gosmart.assemblies.models import Assembly, DoorAssignment, QuotaUse, Registration
    from gosmart.audit import AuditEntry
    from gosmart.auth.models import User
    from gosmart.certificates.models import Certificate
    from gosmart.checkin.models import CheckInScan
    from gosmart.extensions import db
    from gosmart.members.forms import FOCUS_AREAS, SECTORS
    from gosmart.members.models import DEFAULT_VISIBLE_FIELDS, HonoraryMember, Organization, OrganizationTopic
    from gosmart.mou.models import Mou, MouSignatory

    app = _app_for(url)
    facts = {"password": PASSWORD, "secretariat": SECRETARIAT, "door": DOOR}
    with app.app_context():
        engine = db.engine
    metadata = db.metadata
    with engine.begin() as connection:
        b = _Builder(connection, n)
        rng, now = b.rng, b.now
        password_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])

        # Organizations, their topics, and one representative each.
        def organizations():
            rows, topics = [], []
            used = set()
            categories = ["city"] * 5 + ["industry"] * 3 + ["academic"] * 2
            for i in range(1, n["organizations"] + 1):
                category = rng.choice(categories)
                base = _name(rng)
                name = {"city": f"{base} City" if rng.random() < 0.5 else f"City of {base}",
                        "industry": f"{base} {rng.choice(INDUSTRY_WORDS)} {rng.choice(INDUSTRY_SUFFIXES)}",
                        "academic": f"University of {base}" if rng.random() < 0.6 else f"{base} Institute of Technology",
                        }[category]
                while name in used:
                    name += " " + rng.choice("ABCDEFGHJK")
                used.add(name)
                name_local = "".join(rng.choice(CJK) for _ in range(rng.randint(2, 4))) if rng.random() < 0.2 else None
                status = "active" if rng.random() < 0.95 else rng.choice(("suspended", "withdrawn"))
                visible = list(DEFAULT_VISIBLE_FIELDS) + (["contact_name", "contact_email"] if rng.random() < 0.5 else [])
                description = rng.choice(DESCRIPTIONS)
                search = " ".join(p for p in (name, name_local or "", description if "description" in visible else "")
                                  if p).lower()
                since = date(2018, 6, 15) + timedelta(days=rng.randint(0, 7 * 365))
                domain = f"org{i}.example.org"
                rows.append(dict(
                    id=i, name=name, name_local=name_local, category=category, country=rng.choice(COUNTRIES),
                    membership_number=f"GS-{since.year}-{i:05d}", member_since=since, status=status, details={},
                    contact_name=f"Contact {i}", contact_email=f"contact@{domain}", contact_phone="+886 2 2720 8889",
                    website=f"https://{domain}/", description=description, created_at=now,
                    member_visible_fields=visible, listed_publicly=rng.random() < 0.9, logo_stored_name=None,
                    search_text=search, withdrawn_on=None, status_reason=None))
                vocabulary = FOCUS_AREAS if category == "city" else SECTORS
                for topic in rng.sample(vocabulary, rng.randint(1, 3)):
                    topics.append(dict(organization_id=i, topic=topic))
            b.put(Organization, rows)
            b.put(OrganizationTopic, topics)
            return rows

        orgs = b.phase("organizations", organizations)
        active = [o for o in orgs if o["status"] == "active"]

        def users():
            rows = [dict(id=1, email=SECRETARIAT, name="Bench Secretariat", role="secretariat"),
                    dict(id=2, email=DOOR, name="Bench Door Staff", role="door_staff")]
            for o in orgs:
                rows.append(dict(id=2 + o["id"], email=f"rep@org{o['id']}.example.org", name=f"Representative {o['id']}",
                                 role="representative", organization_id=o["id"]))
            first_honorary = 3 + len(orgs)
            for k in range(n["honorary"]):
                rows.append(dict(id=first_honorary + k, email=f"honorary{k}@bench.gosmart.org",
                                 name=f"Honorary Member {k}", role="honorary"))
            for row in rows:
                row.setdefault("organization_id", None)
                row.update(password_hash=password_hash, active=True, session_token=secrets.token_urlsafe(24),
                           email_confirmed_at=now, created_at=now, last_login_at=None)
            b.put(User, rows)
            b.put(HonoraryMember, [dict(user_id=first_honorary + k, title="Professor", affiliation="Bench University",
                                        citation="For services to smart cities.", granted_on=date(2019, 6, 19),
                                        granted_by_id=1, status="active") for k in range(n["honorary"])])
            return rows

        all_users = b.phase("users", users)
        facts["representative"] = f"rep@org{active[0]['id']}.example.org"

        # Assemblies: #1 the largest (running now: the door and the registration list), #2 the one whose
        # attendees get certificates (past, with exactly `attendees` check-ins), the rest past and future.
        def assemblies():
            rows = []
            for i in range(1, n["assemblies"] + 1):
                if i == 1:
                    starts = now - timedelta(hours=2)
                elif i == 2:
                    starts = now - timedelta(days=30)
                else:
                    starts = now + timedelta(days=rng.randint(-6 * 365, 365))
                rows.append(dict(
                    id=i, kind=rng.choice(("general_assembly", "forum", "committee_meeting")),
                    title=f"GO SMART {'General Assembly' if i == 1 else 'Forum'} {2018 + i % 8} #{i}",
                    timezone="Asia/Taipei", starts_at=starts, ends_at=starts + timedelta(days=2),
                    venue="Taipei International Convention Center", city="Taipei",
                    capacity=0, registration_opens_at=starts - timedelta(days=90),
                    registration_closes_at=starts - timedelta(days=1), delegate_quota=3,
                    honorary_may_register=True, observers_allowed=True, description="A benchmark assembly.",
                    confirmed_count=0, cancelled_at=None, cancel_reason=None, created_at=now))
            return rows

        assembly_rows = b.phase("assemblies", assemblies)
        largest, certified = assembly_rows[0], assembly_rows[1]

        def registrations():
            sizes = [n["largest"]]
            rest = n["registrations"] - n["largest"]
            others = n["assemblies"] - 1
            sizes += [rest // others + (1 if k < rest % others else 0) for k in range(others)]
            rows, checkins, quota = [], [], {}
            past_confirmed = []
            reg_id = 0
            roles = ["delegate"] * 5 + ["head_of_delegation"] * 2 + ["observer", "speaker", "guest"]
            for assembly, size in zip(assembly_rows, sizes):
                confirmed = 0
                for _k in range(size):
                    reg_id += 1
                    org = rng.choice(active)
                    roll = rng.random()
                    state = "confirmed" if roll < 0.85 else ("waiting" if roll < 0.95 else "cancelled")
                    created = assembly["registration_opens_at"] + timedelta(minutes=rng.randint(0, 80 * 24 * 60))
                    rows.append(dict(
                        id=reg_id, assembly_id=assembly["id"], organization_id=org["id"], user_id=None,
                        name=f"{_name(rng)} {_name(rng)}", title="Director", email=f"delegate{reg_id}@org{org['id']}.example.org",
                        role=rng.choice(roles), dietary_needs=None if rng.random() < 0.8 else "vegetarian",
                        accessibility_needs=None, state=state, checkin_token=secrets.token_urlsafe(24),
                        outside_quota=False, capacity_override_reason=None, registered_by_id=2 + org["id"],
                        created_at=created, confirmed_at=created if state == "confirmed" else None,
                        cancelled_at=created + timedelta(days=1) if state == "cancelled" else None,
                        checked_in_at=None, checked_in_station=None, checked_in_by_id=None, no_show=False))
                    if state != "cancelled":
                        quota[(assembly["id"], org["id"])] = quota.get((assembly["id"], org["id"]), 0) + 1
                    if state == "confirmed":
                        confirmed += 1
                        if assembly["id"] != 1 and assembly["starts_at"] < now:
                            past_confirmed.append(rows[-1])
                assembly["confirmed_count"] = confirmed
                assembly["capacity"] = confirmed + 50
            # Check-ins: exactly `attendees` at assembly 2, the rest spread over the other past assemblies.
            at_certified = [r for r in past_confirmed if r["assembly_id"] == 2]
            elsewhere = [r for r in past_confirmed if r["assembly_id"] != 2]
            chosen = rng.sample(at_certified, min(n["attendees"], len(at_certified)))
            chosen += rng.sample(elsewhere, min(n["checkins"] - len(chosen), len(elsewhere)))
            starts = {a["id"]: a["starts_at"] for a in assembly_rows}
            for r in chosen:
                r["checked_in_at"] = starts[r["assembly_id"]] + timedelta(minutes=rng.randint(0, 180))
                r["checked_in_station"] = "Door 1"
                r["checked_in_by_id"] = 2
                checkins.append(dict(client_id=uuid.uuid4().hex, assembly_id=r["assembly_id"], registration_id=r["id"],
                                     verdict="checked_in", station="Door 1", user_id=2, scanned_at=r["checked_in_at"],
                                     received_at=r["checked_in_at"]))
            b.put(Assembly, assembly_rows)
            b.put(Registration, rows)
            b.put(QuotaUse, [dict(assembly_id=a, organization_id=o, used=u) for (a, o), u in quota.items()])
            b.put(CheckInScan, checkins)
            b.put(DoorAssignment, [dict(assembly_id=1, user_id=2), dict(assembly_id=2, user_id=2)])
            return rows, checkins

        registration_rows, checkin_rows = b.phase("registrations and check-ins", registrations)

        def certificates():
            rows = []
            for o in orgs:
                rows.append(dict(
                    kind="membership", serial=f"GS-CERT-2019-{o['id']:06d}", verification_code=secrets.token_urlsafe(24),
                    holder_type="organization", holder_id=o["id"], holder_name=o["name"],
                    holder_name_local=o["name_local"], subject=o["category"], issued_on=o["member_since"],
                    issued_at=now, issued_by_id=1, sha256="0" * 64, stored_name="bench-not-stored.pdf",
                    revoked_at=None, revoke_reason=None, replaces_id=None))
            b.put(Certificate, rows)
            return rows

        certificate_rows = b.phase("certificates", certificates)

        def mous():
            rows, signatories = [], []
            for i in range(1, n["mous"] + 1):
                state = rng.choice(("signed",) * 7 + ("draft",) * 2 + ("terminated",))
                partner = rng.choice(active) if rng.random() < 0.6 else None
                signed = date(2018, 9, 1) + timedelta(days=rng.randint(0, 6 * 365)) if state != "draft" else None
                rows.append(dict(
                    id=i, title=f"MOU on smart-city cooperation #{i}", state=state,
                    visibility=rng.choice(("public", "members", "secretariat")),
                    partner_organization_id=partner["id"] if partner else None,
                    partner_name=None if partner else f"{_name(rng)} Association",
                    partner_country=None if partner else rng.choice(COUNTRIES), signed_on=signed,
                    signing_place="Taipei" if signed else None, effective_on=signed,
                    expires_on=signed + timedelta(days=3 * 365) if signed else None, scope="Cooperation.",
                    renews_id=None, document_stored_name=None, document_name=None, document_size=None,
                    document_sha256=None, terminated_on=signed + timedelta(days=400) if state == "terminated" else None,
                    termination_reason="Ended by agreement." if state == "terminated" else None,
                    created_at=now, updated_at=now, created_by_id=1))
                signatories += [dict(mou_id=i, position=0, name="Secretary General", title=None, party="go_smart"),
                                dict(mou_id=i, position=1, name=f"Mayor {_name(rng)}", title="Mayor", party="partner")]
            b.put(Mou, rows)
            b.put(MouSignatory, signatories)
            return rows

        b.phase("MOUs", mous)
        facts["minutes_note"] = b.phase("minutes", lambda: _minutes(b, active))

        def audit():
            actions = [a for a, _t, w in AUDIT_ACTIONS for _ in range(w)]
            kinds = dict((a, t) for a, t, _w in AUDIT_ACTIONS)
            total = n["audit"]
            start = now - timedelta(days=6 * 365)
            step = (now - start) / total
            reps = all_users[2:2 + len(orgs)]

            def rows():
                for i in range(total):
                    action = rng.choice(actions)
                    if rng.random() < 0.1:
                        actor_id, email = 1, SECRETARIAT
                    else:
                        rep = rng.choice(reps)
                        actor_id, email = rep["id"], rep["email"]
                    yield dict(created_at=start + step * i, actor_id=actor_id, actor_email=email, action=action,
                               object_type=kinds[action], object_id=str(rng.randint(1, 100_000)),
                               details={"bench": True}, ip_address="192.0.2.%d" % rng.randint(1, 254),
                               request_id=uuid.uuid4().hex)

            return b.put(AuditEntry, rows(), size=10_000)

        b.phase("audit entries", audit)

        def analyze():
            if connection.dialect.name == "postgresql":
                return  # VACUUM ANALYZE runs outside the transaction, below
            connection.execute(text("ANALYZE"))

        b.phase("analyze", analyze)

        facts["largest_assembly"] = 1
        facts["certified_assembly"] = 2
        facts["profile_organization"] = active[len(active) // 2]["id"]
        facts["verification_code"] = certificate_rows[len(certificate_rows) // 2]["verification_code"]
        # The audit filter: everything one representative did (about 90 entries in a million).
        facts["audit_who"] = all_users[2 + len(orgs) // 3]["email"]
        facts["counts"] = {
            "organizations": len(orgs), "assemblies": len(assembly_rows), "registrations": len(registration_rows),
            "checkins": len(checkin_rows), "mous": n["mous"], "minutes": facts["minutes_note"]["minutes"],
            "audit_entries": n["audit"], "users": len(all_users), "certificates": len(certificate_rows),
            "largest_assembly_registrations": sum(1 for r in registration_rows if r["assembly_id"] == 1),
        }
        phases = b.phases
    if engine.dialect.name == "postgresql":
        started = time.perf_counter()
        with engine.begin() as connection:  # the rows above came with their ids: move the sequences past them
            for table in metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.primary_key:
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        phases["analyze"] = time.perf_counter() - started
    engine.dispose()
    facts["phase_seconds"] = phases
    return facts


def _minutes(b, active):
    """500 sets of minutes over 10 committees, if the minutes package is in the tree."""
    try:
        from gosmart.minutes.models import Committee, CommitteeMember, Meeting, Minutes, MinutesRevision
    except ImportError:
        return {"minutes": 0, "note": "gosmart.minutes has no models in this tree: no minutes generated"}
    rng, n, now = b.rng, b.n, b.now
    committees = max(1, min(10, n["minutes"]))
    b.put(Committee, [dict(id=k, name=f"Bench Committee {k}", code=f"BC{k}", description="For the benchmark.",
                           chair_organization_id=active[k]["id"], chair_person=None, term_start=date(2019, 1, 1),
                           term_end=None, created_at=now) for k in range(1, committees + 1)])
    seats = []
    for k in range(1, committees + 1):
        for o in rng.sample(active, min(5, len(active))):
            seats.append(dict(committee_id=k, organization_id=o["id"], person_name=None, added_at=now))
    b.put(CommitteeMember, seats)
    meetings, minutes, revisions = [], [], []
    for i in range(1, n["minutes"] + 1):
        held = date(2019, 1, 1) + timedelta(days=i * 3)
        meetings.append(dict(id=i, committee_id=1 + i % committees, held_on=held, place="Taipei", created_at=now))
        content = {"held_on": held.isoformat(), "place": "Taipei", "attendance": [], "guests": [],
                   "items": [{"title": "Smart mobility pilots", "discussion": "The committee **discussed** pilots."}],
                   "resolutions": [], "action_items": []}
        published = rng.random() < 0.7
        minutes.append(dict(id=i, meeting_id=i, state="published" if published else "draft",
                            audience=rng.choice(("members", "public")) if published else None, content=content,
                            current_revision=1, search_text="smart mobility pilots the committee discussed pilots.",
                            created_at=now, updated_at=now, approved_at=now if published else None,
                            approved_by_id=1 if published else None, published_at=now if published else None,
                            reopen_reason=None))
        revisions.append(dict(minutes_id=i, number=1, kind="created", content=content, author_id=1, created_at=now))
    b.put(Meeting, meetings)
    b.put(Minutes, minutes)
    b.put(MinutesRevision, revisions)
    return {"minutes": len(minutes), "note": f"{len(minutes)} minutes in {committees} committees"}
