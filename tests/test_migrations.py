"""The Alembic revisions create exactly the schema the models describe."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from gosmart import create_app
from gosmart.extensions import db


def _app_on(url, tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = tmp_path
    return create_app(Config)


def _check_upgrade_matches_models(url, tmp_path):
    app = _app_on(url, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            assert "alembic_version" in inspect(connection).get_table_names()
        db.engine.dispose()


def test_migrations_on_an_empty_sqlite_database_match_the_models(tmp_path):
    _check_upgrade_matches_models(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)


@pytest.fixture
def empty_postgres_database():
    base = os.environ.get("GOSMART_TEST_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("PostgreSQL not configured: set GOSMART_TEST_POSTGRES_URL="
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test to run this")
    name = f"gosmart_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_on_an_empty_postgresql_database_match_the_models(empty_postgres_database, tmp_path):
    _check_upgrade_matches_models(empty_postgres_database, tmp_path)
