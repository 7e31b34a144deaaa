"""Accounts: sign-in, passwords, sessions, staff accounts."""
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from .. import audit
from ..audit import client_address, utcnow
from ..extensions import db
from ..mail import send_email
from ..mail_limits import allow_email, take_email
from ..queries import contains, insert_unless_taken
from ..tasks import app_context, huey
from .models import STAFF_ROLES, Role, User, normalize_email

PASSWORD_MIN = 10
PASSWORD_MAX = 256
# Refused whatever their length: the top of every leaked-password list.
COMMON_PASSWORDS = frozenset(
    """1234567890 0123456789 12345678910 1234567891 0987654321 1111111111 0000000000
    qwertyuiop password12 password123 password1234 passw0rd123 iloveyou12 1q2w3e4r5t
    1qaz2wsx3edc qwerty1234 qwerty12345 abcdefghij abcd123456 aaaaaaaaaa letmein123
    welcome123 administrator changeme12 gosmart123 gosmart2019 taipei2018 smartcity1
    """.split()
)
# Words that make a password easy to guess on this site in particular.
SITE_WORDS = ("gosmart", "go smart", "smart", "city", "taipei")
# Hashes to check a password against when the email is unknown: one per hashing method, made
# once per process (warmup.py makes it before gunicorn forks), with the method real accounts use.
_DUMMY_HASHES = {}


class AccountError(Exception):
    """A refused account operation; the message is for the user."""


class EmailTaken(AccountError):
    """The address already has an account."""


def password_problem(password):
    """The reason a new password is refused, or None."""
    if len(password) < PASSWORD_MIN:
        return _("Use at least %(n)d characters; a passphrase of a few words is best.", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _("Use at most %(n)d characters.", n=PASSWORD_MAX)
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4 or guessable(password):
        return _("This password is too common; choose another.")
    return None


def guessable(password):
    """Among a cracker's first million guesses: a leaked password, a keyboard walk, a word and
    digits (zxcvbn's estimate; its first 72 characters tell enough)."""
    return zxcvbn(password[:72], user_inputs=SITE_WORDS)["score"] < 2


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def dummy_hash():
    """A hash of a random password, made with PASSWORD_HASH_METHOD (scrypt in production): an
    unknown email costs the same hash work as a real account, so the time of the answer does not
    tell whether an address has an account."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(24), method=method)
    return _DUMMY_HASHES[method]


def set_password(user, password):
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.end_all_sessions()


def add_user(*, email, name, role, password=None, **values):
    """A new account, written (flushed) at once. Raises EmailTaken if the address already has one:
    the unique constraint decides, so two requests with one address at the same moment give one
    account and one clear refusal, never an error page. The caller commits."""
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        values["password_hash"] = hash_password(password)
    user = insert_unless_taken(User, ["email"], email=normalize_email(email), name=name.strip(),
                               role=str(Role(role)), **values)
    if user is None:
        raise EmailTaken(_("An account with this email already exists."))
    return user


def find_user(email):
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(email, password):
    """The user if the email and password match an active account, else None.

    Both outcomes are audited; the caller shows one message for every failure."""
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(dummy_hash(), password)
        audit.record("login.failed", details={"email": normalize_email(email)[:254]}, object_type="User")
        db.session.commit()
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        audit.record("login.failed", user, actor=user, details={"reason": "password" if user.active else "inactive"})
        db.session.commit()
        return None
    user.last_login_at = utcnow()
    audit.record("login.succeeded", user, actor=user)
    db.session.commit()
    return user


def logout(user):
    """Ends every session of the user, on every device."""
    user.end_all_sessions()
    audit.record("logout", user, actor=user)
    db.session.commit()


def change_password(user, current_password, new_password):
    """Change the password; True if the owner was emailed about it (False: too many emails to
    the address lately, gosmart/mail_limits.py — the password is changed all the same)."""
    if not user.password_hash or not check_password_hash(user.password_hash, current_password):
        raise AccountError(_("The current password is not right."))
    set_password(user, new_password)
    audit.record("password.changed", user, actor=user)
    notified = allow_email(user.email, user)
    if notified:
        send_email(user.email, _l("Your GO SMART password was changed"), "password_changed", user=user,
                   locale=user.locale)
    db.session.commit()
    return notified


# --- Links sent by email: password reset, invitation, email confirmation -------

# How long each kind of link works, in seconds.
LINK_MAX_AGE = {"reset": 3600, "invite": 7 * 24 * 3600, "confirm": 7 * 24 * 3600}


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"gosmart-{purpose}")


def _fingerprint(user):
    # Changes when the password does: a password link works once.
    return (user.password_hash or "unset")[-16:]


def password_reset_token(user, purpose="reset"):
    """A link token to set a password: "reset" (one hour) or "invite" (seven days)."""
    return _serializer("password").dumps({"id": user.id, "fp": _fingerprint(user), "p": purpose})


def user_for_reset_token(token, max_age=None):
    try:
        data, signed_at = _serializer("password").loads(
            token, max_age=LINK_MAX_AGE["invite"], return_timestamp=True)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or data.get("p") not in ("reset", "invite"):
        return None
    limit = LINK_MAX_AGE[data["p"]] if max_age is None else max_age
    if (utcnow() - signed_at).total_seconds() > limit:
        return None
    user = db.session.get(User, data.get("id"))
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        return None
    return user


def email_confirmation_token(user):
    return _serializer("confirm").dumps({"id": user.id, "email": user.email})


def user_for_confirmation_token(token):
    try:
        data = _serializer("confirm").loads(token, max_age=LINK_MAX_AGE["confirm"])
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or user.email != data.get("email"):
        return None
    return user


def confirm_email(user):
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("email.confirmed", user, actor=user)
    db.session.commit()


def send_email_confirmation(user, sender=None):
    """Email a confirmation link. `sender`: the user who asked for it again, counted by
    gosmart/mail_limits.py (TooManyEmails when over a limit)."""
    if sender is not None:
        take_email(user.email, sender)
    send_email(user.email, _l("Confirm your email address for GO SMART"), "email_confirmation",
               locale=user.locale, user=user, token=email_confirmation_token(user))


def request_password_reset(email):
    """Emails a reset link if the address belongs to an active account; says nothing either way.

    The lookup and the email are the task queue's work: the request answers as fast whether the
    address has an account or not (sending an email takes time an unknown address would not)."""
    address, requested_from = normalize_email(email)[:254], client_address()
    try:
        send_password_reset(address, requested_from)
    except Exception:  # the queue (Redis) is down: done here and now rather than not at all
        current_app.logger.warning("password reset not queued; sent from the request", exc_info=True)
        _send_password_reset(address, requested_from)


@huey.task(retries=2, retry_delay=10)
def send_password_reset(address, requested_from=None):
    with app_context():
        _send_password_reset(address, requested_from)


def _send_password_reset(address, requested_from):
    user = find_user(address)
    if user is None or not user.active:
        return
    details = {"requested_from": requested_from}
    if not allow_email(user.email):  # a reset link or five an hour is what its owner may ask for
        audit.record("password.reset_not_sent", user, details={**details, "reason": "too many emails"})
        db.session.commit()
        return
    audit.record("password.reset_requested", user, actor=user, details=details)
    send_email(user.email, _l("Reset your GO SMART password"), "password_reset",
               locale=user.locale, user=user, token=password_reset_token(user))
    db.session.commit()


def reset_password(user, new_password):
    set_password(user, new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link proved the address
    audit.record("password.reset", user, actor=user)
    db.session.commit()


# --- Staff accounts ----------------------------------------------------------

def create_staff_account(name, email, role, created_by):
    if role not in STAFF_ROLES:
        raise AccountError(_("The secretariat creates secretariat and door-staff accounts only."))
    user = add_user(name=name, email=email, role=role)
    audit.record("account.created", user, actor=created_by, details={"role": str(role)})
    send_email(user.email, _("Your GO SMART account"), "account_invitation",
               user=user, token=password_reset_token(user, "invite"), invited_by=created_by)
    db.session.commit()
    return user


def set_account_active(user, active, changed_by):
    if user.id == changed_by.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.end_all_sessions()
    audit.record("account.reactivated" if active else "account.deactivated", user, actor=changed_by)
    db.session.commit()


def staff_accounts(query=""):
    """Secretariat and door-staff accounts, optionally those whose name or email contains `query`."""
    statement = select(User).where(User.role.in_([str(r) for r in STAFF_ROLES]))
    if query:
        statement = statement.where(or_(contains(User.name, query), contains(User.email, query)))
    return db.session.scalars(statement.order_by(User.name, User.id).limit(500)).all()
