import pytest
from sqlalchemy import select

from gosmart import audit
from gosmart.audit import AuditEntry, AuditLogIsAppendOnly
from gosmart.auth.models import Role, User
from gosmart.extensions import db
from gosmart.mail import send_email


def test_healthz_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_down_when_the_database_does_not_answer(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unreachable")
    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"


def test_audit_entry_is_written_with_the_change(users):
    user = users[Role.HONORARY]
    user.name = "Renamed"
    audit.record("account.renamed", user, actor=users[Role.SECRETARIAT], details={"to": "Renamed"})
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.renamed"))
    assert entry.object_type == "User" and entry.object_id == str(user.id)
    assert entry.actor_email == "sec@example.org" and entry.details == {"to": "Renamed"}


def test_audit_entry_is_not_written_without_the_change(users):
    user = users[Role.HONORARY]
    user.name = "Renamed"
    audit.record("account.renamed", user)
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.renamed")) is None
    assert db.session.get(User, user.id).name != "Renamed"


def test_audit_entries_cannot_be_changed_or_deleted(users):
    entry = audit.record("something", users[Role.HONORARY])
    db.session.commit()
    entry.action = "something else"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_audit_records_the_address_and_request_id(users, client):
    client.raw.get("/login")
    client.login("sec@example.org")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login.succeeded"))
    assert entry.ip_address == "127.0.0.1" and entry.request_id


def test_email_leaves_only_after_commit(users, outbox):
    user = users[Role.HONORARY]
    send_email(user.email, "Rolled back", "password_changed", user=user)
    db.session.rollback()
    assert outbox == []
    send_email(user.email, "Committed", "password_changed", user=user)
    assert outbox == []
    db.session.commit()
    assert [m.subject for m in outbox] == ["Committed"]
    assert outbox[0].body and outbox[0].html


def test_outbox_transport_writes_eml_files(app, users, tmp_path, capsys):
    app.config["MAIL_TRANSPORT"], app.config["OUTBOX_DIR"] = "outbox", tmp_path
    try:
        send_email("x@example.org", "Hello", "password_changed", user=users[Role.HONORARY])
        db.session.commit()
    finally:
        app.config["MAIL_TRANSPORT"] = "memory"
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1 and b"Subject: Hello" in files[0].read_bytes()
    assert "email to x@example.org" in capsys.readouterr().out
