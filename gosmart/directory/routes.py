from flask import render_template
from sqlalchemy import func, select

from ..auth.models import Role
from ..extensions import db
from ..members.models import MemberStatus, Organization
from ..permissions import roles_required
from . import bp

MEMBER_ROLES = (Role.REPRESENTATIVE, Role.HONORARY, Role.SECRETARIAT)


@bp.route("/directory/")
@roles_required(*MEMBER_ROLES)
def index():
    active = Organization.status == MemberStatus.ACTIVE
    organizations = db.session.scalars(
        select(Organization).where(active).order_by(Organization.name, Organization.id).limit(50)
    ).all()
    by_category = db.session.execute(
        select(Organization.category, func.count()).where(active).group_by(Organization.category)
    ).all()
    return render_template("directory/index.html", organizations=organizations, by_category=by_category)
