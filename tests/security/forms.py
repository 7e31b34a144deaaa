"""The forms of the application as a browser sees them: read from the pages themselves,
so a new field (or a new form) is covered without a line here.

Every page each role may open in the world is read once; each <form> (and each element
inside one with hx-post/hx-put/…, which posts the form's fields elsewhere) becomes a Form
with its fields and their values as the page fills them. OVERRIDES then gives what an
empty create form needs to be valid; `valid_data()` is what a user would post."""
import io
import itertools
import re
from os.path import commonprefix as os_commonprefix
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from ..test_permissions import EXPECTED
from gosmart.permissions import PUBLIC, SIGNED_IN

from .world import PDF, PNG, candidates, choose, get_rules, route_allows, unsafe_rules, url_for_rule

TEXT_KINDS = {"text", "textarea", "email", "url", "search", "tel", "hidden"}
HX_METHODS = {"hx-post": "POST", "hx-put": "PUT", "hx-patch": "PATCH", "hx-delete": "DELETE"}


@dataclass
class Field:
    name: str
    kind: str              # the input type, "textarea" or "select"
    value: str = ""
    options: list = field(default_factory=list)
    checked: bool = False
    multiple: bool = False
    maxlength: int | None = None


@dataclass
class Form:
    method: str
    action: str            # path (and query) the form goes to
    enctype: str
    fields: list
    page: str = ""         # where it was found
    key: str = ""          # as which role

    @property
    def path(self):
        return urlsplit(self.action).path

    def names(self):
        return {f.name for f in self.fields}

    def text_fields(self):
        """Fields that take free text (hidden ones too: a request can carry anything)."""
        return list(self.text_kinds())

    def text_kinds(self, first_rows_only=False):
        """{name: Field} of the text fields; with first_rows_only, a repeated row's fields
        (items-1-title is items-0-title again) only in its first row."""
        found = {}
        for f in self.fields:
            if f.kind in TEXT_KINDS and f.name != "csrf_token":
                if first_rows_only and re.search(r"-[1-9]\d*-", f.name):
                    continue
                found.setdefault(f.name, f)
        return found

    def data(self):
        """What the browser posts with the page's values (no submit button pressed)."""
        data = {}
        for f in self.fields:
            if f.kind in ("submit", "button", "image", "reset", "file") or f.name == "csrf_token":
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    data.setdefault(f.name, []).append(f.value or "on")
                continue
            if f.kind == "select":
                chosen = [v for v, selected in f.options if selected]
                if not chosen and f.options and not f.multiple:
                    chosen = [f.options[0][0]]
                data.setdefault(f.name, []).extend(chosen)
                continue
            data.setdefault(f.name, []).append(f.value)
        return {k: v[0] if len(v) == 1 else v for k, v in data.items() if v}


class _FormParser(HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms, self._form, self._extra = [], None, []
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").upper()
            action = a.get("action") or self.page
            hx = next(((HX_METHODS[k], a[k]) for k in HX_METHODS if k in a), None)
            if hx:
                method, action = hx
            self._form = Form(method, self._url(action), a.get("enctype", ""), [], self.page)
            self._extra = []
            return
        if self._form is None:
            return
        for attribute, method in HX_METHODS.items():  # e.g. inline validation of one field
            if attribute in a and tag != "form":
                self._extra.append(Form(method, self._url(a[attribute]), self._form.enctype, None, self.page))
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            self._form.fields.append(Field(name, kind, a.get("value", ""), checked="checked" in a,
                                           maxlength=int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None))
        elif tag == "button" and name:
            self._form.fields.append(Field(name, "submit", a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = Field(name, "textarea", "",
                                   maxlength=int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None)
            self._form.fields.append(self._textarea)
        elif tag == "select" and name:
            self._select = Field(name, "select", multiple="multiple" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]  # as browsers drop the first newline
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            for extra in self._extra:
                self.forms.append(replace(extra, fields=list(self._form.fields)))
            self._form, self._extra = None, []

    def _url(self, target):
        absolute = urljoin("http://localhost" + self.page, target)
        parts = urlsplit(absolute)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_forms(html, page):
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


# --- Finding the form of a route ------------------------------------------------------------

NOT_PAGES = (".pdf", ".csv", ".zip", ".html", "healthz", "readyz")
NEAREST = 6  # pages read, nearest first, before a route is taken to have no form
_pages = {}  # (app id, role, page) -> forms; pages are read on the world as built, so the same in every test


def pages_of(app, world, key):
    """Every HTML page role `key` may open in the world (no request made)."""
    cache_key = (id(app), key, "<pages>")
    if cache_key in _pages:
        return list(_pages[cache_key])
    found = []
    for rule in get_rules(app):
        if rule.endpoint == "static" or rule.rule.endswith(NOT_PAGES) or not route_allows(rule.endpoint, key):
            continue
        for candidate in candidates(world, rule):
            if key in candidate.visible:
                found.append(url_for_rule(app, rule, candidate))
    _pages[cache_key] = found
    return list(found)


def _forms_on(app, world, key, page):
    cache_key = (id(app), key, page)
    if cache_key not in _pages:
        response = world.client(key).get(page)
        html = response.get_data(as_text=True) if response.status_code == 200 and \
            response.mimetype == "text/html" else ""
        _pages[cache_key] = parse_forms(html, page)
        for form in _pages[cache_key]:
            form.key = key
    return _pages[cache_key]


def _closeness(target):
    def key(page):
        path = urlsplit(page).path
        common = len(os_commonprefix([path, target]))
        return (path != target, not target.startswith(path.rstrip("/")), -common)
    return key


def form_for(app, world, rule, key, url):
    """The form a user of role `key` finds for `url`: looked for on the page of the same
    address first, then on the pages nearest to it. None if no page shows one."""
    method = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]
    target = urlsplit(url).path
    missing = (id(app), key, "<missing>", method, target)
    if missing in _pages:
        return None
    for page in sorted(pages_of(app, world, key), key=_closeness(target))[:NEAREST]:
        for form in _forms_on(app, world, key, page):
            if form.method == method and form.path == target:
                return form
    _pages[missing] = True
    return None


# --- Valid input for the forms that start empty ------------------------------------------------

_counter = itertools.count(1)
TODAY = date.today()


def _dt(days, hours=10):
    return f"{TODAY + timedelta(days=days)}T{hours:02d}:00"


def _unique(prefix):
    return f"{prefix}{next(_counter)}"


# What an empty form needs to be valid (fresh values where a field must be unique).
OVERRIDES = {
    "auth.login": lambda w: {"email": w.users["secretariat"].email, "password": "correct horse battery staple"},
    "auth.change_password": lambda w: {"current_password": "correct horse battery staple",
                                       "new_password": "a new long passphrase here", "confirm":
                                       "a new long passphrase here"},
    "auth.forgot_password": lambda w: {"email": w.users["applicant"].email},
    "auth.reset_password": lambda w: {"new_password": "a new long passphrase here",
                                      "confirm": "a new long passphrase here"},
    "auth.new_account": lambda w: {"name": "New Staff", "email": f"{_unique('staff')}@example.org"},
    "members.apply_new": lambda w: {"name": "Kaohsiung City", "country": "TW", "applicant_name": "Ms. Lee",
                                    "applicant_email": f"{_unique('lee')}@kcg.example",
                                    "password": "a long enough passphrase"},
    "members.validate_field": lambda w: {"name": "Kaohsiung City", "country": "TW"},
    "members.application_comment": lambda w: {"message": "Please add the letter."},
    "members.application_request_changes": lambda w: {"message": "Please add the letter."},
    "members.application_reject": lambda w: {"message": "Outside the scope."},
    "members.member_status": lambda w: {"reason": "Dues unpaid"},
    "members.honorary_new": lambda w: {"name": "Dr. Ada Lin", "email": f"{_unique('ada')}@example.org",
                                       "citation": "For her work."},
    "directory.invite_representative": lambda w: {"name": "Colleague", "email": f"{_unique('colleague')}@example.org"},
    "mou.new": lambda w: {"title": "MOU with Brisbane", "partner_name": "Brisbane City Council",
                          "partner_country": "AU", "signatories-0-name": "Mayor"},
    "mou.sign": lambda w: {"signed_on": str(TODAY), "signing_place": "Taipei"},
    "mou.terminate": lambda w: {"terminated_on": str(TODAY), "reason": "Both parties agreed."},
    "assemblies.new": lambda w: {"title": "Forum 2030", "starts_at": _dt(30), "ends_at": _dt(30, 18),
                                 "venue": "TICC", "city": "Taipei", "capacity": "100",
                                 "registration_opens_at": _dt(1), "registration_closes_at": _dt(20)},
    "assemblies.cancel": lambda w: {"reason": "Typhoon warning"},
    "assemblies.detail": lambda w: {"name": "New Delegate", "email": f"{_unique('delegate')}@example.org"},
    "checkin.undo": lambda w: {"reason": "Scanned the wrong ticket"},
    "checkin.scan": lambda w: {"token": w.registrations["a"].checkin_token},
    "certificates.revoke": lambda w: {"reason": "Name misspelt"},
    "minutes.committee_new": lambda w: {"name": f"{_unique('Committee ')}", "code": _unique("C")[:10].upper()},
    "minutes.committee_member_add": lambda w: {"person_name": f"{_unique('Member ')}"},
    "minutes.meeting_new": lambda w: {"held_on": "2019-05-01", "place": "Taipei"},
    "minutes.minutes_reopen": lambda w: {"reason": "A typo in the resolution."},
}


def refreshed(world, key, form):
    """The form as its page shows it now (after a save: the new revision number, the
    saved values), read as role `key`; None if the page no longer shows it."""
    response = world.client(key).get(form.page)
    for found in parse_forms(response.get_data(as_text=True), form.page):
        if (found.method, found.path) == (form.method, form.path):
            found.key = key
            return found
    return None


def valid_data(endpoint, form, world):
    """What a user would post: the page's values, what an empty form needs, and a file
    of the right kind in each file input."""
    data = form.data() if form else {}
    data.update(OVERRIDES.get(endpoint, lambda w: {})(world))
    for f in (form.fields if form else []):
        if f.kind == "file":
            data[f.name] = (io.BytesIO(PNG), "logo.png") if "logo" in f.name else (io.BytesIO(PDF), "letter.pdf")
    return data


# --- Submissions: every form route, as every role that may use it ---------------------------

PREFERRED = ("secretariat", "rep_a", "honorary", "applicant", "door_staff", "visitor")


@dataclass
class Submission:
    rule: object
    key: str
    url: str
    form: Form | None

    @property
    def endpoint(self):
        return self.rule.endpoint

    @property
    def method(self):
        return sorted(self.rule.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]

    def __str__(self):
        return f"{self.key} {self.method} {self.url} ({self.endpoint})"


def submissions(app, world, keys=PREFERRED, first_only=False):
    """(route, role, address, form) for every form route: as each role a role-restricted
    route lets in (a representative's registration form is not the secretariat's), as
    one role for a public or any-signed-in-user route. A role that sees no form for the
    route (an honorary member already registered) is left out, unless no role sees one
    (a route without a form on any page is posted with its CSRF token alone).
    With first_only, one role per route."""
    found = []
    for rule in unsafe_rules(app):
        if rule.endpoint not in EXPECTED:
            continue
        policy = {str(p) for p in EXPECTED[rule.endpoint]}
        per_role = not (policy & {PUBLIC, SIGNED_IN}) and not first_only
        mine = []
        # A public route is tried as a visitor first: the one it is for.
        for key in sorted(keys, key=lambda k: k != "visitor") if PUBLIC in policy else keys:
            if not route_allows(rule.endpoint, key):
                continue
            candidate = choose(world, rule, key)
            if key not in candidate.visible:
                continue
            url = url_for_rule(app, rule, candidate)
            mine.append(Submission(rule, key, url, form_for(app, world, rule, key, url)))
            if not per_role and mine[-1].form is not None:
                break
        with_form = [s for s in mine if s.form is not None]
        found += (with_form if per_role else with_form[:1]) or mine[:1]
    return found


# Words of routes that lock, end or remove what other forms work on: posted last.
LAST_WORDS = ("approve", "reject", "withdraw", "cancel", "terminate", "revoke", "delete", "remove", "logout",
              "publish", "reopen", "sign", "request_changes", "member_status", "set_account_active", "no_shows",
              "undo")
