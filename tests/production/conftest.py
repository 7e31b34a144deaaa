"""Fixtures for the production tests: the test cluster and the shared Redis (a database number
of its own), an application in this process to set up and read the deployments' databases.

They run when GOSMART_TEST_POSTGRES_URL is set and PostgreSQL and Redis answer (`make test`
runs them in its PostgreSQL pass); otherwise each test is skipped with the reason."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from config import TestingConfig
from gosmart import create_app
from gosmart.assemblies.models import Assembly, Registration
from gosmart.audit import utcnow
from gosmart.extensions import db

from . import support

# A Redis database number of its own: the suite's is 15, the benchmark's 14.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture(scope="session")
def postgres_url():
    url, why = support.reachable_postgres()
    if url is None:
        pytest.skip(why)
    return url


@pytest.fixture(scope="session")
def shared_redis():
    url = os.environ.get("GOSMART_TEST_PRODUCTION_REDIS_URL", DEFAULT_REDIS_URL)
    client, why = support.reachable_redis(url)
    if client is None:
        pytest.skip(why)
    client.flushdb()
    yield url, client
    client.flushdb()
    client.close()


def setup_app(database_url, instance_dir):
    """An application in this process on the deployment's database: to migrate, load the demo
    and read what the instances wrote."""
    instance = Path(instance_dir)

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = make_url(database_url).set(drivername="postgresql+psycopg").render_as_string(
            hide_password=False)
        INSTANCE_DIR = instance
        UPLOAD_DIR = instance / "uploads"
        OUTBOX_DIR = instance / "outbox"
    return create_app(Config)


def committed(app, fn):
    """fn() in the setup app's context, on a fresh session: what the instances committed."""
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def add_assembly(title, *, capacity, began, attendees=0, organization_id=None):
    """An assembly open for registration (began=False) or one that has begun with `attendees`
    checked in (began=True)."""
    now = utcnow()
    starts = now - timedelta(hours=2) if began else now + timedelta(days=30)
    assembly = Assembly(kind="general_assembly", title=title, timezone="Asia/Taipei", starts_at=starts,
                        ends_at=starts + timedelta(hours=8), venue="TICC", city="Taipei", capacity=capacity,
                        registration_opens_at=now - timedelta(days=40), delegate_quota=3, confirmed_count=attendees,
                        registration_closes_at=(starts - timedelta(hours=1)) if began else now + timedelta(days=20))
    db.session.add(assembly)
    db.session.flush()
    for i in range(attendees):
        db.session.add(Registration(
            assembly_id=assembly.id, organization_id=organization_id, name=f"Attendee {i:03d}", role="guest",
            email=f"attendee{i}@{assembly.id}.example", state="confirmed", checkin_token=secrets.token_urlsafe(24),
            confirmed_at=now, created_at=now, checked_in_at=now - timedelta(hours=1), checked_in_station="Door",
            outside_quota=True))
    db.session.commit()
    return assembly.id


