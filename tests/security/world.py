"""The security suite's world: one user per role (organizations A and B each with a
representative), objects of every kind in the states that matter, and for every route
argument the objects a request can name, with who may see each one.

The route policies come from the one EXPECTED table (tests/test_permissions.py); the
object rules (whose application, which organization's registration, which door, which
visibility) are declared here, next to the objects, as the set of role keys that may
reach each object. A route whose arguments no factory below can fill fails the suite.
"""
import io
import json
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from pathlib import Path

from sqlalchemy import event, select, text
from sqlalchemy import inspect as sa_inspect
from werkzeug.datastructures import FileStorage

from gosmart import uploads
from gosmart.assemblies import badges
from gosmart.assemblies.models import Assembly, BadgeSheet, DoorAssignment, QuotaUse, Registration
from gosmart.auth import services as accounts
from gosmart.auth.models import Role
from gosmart.certificates.models import BulkJob, Certificate, CertificateCounter
from gosmart.checkin import attendance
from gosmart.extensions import db
from gosmart.members import services as members
from gosmart.members.models import Category, HonoraryMember, MemberStatus
from gosmart.minutes import services as minutes_services
from gosmart.mou.models import Mou
from gosmart.permissions import PUBLIC, SIGNED_IN
from gosmart.secretariat import notifications

from ..conftest import Client
from ..test_permissions import EXPECTED
from ..test_uploads import PNG, minimal_pdf

# The seven kinds of requester, by key. Both representatives are Role.REPRESENTATIVE.
ROLE_KEYS = ("visitor", "applicant", "rep_a", "rep_b", "honorary", "door_staff", "secretariat")
ROLE_OF = {"visitor": None, "applicant": Role.APPLICANT, "rep_a": Role.REPRESENTATIVE,
           "rep_b": Role.REPRESENTATIVE, "honorary": Role.HONORARY, "door_staff": Role.DOOR_STAFF,
           "secretariat": Role.SECRETARIAT}
EVERYONE = frozenset(ROLE_KEYS)
MEMBERS = frozenset({"rep_a", "rep_b", "honorary", "secretariat"})  # those who see what members see
NOBODY = frozenset()
PDF = minimal_pdf()
NOW = datetime.now(timezone.utc)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def route_allows(endpoint, key):
    """Whether the route's declared policy (the EXPECTED table) lets role `key` in."""
    policy = {str(p) for p in EXPECTED[endpoint]}
    if PUBLIC in policy:
        return True
    if key == "visitor":
        return False
    return SIGNED_IN in policy or str(ROLE_OF[key]) in policy


# --- Clients -------------------------------------------------------------------------------

class RoleClient(Client):
    """A test client signed in as one user (without a login request, so that the login
    rate limit is not spent), with its CSRF token cached."""

    def __init__(self, flask_client, key, user=None):
        super().__init__(flask_client)
        self.key, self.user = key, user
        self._token = None
        if user is not None:
            with flask_client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True

    @property
    def token(self):
        if self._token is None:
            self._token = self.csrf_token("/")
        return self._token

    def post(self, url, data=None, csrf=True, headers=None, **kwargs):
        data = dict(data or {}) if not isinstance(data, (bytes, str)) else data
        if csrf and isinstance(data, dict):
            data.setdefault("csrf_token", self.token)
        return self.raw.post(url, data=data, headers=headers or {}, **kwargs)


# --- Candidates: what a route argument can name -------------------------------------------

@dataclass(frozen=True)
class Candidate:
    values: dict                 # URL arguments
    visible: frozenset           # role keys the object rule lets through
    label: str
    query: dict = field(default_factory=dict)  # extra query arguments (e.g. a search that shows a form)


def _c(label, visible, query=None, **values):
    return Candidate(values, frozenset(visible), label, query or {})


# Routes that act on an application only its applicant may change.
APPLICANT_ONLY = {"members.application_edit", "members.application_withdraw"}


# Which submitted application each review action takes (so that one does not undo another).
REVIEW = {"members.application_comment": "application_other", "members.application_request_changes":
          "application_other", "members.application_approve": "application_other2",
          "members.application_reject": "application_other3"}


def _application(world, endpoint):
    own = world.application_own
    if endpoint in APPLICANT_ONLY:
        return [_c("own draft", {"applicant"}, application_id=own.id),
                _c("another applicant's", NOBODY, application_id=world.application_other.id)]
    others = [getattr(world, REVIEW.get(endpoint, "application_other"))]
    others += [a for a in (world.application_other, world.application_other2, world.application_other3)
               if a not in others]
    found = [_c("another applicant's", {"secretariat"}, application_id=a.id) for a in others]
    own_first = endpoint not in REVIEW  # the review forms show on submitted applications only
    mine = _c("own", {"applicant", "secretariat"}, application_id=own.id)
    return [mine] + found if own_first else found + [mine]


def _application_document(world, endpoint):
    own, other = world.application_own, world.application_other
    own_doc, other_doc = own.documents[0].id, other.documents[0].id
    owners = {"applicant"} if endpoint in APPLICANT_ONLY else {"applicant", "secretariat"}
    others = NOBODY if endpoint in APPLICANT_ONLY else {"secretariat"}
    return [_c("own document", owners, application_id=own.id, document_id=own_doc),
            _c("another applicant's document", others, application_id=other.id, document_id=other_doc),
            _c("another's document through own application", NOBODY, application_id=own.id, document_id=other_doc)]


def _assembly(world, endpoint):
    x, y = world.assembly, world.other_assembly
    if endpoint.startswith("checkin."):  # door staff work the doors they are assigned to
        return [_c("assigned door", {"door_staff", "secretariat"}, assembly_id=x.id),
                _c("unassigned door", {"secretariat"}, assembly_id=y.id)]
    return [_c("assembly", EVERYONE, assembly_id=x.id), _c("other assembly", EVERYONE, assembly_id=y.id)]


def _registration(world, endpoint):
    x, y = world.assembly.id, world.other_assembly.id
    reg = world.registrations
    if endpoint.startswith("checkin."):
        return [_c("checked-in registration", {"secretariat"}, assembly_id=x, registration_id=reg["checked"].id),
                _c("registration through another door", NOBODY, assembly_id=y, registration_id=reg["checked"].id)]
    return [_c("A's registration", {"rep_a", "secretariat"}, assembly_id=x, registration_id=reg["a"].id),
            _c("B's registration", {"rep_b", "secretariat"}, assembly_id=x, registration_id=reg["b"].id),
            _c("honorary member's own", {"honorary", "secretariat"}, assembly_id=x, registration_id=reg["honorary"].id),
            _c("A's registration under another assembly", NOBODY, assembly_id=y, registration_id=reg["a"].id)]


def _job(world, endpoint):
    return [_c("bulk job", {"secretariat"}, assembly_id=world.assembly.id, job_id=world.job.id),
            _c("bulk job under another assembly", NOBODY, assembly_id=world.other_assembly.id, job_id=world.job.id)]


def _badge_sheet(world, endpoint):
    return [_c("badge sheet", {"secretariat"}, assembly_id=world.assembly.id, sheet_id=world.badge_sheet.id),
            _c("badge sheet under another assembly", NOBODY, assembly_id=world.other_assembly.id,
               sheet_id=world.badge_sheet.id)]


def _organization(world, endpoint):
    a, b, unlisted, suspended = world.org_a, world.org_b, world.org_unlisted, world.org_suspended
    if endpoint == "directory.logo":  # members see a logo their fellow members show
        return [_c("A's logo", MEMBERS, organization_id=a.id),
                _c("B without a logo", NOBODY, organization_id=b.id)]
    if endpoint == "directory.profile":
        return [_c("A", EVERYONE, organization_id=a.id), _c("B", EVERYONE, organization_id=b.id),
                _c("not listed publicly", MEMBERS, organization_id=unlisted.id),
                _c("suspended", {"secretariat"}, organization_id=suspended.id)]
    return [_c("B", EVERYONE, organization_id=b.id), _c("A", EVERYONE, organization_id=a.id)]


def _organization_action(world, endpoint):
    return [_c("suspend B", EVERYONE, organization_id=world.org_b.id, action="suspend")]


def _user(world, endpoint):
    return [_c("door-staff account", EVERYONE, user_id=world.extra_door_staff.id),
            _c("a representative's account (not staff)", NOBODY, user_id=world.users["rep_a"].id)]


def _mou(world, endpoint):
    m = world.mous
    if endpoint == "mou.sign":
        return [_c("draft", EVERYONE, mou_id=m["draft"].id)]
    if endpoint in ("mou.edit", "mou.terminate"):
        return [_c("signed", EVERYONE, mou_id=m["public"].id)]
    return [_c("public", EVERYONE, mou_id=m["public"].id), _c("members", MEMBERS, mou_id=m["members"].id),
            _c("secretariat only", {"secretariat"}, mou_id=m["secretariat"].id),
            _c("draft", {"secretariat"}, mou_id=m["draft"].id)]


def _minutes(world, endpoint):
    m = world.minutes
    if endpoint in ("minutes.minutes_detail", "minutes.minutes_pdf"):
        return [_c("published to everyone", EVERYONE, minutes_id=m["public"].id),
                _c("published to members", MEMBERS, minutes_id=m["members"].id),
                _c("approved, unpublished", {"secretariat"}, minutes_id=m["approved"].id),
                _c("draft", {"secretariat"}, minutes_id=m["draft"].id)]
    if endpoint == "minutes.minutes_publish":
        return [_c("approved", EVERYONE, minutes_id=m["approved"].id)]
    if endpoint == "minutes.minutes_reopen":
        return [_c("published", EVERYONE, minutes_id=m["members"].id)]
    return [_c("draft", EVERYONE, minutes_id=m["draft"].id)]


def _minutes_revision(world, endpoint):
    draft = world.minutes["draft"].id
    return [_c("revision 2", EVERYONE, minutes_id=draft, number=2), _c("no such revision", NOBODY, minutes_id=draft,
                                                                        number=99)]


def _committee(world, endpoint):
    return [_c("committee", EVERYONE, committee_id=world.committee.id)]


def _committee_member(world, endpoint):
    return [_c("member", EVERYONE, committee_id=world.committee.id, member_id=world.committee_member.id),
            _c("member of another committee", NOBODY, committee_id=world.other_committee.id,
               member_id=world.committee_member.id)]


def _honorary_member(world, endpoint):
    return [_c("honorary member", EVERYONE, honorary_id=world.honorary_member.id)]


def _certificate(world, endpoint):
    return [_c("certificate", EVERYONE, certificate_id=world.certificate.id)]


def _code(world, endpoint):
    return [_c("verification code", EVERYONE, code=world.certificate.verification_code),
            _c("verification code as printed", EVERYONE, code=world.membership_certificate.printed_code)]


def _token(world, endpoint):
    if endpoint not in world.tokens:
        return []
    return [_c("emailed link", EVERYONE, token=world.tokens[endpoint])]


def _category(world, endpoint):
    if endpoint == "members.apply_new":  # members and staff do not apply
        return [_c("city", {"visitor", "applicant"}, category="city")]
    return [_c("city", EVERYONE, category="city")]


def _static(world, endpoint):
    return [_c("stylesheet", EVERYONE, filename="css/app.css")]


def _email_name(world, endpoint):
    return [_c("an email", EVERYONE, name=next(iter(notifications.EMAILS)))]


def _none(world, endpoint):
    return [_c("", EVERYONE)]


# Factories by the set of argument names a route takes.
FACTORIES = {
    frozenset(): _none,
    frozenset({"application_id"}): _application,
    frozenset({"application_id", "document_id"}): _application_document,
    frozenset({"assembly_id"}): _assembly,
    frozenset({"assembly_id", "registration_id"}): _registration,
    frozenset({"assembly_id", "job_id"}): _job,
    frozenset({"assembly_id", "sheet_id"}): _badge_sheet,
    frozenset({"organization_id"}): _organization,
    frozenset({"organization_id", "action"}): _organization_action,
    frozenset({"user_id"}): _user,
    frozenset({"mou_id"}): _mou,
    frozenset({"minutes_id"}): _minutes,
    frozenset({"minutes_id", "number"}): _minutes_revision,
    frozenset({"committee_id"}): _committee,
    frozenset({"committee_id", "member_id"}): _committee_member,
    frozenset({"certificate_id"}): _certificate,
    frozenset({"honorary_id"}): _honorary_member,
    frozenset({"code"}): _code,
    frozenset({"token"}): _token,
    frozenset({"category"}): _category,
    frozenset({"filename"}): _static,
    frozenset({"name"}): _email_name,
}

# Extra query arguments that make a page show what a form needs (a search with a result).
QUERIES = {"checkin.search": {"q": "Checked"}}


def candidates(world, rule):
    """Every way the suite fills `rule`'s arguments; [] if it cannot."""
    factory = FACTORIES.get(frozenset(rule.arguments))
    if factory is None:
        return []
    found = factory(world, rule.endpoint)
    query = QUERIES.get(rule.endpoint, {})
    return [Candidate(c.values, c.visible, c.label, {**query, **c.query}) for c in found]


def choose(world, rule, key):
    """The candidate to use for role `key`: the first it may see, else the first (to be refused)."""
    found = candidates(world, rule)
    for candidate in found:
        if key in candidate.visible:
            return candidate
    return found[0] if found else None


def expected_allowed(rule, key, candidate):
    return route_allows(rule.endpoint, key) and key in candidate.visible


def url_for_rule(app, rule, candidate):
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {**candidate.values, **candidate.query})


def rules(app, methods=None):
    """The application's rules (without HEAD/OPTIONS), optionally those with one of `methods`."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if methods is None or (rule.methods & set(methods)):
            found.append(rule)
    return found


def get_rules(app):
    return [r for r in rules(app) if "GET" in r.methods]


def unsafe_rules(app):
    return [r for r in rules(app) if r.methods & UNSAFE]


# --- The world -------------------------------------------------------------------------------

class World:
    """Builds the objects once per test (the tables are emptied after every test)."""

    def __init__(self, app, users, make_user, organization):
        self.app = app
        self.org_a = users[Role.REPRESENTATIVE].organization
        self.org_a.name_local = "臺北市"
        self.org_b = organization(name="Seoul Metropolitan Government", country="KR", number="GS-2019-0002")
        self.org_unlisted = organization(name="Quiet Town", country="JP", number="GS-2019-0003",
                                         listed_publicly=False)
        self.org_suspended = organization(name="Paused City", country="FR", number="GS-2019-0004",
                                          status=MemberStatus.SUSPENDED)
        self.users = {
            "applicant": users[Role.APPLICANT], "rep_a": users[Role.REPRESENTATIVE],
            "rep_b": make_user(Role.REPRESENTATIVE, "rep-b@example.org", organization=self.org_b, name="Rep of B"),
            "honorary": users[Role.HONORARY], "door_staff": users[Role.DOOR_STAFF],
            "secretariat": users[Role.SECRETARIAT],
        }
        self.extra_door_staff = make_user(Role.DOOR_STAFF, "door2@example.org", name="Second door")
        self._logo()
        self._honorary()
        self._applications(make_user)
        self._assemblies()
        self._mous()
        self._minutes()
        db.session.commit()
        # Links as emailed (made once: a token carries the time it was made).
        self.tokens = {"auth.reset_password": accounts.password_reset_token(self.users["applicant"]),
                       "auth.confirm_email": accounts.email_confirmation_token(self.users["applicant"]),
                       "checkin.attendance_certificate": attendance.link_token(self.registrations["checked"])}

    # objects -----------------------------------------------------------------------------

    def _logo(self):
        stored = uploads.store_bytes(PNG, "png", "logos")
        self.org_a.logo_stored_name = stored.stored_name

    def _honorary(self):
        user = self.users["honorary"]
        self.honorary_member = db.session.scalar(select(HonoraryMember).where(HonoraryMember.user_id == user.id))
        self.honorary_member.title, self.honorary_member.affiliation = "Professor", "NTU"
        self.honorary_member.granted_by_id = self.users["secretariat"].id
        db.session.flush()
        holder = members.honorary_holder(self.honorary_member)
        stored = uploads.store_bytes(PDF, "pdf", "certificates")
        self.certificate = Certificate(
            kind="honorary", serial="GS-CERT-2019-000001", verification_code=secrets.token_urlsafe(24),
            holder_type=holder.type, holder_id=holder.id, holder_name=holder.name, subject=holder.subject,
            issued_on=date(2019, 6, 19), sha256=stored.sha256, stored_name=stored.stored_name)
        # Organization A's membership certificate, with a code of today's form (the honorary one
        # above has one of before: 32 characters of base 64). Downloads only read them.
        holder = members.membership_holder(self.org_a)
        stored = uploads.store_bytes(PDF, "pdf", "certificates")
        self.membership_certificate = Certificate(
            kind="membership", serial="GS-CERT-2019-000002", verification_code="7KQ2M9XD4HTRWB3N",
            holder_type=holder.type, holder_id=holder.id, holder_name=holder.name, holder_name_local=holder.name_local,
            subject=str(holder.subject), issued_on=date(2019, 1, 1), sha256=stored.sha256,
            stored_name=stored.stored_name)
        db.session.add_all([self.certificate, self.membership_certificate,
                            CertificateCounter(year=2019, last_number=2)])

    def _applications(self, make_user):
        data = {"name": "Kaohsiung City", "country": "TW", "contact_name": "Ms. Lee",
                "contact_email": "lee@kcg.example",
                "answers": {"population": 2770000, "head_of_government": "Mayor", "smart_city_office": "Office",
                            "topics": ["water"]}}
        self.application_own = members.start_application(Category.CITY, data, applicant=self.users["applicant"])
        self._document(self.application_own, self.users["applicant"])
        self.application_other = self._submitted(make_user("applicant", "other@example.org", name="Other"),
                                                 dict(data, name="Tainan City"))
        self.application_other2 = self._submitted(make_user("applicant", "other2@example.org", name="Other 2"),
                                                  dict(data, name="Hsinchu City"))
        self.application_other3 = self._submitted(make_user("applicant", "other3@example.org", name="Other 3"),
                                                  dict(data, name="Taichung City"))

    def _submitted(self, applicant, data):
        applicant.email_confirmed_at = NOW
        application = members.start_application(Category.CITY, data, applicant=applicant)
        self._document(application, applicant)
        members.submit(application, applicant)
        return application

    @staticmethod
    def _document(application, user):
        stored = uploads.store_upload(FileStorage(io.BytesIO(PDF), "letter.pdf"), uploads.DOCUMENT, "applications")
        members.add_document(application, stored, user)

    def _assemblies(self):
        def assembly(title, starts, **kw):
            item = Assembly(kind="general_assembly", title=title, timezone="Asia/Taipei", starts_at=starts,
                            ends_at=starts + timedelta(hours=8), venue="TICC", city="Taipei", capacity=50,
                            registration_opens_at=NOW - timedelta(days=2), delegate_quota=3, confirmed_count=0,
                            honorary_may_register=True, observers_allowed=True, **kw)
            db.session.add(item)
            return item

        # Begun an hour ago and still open for registration: every screen has something to show.
        self.assembly = assembly("General Assembly 2026", NOW - timedelta(hours=1),
                                 registration_closes_at=NOW + timedelta(hours=6))
        self.other_assembly = assembly("Forum 2027", NOW + timedelta(days=60),
                                       registration_closes_at=NOW + timedelta(days=50))
        db.session.flush()
        db.session.add(DoorAssignment(assembly_id=self.assembly.id, user_id=self.users["door_staff"].id))

        def registration(name, email, role="delegate", organization=None, user=None, **kw):
            item = Registration(assembly_id=self.assembly.id, organization_id=organization and organization.id,
                                user_id=user and user.id, name=name, email=email, role=role, state="confirmed",
                                checkin_token=secrets.token_urlsafe(24), confirmed_at=NOW - timedelta(days=1), **kw)
            db.session.add(item)
            return item

        self.registrations = {
            "a": registration("Delegate of A", "a@taipei.example", organization=self.org_a),
            "b": registration("Delegate of B", "b@seoul.example", organization=self.org_b),
            "honorary": registration("Professor Honorary", self.users["honorary"].email, role="honorary_member",
                                     user=self.users["honorary"]),
            "checked": registration("Checked In Person", "in@taipei.example", organization=self.org_a,
                                    checked_in_at=NOW - timedelta(minutes=30), checked_in_station="Main",
                                    checked_in_by_id=self.users["door_staff"].id),
        }
        self.assembly.confirmed_count = 4
        db.session.add_all([QuotaUse(assembly_id=self.assembly.id, organization_id=self.org_a.id, used=2),
                            QuotaUse(assembly_id=self.assembly.id, organization_id=self.org_b.id, used=1)])
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("certificate.pdf", PDF)
        stored = uploads.store_bytes(archive.getvalue(), "zip", attendance.ZIP_FOLDER)
        self.job = BulkJob(label="Attendance", scope_type="assembly", scope_id=self.assembly.id, state="done",
                           total=1, done=1, zip_name=stored.stored_name, finished_at=NOW)
        db.session.add(self.job)
        stored = uploads.store_bytes(PDF, "pdf", badges.FOLDER)
        self.badge_sheet = BadgeSheet(assembly_id=self.assembly.id, state="done", total=4, done=4,
                                      stored_name=stored.stored_name, finished_at=NOW)
        db.session.add(self.badge_sheet)
        db.session.flush()

    def _mous(self):
        def mou(title, state="signed", visibility="public"):
            item = Mou(title=title, state=state, visibility=visibility,
                       signed_on=date(2019, 3, 27) if state == "signed" else None, partner_name="LGAQ",
                       partner_country="AU", scope="Smart cities", created_at=NOW, updated_at=NOW)
            stored = uploads.store_bytes(PDF, "pdf", "mous")
            item.document_stored_name, item.document_name, item.document_size = stored.stored_name, "signed.pdf", len(PDF)
            db.session.add(item)
            return item

        self.mous = {"public": mou("Public MOU"), "members": mou("Members MOU", visibility="members"),
                     "secretariat": mou("Secretariat MOU", visibility="secretariat"),
                     "draft": mou("Draft MOU", state="draft")}
        db.session.flush()

    def _minutes(self):
        secretariat = self.users["secretariat"]
        db.session.commit()
        self.committee = minutes_services.create_committee(
            {"name": "Strategy Committee", "code": "SC", "description": "Sets the strategy.",
             "chair_organization_id": self.org_a.id, "chair_person": None, "term_start": None, "term_end": None},
            secretariat)
        self.committee_member = minutes_services.add_member(self.committee, secretariat, person_name="Dr. Ada Lin")
        self.other_committee = minutes_services.create_committee(
            {"name": "Finance Committee", "code": "FC", "description": "", "chair_organization_id": None,
             "chair_person": "Dr. Chen", "term_start": None, "term_end": None}, secretariat)

        def minutes(day, state):
            item = minutes_services.create_minutes(self.committee, date(2019, 3, day), "Taipei City Hall", secretariat)
            data = {"held_on": date(2019, 3, day), "place": "Taipei City Hall", "guests": "",
                    "attendance": [{"member": r["member"], "status": r["status"]}
                                   for r in minutes_services.attendance_rows(item)],
                    "items": [{"title": "Election of the chair", "discussion": "Taipei City is proposed."}],
                    "resolutions": [{"number": None, "text": "Taipei City chairs."}], "action_items": []}
            minutes_services.save(item, data, item.current_revision, secretariat)
            if state != "draft":
                minutes_services.approve(item, item.current_revision, secretariat)
            if state in ("members", "public"):
                minutes_services.publish(item, state, secretariat)
            return item

        self.minutes = {"draft": minutes(1, "draft"), "approved": minutes(2, "approved"),
                        "members": minutes(3, "members"), "public": minutes(4, "public")}

    def reset(self):
        """Back to the world as built (after requests that changed it)."""
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        template = self.template
        vars(self).update(vars(template.restore()))
        self.template = template

    # clients -----------------------------------------------------------------------------

    def client(self, key):
        return RoleClient(self.app.test_client(), key, self.users.get(key))

    def clients(self):
        return {key: self.client(key) for key in ROLE_KEYS}


class WorldTemplate:
    """The world as built once: its rows, its stored files and which attribute is which
    object. Every later test gets the same world back by a few bulk inserts, instead of
    building it again through the services (the tables are emptied after every test)."""

    def __init__(self, app, world, files_before):
        self.app = app
        self.rows = {table.name: [dict(row) for row in db.session.execute(table.select()).mappings()]
                     for table in db.metadata.sorted_tables}
        self.files = {path: path.read_bytes() for path in stored_files(app) - files_before}
        self.refs, self.plain = {}, {}
        for name, value in vars(world).items():
            if name == "template":
                continue
            if isinstance(value, db.Model):
                self.refs[name] = (type(value), sa_inspect(value).identity)
            elif isinstance(value, dict) and value and all(isinstance(v, db.Model) for v in value.values()):
                self.refs[name] = {k: (type(v), sa_inspect(v).identity) for k, v in value.items()}
            else:
                self.plain[name] = value

    def restore(self):
        for table in db.metadata.sorted_tables:
            if self.rows[table.name]:
                db.session.execute(table.insert(), self.rows[table.name])
        if db.engine.dialect.name == "postgresql":  # explicit ids do not move the sequences
            for table in db.metadata.sorted_tables:
                key = list(table.primary_key.columns)
                if self.rows[table.name] and len(key) == 1 and key[0].autoincrement is not False:
                    db.session.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :n)"), {
                        "t": table.name, "c": key[0].name, "n": max(r[key[0].name] for r in self.rows[table.name])})
        db.session.commit()
        for path, data in self.files.items():
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        world = World.__new__(World)
        vars(world).update(self.plain)
        for name, ref in self.refs.items():
            if isinstance(ref, dict):
                setattr(world, name, {k: db.session.get(model, pk) for k, (model, pk) in ref.items()})
            else:
                setattr(world, name, db.session.get(ref[0], ref[1]))
        return world


def stored_files(app):
    """The files under UPLOAD_DIR (FILE_STORAGE=directory; the `files` table is a table like any other)."""
    folder = app.config["UPLOAD_DIR"]
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def everything_stored(app):
    """Every file under the test instance's directory and every file in the database."""
    root = Path(app.config["INSTANCE_DIR"]).parent
    on_disk = {str(p) for p in root.rglob("*") if p.is_file()}
    return on_disk | {f"files:{sha}" for sha in db.session.scalars(select(uploads.FileBlob.sha256))}


# --- Watching writes ------------------------------------------------------------------------

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE")


class Writes:
    """The data-changing SQL statements sent while the block runs (a GET, a refused
    request): the precise form of "nothing changes", down to one request."""

    def __init__(self):
        self.statements, self.committed, self._pending = [], [], []

    def _hook(self, conn, cursor, statement, parameters, context, executemany):
        text = statement.lstrip().upper()
        if text.startswith(WRITE_VERBS) or (text.startswith("WITH") and any(f" {v} " in text for v in WRITE_VERBS)):
            self.statements.append(" ".join(statement.split())[:160])
            self._pending.append(self.statements[-1])

    def _commit(self, conn):
        self.committed += self._pending
        self._pending = []

    def _rollback(self, conn):
        self._pending = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._hook)
        event.listen(db.engine, "commit", self._commit)
        event.listen(db.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._hook)
        event.remove(db.engine, "commit", self._commit)
        event.remove(db.engine, "rollback", self._rollback)

    def __bool__(self):
        return bool(self.statements)

    def __str__(self):
        return "; ".join(self.statements[:4])


# --- Snapshots: everything stored, to show that a request changed nothing ------------------------

def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def snapshot(app):
    """Every row of every table (by primary key) and every stored file."""
    db.session.rollback()
    state = {}
    for table in db.metadata.sorted_tables:
        key = [c.name for c in table.primary_key.columns]
        rows = {}
        for row in db.session.execute(table.select()).mappings():
            rows[tuple(row[k] for k in key)] = {name: _plain(value) for name, value in row.items()}
        state[table.name] = rows
    state["<files>"] = {(str(p),): {} for p in stored_files(app)}
    return state


def changes(before, after):
    """[(table, key, column or '+'/'-', old, new)] between two snapshots."""
    found = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, {}), after.get(table, {})
        for key in sorted(set(old) | set(new), key=repr):
            if key not in new:
                found.append((table, key, "-", old[key], None))
            elif key not in old:
                found.append((table, key, "+", None, new[key]))
            else:
                for column in old[key]:
                    if old[key][column] != new[key][column]:
                        found.append((table, key, column, old[key][column], new[key][column]))
    return found


def describe(found, limit=8):
    return "; ".join(f"{t}{list(k)} {c}: {o!r} -> {n!r}" for t, k, c, o, n in found[:limit])
