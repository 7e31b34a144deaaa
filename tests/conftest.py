"""Fixtures: an app on a real database, a client that speaks CSRF, users per role.

The database is SQLite in a temporary file, or PostgreSQL when TEST_DATABASE_URL
says so (`make test` does both when GOSMART_TEST_POSTGRES_URL is set)."""
import contextvars
from datetime import date
import os
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete

from config import TestingConfig
from gosmart import create_app
from gosmart.auth.models import Role, User
from gosmart.auth.services import hash_password
from gosmart.extensions import db, limiter
from gosmart.members.models import Category, HonoraryMember, Organization
from gosmart.pdf import forget_cached_pdfs
from gosmart.tasks import huey

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url(tmp_path_factory)
        INSTANCE_DIR = instance
        UPLOAD_DIR = instance / "uploads"
        OUTBOX_DIR = instance / "outbox"

    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()  # tests start from the models; test_migrations checks they match
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(app):
    """Every test starts with empty tables, an empty outbox and fresh rate limits."""
    ctx = app.app_context()
    ctx.push()
    app.extensions["outbox"] = []
    limiter.reset()
    forget_cached_pdfs()  # a PDF kept by an earlier test (or a fake one from fast_pdfs) is not served
    # Tasks run inline here; a test that built another app (production settings) switched the
    # shared queue to queued mode.
    huey.immediate = True
    yield
    db.session.rollback()
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()
    ctx.pop()


@pytest.fixture
def is_postgres(app):
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def outbox(app):
    return app.extensions["outbox"]


class IsolatedClient(FlaskClient):
    """Each request runs in a context of its own, as in production: the test's
    app context (and its `g` and database session) is not shared with the request.
    The test's session is rolled back afterwards so it reads what the request wrote."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # streamed bodies are read inside the request's context too
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.rollback()
        return response


class Client:
    """The Flask test client, plus forms posted with their CSRF token."""

    def __init__(self, flask_client):
        self.raw = flask_client

    def __getattr__(self, name):
        return getattr(self.raw, name)

    def csrf_token(self, page="/"):
        response = self.raw.get(page)
        match = CSRF_INPUT.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page} ({response.status_code})"
        return match.group(1) or match.group(2)

    def post_form(self, url, data=None, page="/", headers=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(page))
        return self.raw.post(url, data=data, headers=headers or {}, **kwargs)

    def login(self, email, password=PASSWORD):
        return self.post_form("/login", {"email": email, "password": password}, page="/login")

    def logout(self):
        return self.post_form("/logout")


@pytest.fixture
def client(app):
    return Client(app.test_client())


@pytest.fixture
def make_client(app):
    return lambda: Client(app.test_client())


@pytest.fixture
def organization(app):
    def make(name="Taipei City", country="TW", category=Category.CITY, number="GS-2019-0001", **kw):
        kw.setdefault("member_since", date(2019, 1, 1))
        org = Organization(name=name, country=country, category=category, membership_number=number, **kw)
        db.session.add(org)
        db.session.commit()
        return org
    return make


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(role=Role.APPLICANT, email=None, organization=None, active=True, name=None):
        n = next(counter)
        user = User(
            email=email or f"{role}{n}@example.org", name=name or f"{role} {n}",
            role=role, organization=organization, active=active,
        )
        user.password_hash = hash_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        if role == Role.HONORARY:  # an honorary member is one by the secretariat's grant
            db.session.add(HonoraryMember(user_id=user.id, citation="For smart-city research.",
                                          granted_on=date(2019, 6, 19)))
        db.session.commit()
        return user

    return make




@pytest.fixture
def users(make_user, organization):
    """One user per role; the representative belongs to Taipei City."""
    taipei = organization()
    return {
        Role.SECRETARIAT: make_user(Role.SECRETARIAT, "sec@example.org"),
        Role.DOOR_STAFF: make_user(Role.DOOR_STAFF, "door@example.org"),
        Role.REPRESENTATIVE: make_user(Role.REPRESENTATIVE, "rep@example.org", organization=taipei),
        Role.HONORARY: make_user(Role.HONORARY, "hon@example.org"),
        Role.APPLICANT: make_user(Role.APPLICANT, "app@example.org"),
    }
