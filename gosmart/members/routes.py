from flask import render_template
from flask_login import current_user

from ..auth.models import Role
from ..permissions import roles_required
from . import bp


@bp.route("/my-organization")
@roles_required(Role.REPRESENTATIVE)
def my_organization():
    return render_template("members/my_organization.html", organization=current_user.organization)


@bp.route("/my-applications")
@roles_required(Role.APPLICANT)
def my_applications():
    return render_template("members/my_applications.html")
