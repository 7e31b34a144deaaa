"""The append-only audit log: one model, one call.

`record()` adds the entry to the current session, so it is committed (or rolled
back) in the same transaction as the change it describes."""
import ipaddress
from datetime import datetime, timezone

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import UTCDateTime, db


def utcnow():
    return datetime.now(timezone.utc)


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id"),
        Index("ix_audit_entries_created_at", "created_at"),
        # One person's entries, newest first (the audit log's "who" filter).
        Index("ix_audit_entries_actor_email", "actor_email", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self):
        return f"<AuditEntry {self.action} {self.object_type}:{self.object_id}>"


class AuditLogIsAppendOnly(Exception):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


def record(action, obj=None, *, details=None, actor=None, object_type=None, object_id=None):
    """Add an audit entry for `action` on `obj` to the current transaction.

    `actor` defaults to the signed-in user; `obj` may be any model with an id."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if obj is not None:
        if obj.id is None:
            db.session.flush()  # a new object gets its id here
        object_type = object_type or obj.__class__.__name__
        object_id = object_id if object_id is not None else obj.id
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", None),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
        created_at=utcnow(),
    )
    if has_request_context():
        entry.ip_address = client_address()
        entry.request_id = g.get("request_id")
    db.session.add(entry)
    return entry


def client_address():
    """The client's IP address, or None when what the request gives is not one (X-Forwarded-For
    from a client when PROXY_FIX counts more proxies than there are): never stored as typed."""
    if not has_request_context():
        return None
    try:
        return str(ipaddress.ip_address(request.remote_addr or ""))
    except ValueError:
        return None
