"""Names and titles carry no bidi controls, zero-width or other invisible characters, whatever
the form — while every script keeps its letters, and the joiners some scripts spell with.

"Dr. Eve \u202etsilaicepS\u202c" (a right-to-left override) would read "Dr. Eve Specialist"
on the public verification page; it must read as what it is."""
import importlib
import pkgutil

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from wtforms import Form, HiddenField, PasswordField, StringField
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta

import gosmart
from config import TestingConfig
from gosmart import create_app
from gosmart.auth.models import User
from gosmart.certificates.models import Certificate
from gosmart.extensions import db
from gosmart.members.models import HonoraryMember
from gosmart.text import clean_line, clean_text

SPOOF = "Dr. Eve \u202etsilaicepS\u202c"

# What goes: the hostile characters, in names as typed or pasted.
ATTACKS = [
    (SPOOF, "Dr. Eve tsilaicepS"),
    ("Dr. Eve \u2067tsilaicepS\u2069", "Dr. Eve tsilaicepS"),          # right-to-left isolate
    ("\u202dTaipei\u202c City", "Taipei City"),                        # left-to-right override
    ("Tai\u200bpei", "Taipei"), ("Tai\u2060pei", "Taipei"),            # zero-width space, word joiner
    ("\ufeffTaipei", "Taipei"), ("Tai\u00adpei", "Taipei"),            # BOM, soft hyphen
    ("Tai\u200dpei", "Taipei"), ("Tai\u200cpei", "Taipei"),            # joiners between Latin letters
    ("Taipei\u200e", "Taipei"), ("\u200fTaipei", "Taipei"), ("\u061cTaipei", "Taipei"),  # LRM, RLM, ALM
    ("Taipei\U000e0041\U000e007f", "Taipei"),                          # tag characters
    ("Taipei\ue000", "Taipei"),                                        # private use
    ("\u3164", ""), ("Tai\uffa0pei", "Taipei"),                        # Hangul fillers: blank "letters"
    ("Tai\x00pei\x07", "Taipei"), ("Taipei\r\nCity", "Taipei City"), ("Taipei\u2028City", "Taipei City"),
    ("  Taipei \t  City  ", "Taipei City"), ("Taipei\u3000\u3000City", "Taipei City"),
    ("\u200d\u200c", ""),
]
# What stays: every script as written, with the joiners its spelling needs.
SCRIPTS = [
    "臺北市", "金沢市", "서울특별시", "กรุงเทพมหานคร", "Thành phố Hồ Chí Minh", "München", "Zürich",
    "مدينة دبي", "תל אביב-יפו", "Москва", "Αθήνα", "मुंबई", "বাংলাদেশ", "ಬೆಂಗಳೂರು",
    "می\u200cخواهم",                 # Persian: ZWNJ between Arabic letters
    "क्\u200dष",                     # Devanagari: ZWJ after a virama (half form)
    "क्\u200cष",                     # Devanagari: ZWNJ after a virama (explicit virama)
    "ന്\u200d",                      # Malayalam chillu: virama + ZWJ
    "ශ්\u200dරී ලංකා",              # Sinhala: virama + ZWJ (rakaransaya)
    "ᠮᠣᠩᠭᠣᠯ\u180eᠠ",                 # Mongolian vowel separator between letters
    "Dr. Ada O'Brien-Smith", "GO SMART (Taipei)",
]


@pytest.mark.parametrize("typed, stored", ATTACKS)
def test_invisible_and_bidi_characters_are_removed(typed, stored):
    assert clean_line(typed) == stored


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_keeps_its_letters_and_joiners(name):
    assert clean_line(name) == name


def test_free_text_keeps_its_lines_and_indentation_but_not_its_controls():
    typed = "Item one\r\n\r\n    code\u202e block\n\t- \u200bpoint\u2029last"
    assert clean_text(typed) == "Item one\n\n    code block\n\t- point\nlast"


# --- Every text field of every form uses the one filter --------------------------------------

def _form_classes():
    for module in pkgutil.walk_packages(gosmart.__path__, "gosmart."):
        importlib.import_module(module.name)
    found, stack = set(), list(Form.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("gosmart"):
            found.add(cls)
    return found


def test_every_text_field_of_every_form_cleans_what_is_typed(app):
    """Names, titles, places, searches, reasons: every StringField and TextAreaField (and their
    kinds: email, URL) of every form in gosmart has clean_line or clean_text among its filters —
    a new form that forgets it fails here. Passwords and hidden fields are as typed."""
    missing = []
    for form in sorted(_form_classes(), key=lambda c: (c.__module__, c.__name__)):
        for name in dir(form):
            unbound = getattr(form, name, None)
            if not isinstance(unbound, UnboundField) or not issubclass(unbound.field_class, StringField):
                continue
            if issubclass(unbound.field_class, (PasswordField, HiddenField)):
                continue
            field = unbound.bind(form=None, name=name, _meta=DefaultMeta())
            if not {clean_line, clean_text} & set(field.filters):
                missing.append(f"{form.__module__}.{form.__name__}.{name}")
    assert missing == []
    assert len(_form_classes()) > 20  # the scan saw the forms


# --- Through the forms, to the public page ------------------------------------------------------

def test_a_spoofed_honorary_name_reads_as_typed_on_the_public_verification_page(world, outbox):
    response = world.client("secretariat").post("/honorary/new", data={
        "name": SPOOF, "email": "eve@example.org", "title": "\u202eretsinim emirP\u202c",
        "affiliation": "Tai\u200bpei", "citation": "For \u2066research\u2069."})
    assert response.status_code == 303
    honorary = db.session.scalar(select(HonoraryMember).join(HonoraryMember.user).where(
        User.email == "eve@example.org"))
    assert (honorary.user.name, honorary.title, honorary.affiliation, honorary.citation) == (
        "Dr. Eve tsilaicepS", "retsinim emirP", "Taipei", "For research.")
    certificate = db.session.scalar(select(Certificate).where(Certificate.holder_id == honorary.id,
                                                              Certificate.holder_type == "honorary_member"))
    page = world.client("visitor").get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "Dr. Eve tsilaicepS" in page and "\u202e" not in page and "\u202c" not in page


@pytest.mark.parametrize("path, data, model, column", [
    ("/accounts/new", {"name": SPOOF, "email": "door9@example.org", "role": "door_staff"}, User, User.name),
])
def test_a_form_that_had_no_filter_cleans_names_too(world, path, data, model, column):
    world.client("secretariat").post(path, data=data)
    assert db.session.scalar(select(column).where(model.email == data["email"])) == "Dr. Eve tsilaicepS"


def test_a_delegate_registered_with_bidi_controls_is_stored_clean(world, outbox):
    rep = world.client("rep_a")
    other = world.other_assembly
    rep.post(f"/assemblies/{other.id}", data={"name": "\u202eevE\u202c Chen", "title": "Tai\u200dpei",
                                              "email": "eve.chen@example.org", "role": "delegate"})
    assert "Tai\u200dpei" not in str(outbox[-1].body) and "evE Chen" in outbox[-1].body


# --- Names stored before: cleaned once by the migration --------------------------------------------

def test_the_migration_cleans_names_stored_before(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'before.db'}"
        INSTANCE_DIR = tmp_path
    app = create_app(Config)
    with app.app_context():
        upgrade(revision="0012_bulk_job_email_links")
        db.session.execute(text(
            "INSERT INTO users (id, email, name, role, active, session_token, created_at) "
            "VALUES (1, 'eve@example.org', :name, 'honorary', 1, 't', '2026-01-01')"), {"name": SPOOF})
        db.session.execute(text(
            "INSERT INTO users (id, email, name, role, active, session_token, created_at) "
            "VALUES (2, 'lee@example.org', :name, 'applicant', 1, 't2', '2026-01-01')"), {"name": "می\u200cخواهم"})
        db.session.commit()
        upgrade(revision="0013_clean_names")
        names = db.session.execute(text("SELECT name FROM users ORDER BY id")).scalars().all()
        assert names == ["Dr. Eve tsilaicepS", "می\u200cخواهم"]
        db.session.remove()
        db.engine.dispose()
