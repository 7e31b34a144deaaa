"""Email: queued with the transaction, sent only after it commits.

Every message has a plain-text and an HTML part, rendered from
templates/email/<name>.txt and .html. Transports (MAIL_TRANSPORT):
smtp (Flask-Mail), outbox (a .eml file per message in OUTBOX_DIR and a line on
the console, for development), memory (kept in app.extensions["outbox"], for tests).
"""
import logging
import uuid
from urllib.parse import urlsplit
from datetime import datetime, timezone

from contextlib import nullcontext

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db, mail

log = logging.getLogger(__name__)
PENDING = "gosmart_pending_mail"


def external_url(endpoint, **values):
    """An absolute link for use outside the site (emails, PDFs), from EXTERNAL_BASE_URL."""
    base = urlsplit(current_app.config["EXTERNAL_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send_email(to, subject, template, attachments=(), locale=None, **context):
    """Queue a message; it leaves only if the current transaction commits.

    `locale`: the recipient's language (User.locale) when known; the message, and the
    subject if it is a lazy_gettext string, are written in it. Otherwise the request's."""
    with force_locale(locale) if locale in current_app.config["LANGUAGES"] else nullcontext():
        message = Message(
            subject=str(subject),
            recipients=[to] if isinstance(to, str) else list(to),
            body=render_template(f"email/{template}.txt", **context),
            html=render_template(f"email/{template}.html", **context),
        )
    for filename, content_type, data in attachments:
        message.attach(filename, content_type, data)
    db.session.info.setdefault(PENDING, []).append(message)
    return message


def deliver(message):
    app = current_app._get_current_object()
    transport = app.config["MAIL_TRANSPORT"]
    if transport == "memory":
        app.extensions.setdefault("outbox", []).append(message)
    elif transport == "outbox":
        folder = app.config["OUTBOX_DIR"]
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(message.as_bytes())
        print(f" * email to {', '.join(message.recipients)}: {message.subject} ({path})", flush=True)
    else:
        mail.send(message)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy says "commit"): the messages wait for the real one
    for message in session.info.pop(PENDING, []):
        try:
            deliver(message)
        except Exception:  # the change is committed; a lost email must not undo it
            log.exception("sending email to %s failed", message.recipients)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
