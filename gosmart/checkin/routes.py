from flask import render_template

from ..auth.models import Role
from ..permissions import roles_required
from . import bp
from . import models  # noqa: F401


@bp.route("/checkin/")
@roles_required(Role.DOOR_STAFF, Role.SECRETARIAT)
def index():
    # Assemblies and their door assignments arrive with the Assemblies issue.
    return render_template("checkin/index.html", assemblies=[])
