"""One transaction per request: the boundary after the view commits or rolls back, nothing else."""
import pytest
from flask import abort, make_response
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from config import TestingConfig
from gosmart import create_app
from gosmart.audit import AuditEntry, record
from gosmart.core.transaction import own_transaction
from gosmart.extensions import db
from gosmart.permissions import public


@pytest.fixture
def boundary_app(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'boundary.db'}"
        INSTANCE_DIR = tmp_path

    app = create_app(Config)

    def writes(status):
        record("test.write", object_type="Test", object_id=status)
        db.session.flush()
        return make_response("", status)

    app.add_url_rule("/w/<int:status>", "writes", public(writes))
    app.add_url_rule("/raises", "raises", public(lambda: (record("test.write", object_type="Test"), abort(404))))

    def commits_early():
        with own_transaction():
            record("test.own", object_type="Test")
        record("test.write", object_type="Test")
        return make_response("", 422)

    app.add_url_rule("/own", "own", public(commits_early))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _actions(app):
    with app.app_context():
        return sorted(db.session.scalars(select(AuditEntry.action)))


@pytest.mark.parametrize("status", [200, 204, 303])
def test_a_view_that_answers_below_400_has_its_changes_committed_once(boundary_app, status):
    assert boundary_app.test_client().get(f"/w/{status}").status_code == status
    assert _actions(boundary_app) == ["test.write"]


@pytest.mark.parametrize("status", [400, 403, 422, 429])
def test_a_refusal_writes_nothing(boundary_app, status):
    assert boundary_app.test_client().get(f"/w/{status}").status_code == status
    assert _actions(boundary_app) == []


def test_a_view_that_raises_writes_nothing(boundary_app):
    assert boundary_app.test_client().get("/raises").status_code == 404
    assert _actions(boundary_app) == []


def test_own_transaction_commits_its_block_whatever_the_request_does_next(boundary_app):
    assert boundary_app.test_client().get("/own").status_code == 422
    assert _actions(boundary_app) == ["test.own"]


def test_a_commit_that_fails_is_answered_like_the_views_own_database_errors(boundary_app, monkeypatch):
    """The commit runs inside the dispatch, so the database gone at that moment gives the 503
    page ("try again", nothing saved), not a bare 500."""
    def gone():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
    monkeypatch.setattr(db.session, "commit", gone)
    response = boundary_app.test_client().get("/w/200")
    assert response.status_code == 503
    assert _actions(boundary_app) == []
