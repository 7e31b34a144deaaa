"""How many emails a user may make the application send to an address they typed.

Registering and cancelling a delegate in a loop once sent 20 official emails, each with a PDF
and a name of the sender's choosing, to any address in a few seconds. Every email a
non-secretariat user causes to be sent to an address is counted here twice: per recipient
(EMAIL_RECIPIENT_LIMIT, whoever causes it) and per sender (EMAIL_SENDER_LIMIT: a
representative's organization, or the user; an anonymous visitor has only the recipient's
count, and the per-address limits of the public routes). The secretariat is not counted.

The counts live in the rate limiter's storage (Redis in production, so every process and host
shares them; each process's memory while Redis is down, as for the other rate limits).

What an action does when its email is over a limit is decided by its caller, never silently:
  - an action whose point is the email, or which a loop could repeat (a registration, an
    invitation, a new ticket, a new confirmation link) is refused before it changes anything,
    with TooManyEmails' message, and what the user typed stays in the form;
  - an action that must happen whatever the email (a cancellation, a password change) happens;
    its email is not sent, and the user is told so (the anonymous forms — password reset, a
    visitor's application — answer the same either way, which is their point).
"""
import hashlib
import logging

from flask import current_app
from flask_babel import gettext as _
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .auth.models import Role, normalize_email
from .extensions import limiter

log = logging.getLogger(__name__)
_fallback = MovingWindowRateLimiter(MemoryStorage())


class TooManyEmails(Exception):
    """An email over a limit; str() is the message for the user."""


def _sender_key(sender):
    if sender is None:
        return None
    if sender.role == Role.REPRESENTATIVE and sender.organization_id:
        return f"organization:{sender.organization_id}"
    return f"user:{sender.id}"


def _checks(recipient, sender):
    address = hashlib.sha256(normalize_email(recipient).encode()).hexdigest()[:32]  # no address in Redis
    checks = [(limit, "recipient", address) for limit in parse_many(current_app.config["EMAIL_RECIPIENT_LIMIT"])]
    key = _sender_key(sender)
    if key:
        checks += [(limit, "sender", key) for limit in parse_many(current_app.config["EMAIL_SENDER_LIMIT"])]
    return checks


def _hit(strategy, checks):
    """The first limit refused ("recipient" or "sender"), or None when all took the email."""
    for limit, kind, key in checks:
        if not strategy.test(limit, "gosmart-email", kind, key):
            return kind
    for limit, kind, key in checks:
        if not strategy.hit(limit, "gosmart-email", kind, key):
            return kind
    return None


def _over(recipient, sender):
    if sender is not None and sender.role == Role.SECRETARIAT:
        return None
    checks = _checks(recipient, sender)
    try:
        return _hit(MovingWindowRateLimiter(limiter.storage), checks)
    except Exception:  # the shared storage (Redis) is down: this process counts alone meanwhile
        log.warning("email limits: storage unreachable, counting in this process", exc_info=True)
        return _hit(_fallback, checks)


def allow_email(recipient, sender=None):
    """Count one email to `recipient` caused by `sender` (a user, None for a visitor): True if it
    may go, False if it is over a limit (the caller sends nothing and says so)."""
    return _over(recipient, sender) is None


def take_email(recipient, sender=None):
    """As allow_email(), but over a limit raises TooManyEmails, to refuse the action itself."""
    over = _over(recipient, sender)
    if over == "recipient":
        raise TooManyEmails(_("Too many emails have been sent to %(email)s recently, so nothing was done. "
                              "Please try again in an hour, or write to the secretariat.", email=recipient))
    if over == "sender":
        raise TooManyEmails(_("Too many emails have been sent on your behalf recently, so nothing was done. "
                              "Please try again in an hour, or write to the secretariat."))
