"""Membership standing: the one rule that every members-only read and action asks.

"Is this user acting for a member in good standing?" — a representative of an organization
in good standing, an honorary member whose honour stands, or the secretariat (always). Anyone
else, including the representative of a suspended or withdrawn member and an honorary member
whose honour was revoked, sees what the public sees and does what the public may do.

The directory's members' view, members-only MOUs and minutes (and their PDF), registration for
assemblies, inviting representatives: all ask `in_good_standing(user)`. What makes an
organization or an honour stand is `Organization.in_good_standing` and
`HonoraryMember.in_good_standing` (gosmart.members.models); when standing grows (terms, grace,
lapsed), those change and nothing else."""
from flask_babel import gettext as _

from ..auth.models import Role


def in_good_standing(user):
    """Whether `user` (a User or Flask-Login's anonymous user) acts for a member in good standing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.SECRETARIAT:
        return True
    if user.role == Role.REPRESENTATIVE:
        return user.organization is not None and bool(user.organization.in_good_standing)
    if user.role == Role.HONORARY:
        honorary = user.honorary_membership
        return honorary is not None and bool(honorary.in_good_standing)
    return False


def why_not(user):
    """Why `user` does not act for a member in good standing, for a message; None if they do."""
    if in_good_standing(user):
        return None
    if user.is_authenticated and user.role == Role.REPRESENTATIVE and user.organization is not None:
        return _("The membership of %(name)s is %(state)s; members-only pages and actions are closed to it.",
                 name=user.organization.name, state=user.organization.status_label.lower())
    if user.is_authenticated and user.role == Role.HONORARY:
        return _("Your honorary membership has been revoked; members-only pages and actions are closed to you.")
    return _("Only members in good standing can do this.")
