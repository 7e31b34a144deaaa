"""The secretariat's workspace: dashboard, audit log, exports, the emails the system sends."""
from datetime import date

from flask import abort, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from ..assemblies.models import Assembly
from ..auth.models import Role
from ..csvexport import csv_response
from ..extensions import db
from ..htmx import render
from ..members.forms import country_name
from ..permissions import roles_required
from . import bp, notifications, services
from .forms import AuditFilterForm

# Where an audit entry's object lives: object type -> (endpoint, argument name).
OBJECT_PAGES = {
    "Application": ("members.application_detail", "application_id"),
    "Organization": ("members.member_detail", "organization_id"),
    "Assembly": ("assemblies.detail", "assembly_id"),
    "Mou": ("mou.detail", "mou_id"),
    "Minutes": ("minutes.minutes_detail", "minutes_id"),
}


def object_url(entry):
    """A link to the entry's object, or to every entry about that object."""
    page = OBJECT_PAGES.get(entry.object_type)
    if page and entry.object_id and entry.object_id.isdigit():
        try:
            return url_for(page[0], **{page[1]: int(entry.object_id)})
        except BuildError:
            pass
    if entry.object_type:
        return url_for("secretariat.audit", object_type=entry.object_type, object_id=entry.object_id or "")
    return None


@bp.route("/secretariat/")
@roles_required(Role.SECRETARIAT)
def dashboard():
    by_category = services.members_by_category()
    by_country = services.members_by_country()
    category_chart = services.bar_chart([(str(c.label), n, url_for("directory.index", category=c.value))
                                         for c, n in by_category])
    country_chart = services.bar_chart([(country_name(code), n, url_for("directory.index", country=code))
                                        for code, n in by_country])
    return render_template(
        "secretariat/dashboard.html", waiting=services.applications_waiting(), category_chart=category_chart,
        country_chart=country_chart, total=sum(n for _c, n in by_category),
        assemblies=services.upcoming_assemblies(),
        expiring=services.expiring_mous(current_user._get_current_object(), date.today()),
        recent=services.recent_audit(), object_url=object_url)


def _audit_query():
    form = AuditFilterForm(request.args)
    form.object_type.choices = [("", _("Any kind"))] + [(t, t) for t in services.object_types()]
    form.validate()
    value = lambda name: None if form[name].errors else form[name].data  # noqa: E731
    return form, services.AuditQuery(who=value("who") or "", action=value("action") or "",
                                     object_type=value("object_type") or "", object_id=value("object_id") or "",
                                     date_from=value("date_from"), date_to=value("date_to"),
                                     before=value("before"))


@bp.route("/secretariat/audit")
@roles_required(Role.SECRETARIAT)
def audit():
    form, query = _audit_query()
    entries, next_before = services.audit_page(query)
    args = {k: v for k, v in request.args.items() if k != "before"}
    return render("secretariat/audit.html", block="audit_table", form=form, entries=entries,
                  next_url=url_for("secretariat.audit", **args, before=next_before) if next_before else None,
                  first_url=url_for("secretariat.audit", **args) if query.before else None,
                  csv_url=url_for("secretariat.audit_csv", **args), object_url=object_url)


@bp.route("/secretariat/audit.csv")
@roles_required(Role.SECRETARIAT)
def audit_csv():
    _form, query = _audit_query()
    query.before = None
    return csv_response("gosmart-audit.csv", services.AUDIT_HEADER, services.audit_rows(query))


@bp.route("/secretariat/exports")
@roles_required(Role.SECRETARIAT)
def exports():
    assemblies = db.session.scalars(db.select(Assembly).order_by(Assembly.starts_at.desc())).all()
    return render_template("secretariat/exports.html", assemblies=assemblies)


@bp.route("/secretariat/exports/mous.csv")
@roles_required(Role.SECRETARIAT)
def mous_csv():
    return csv_response("gosmart-mous.csv", services.MOU_HEADER, services.mou_rows(date.today()))


@bp.route("/secretariat/emails")
@roles_required(Role.SECRETARIAT)
def emails():
    return render_template("secretariat/emails.html", emails=notifications.EMAILS)


@bp.route("/secretariat/emails/<name>")
@roles_required(Role.SECRETARIAT)
def email_preview(name):
    if name not in notifications.EMAILS:
        abort(404)
    text, html = notifications.preview(name)
    return render_template("secretariat/email_preview.html", name=name, text=text, html=html,
                           meta=notifications.EMAILS[name])


@bp.route("/secretariat/emails/<name>.html")
@roles_required(Role.SECRETARIAT)
def email_preview_html(name):
    """The HTML part as a mail program shows it: its inline styles need a CSP of its own."""
    if name not in notifications.EMAILS:
        abort(404)
    response = make_response(notifications.preview(name)[1])
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response
