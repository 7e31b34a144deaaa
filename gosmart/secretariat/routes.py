from flask import render_template
from sqlalchemy import func, select

from ..audit import AuditEntry
from ..auth.models import Role
from ..extensions import db
from ..members.models import MemberStatus, Organization
from ..permissions import roles_required
from . import bp


@bp.route("/secretariat/")
@roles_required(Role.SECRETARIAT)
def dashboard():
    by_category = db.session.execute(
        select(Organization.category, func.count())
        .where(Organization.status == MemberStatus.ACTIVE)
        .group_by(Organization.category)
    ).all()
    recent = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return render_template("secretariat/dashboard.html", by_category=by_category, recent=recent)
