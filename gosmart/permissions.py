"""Who may open which route.

Every view declares its policy with one of these decorators; `route_policies()`
reads them back from the URL map, so a test can fail on any route without one.
Anonymous users are sent to the login page; a signed-in user without the role
gets a 403 page. Object-level rules live in the models' `can_*` methods.
"""
from functools import wraps

from flask import abort, current_app
from flask_login import current_user

from .extensions import login_manager

PUBLIC = "public"
SIGNED_IN = "signed_in"


def _declare(view, policy):
    view.access_policy = frozenset(policy)
    return view


def public(view):
    """Open to everyone, signed in or not."""
    return _declare(view, {PUBLIC})


def signed_in(view):
    """Any signed-in user, whatever the role."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return _declare(wrapper, {SIGNED_IN})


def roles_required(*roles):
    """Only signed-in users with one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return _declare(wrapper, {str(r) for r in roles})

    return decorator


def route_policies(app=None):
    """{endpoint: policy or None} for every route of the application."""
    app = app or current_app
    policies = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            policies[rule.endpoint] = frozenset({PUBLIC})
            continue
        view = app.view_functions[rule.endpoint]
        policies[rule.endpoint] = getattr(view, "access_policy", None)
    return policies


def may_open(endpoint):
    """Whether the current user passes `endpoint`'s declared policy (templates use it to link
    only to pages the reader may open; object-level rules still apply there)."""
    policy = getattr(current_app.view_functions.get(endpoint), "access_policy", None) or frozenset()
    if PUBLIC in policy:
        return True
    if not current_user.is_authenticated:
        return False
    return SIGNED_IN in policy or current_user.role in policy
