"""Assemblies and meetings, delegate registration, e-tickets, badge sheets."""
from urllib.parse import urlencode

from flask import Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import uploads
from ..auth.models import Role
from ..csvexport import csv_response
from ..extensions import db
from ..headers import attachment
from ..htmx import redirect_to, render, same_page
from ..permissions import roles_required
from . import badges as badge_sheets
from . import bp, services
from .forms import (
    AssemblyForm, ButtonForm, CancelAssemblyForm, HonoraryRegistrationForm, RegistrationFilterForm, RegistrationForm,
)
from .models import Assembly, BadgeSheet, Registration

VIEWERS = (Role.SECRETARIAT, Role.REPRESENTATIVE, Role.HONORARY)
LOCAL_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def _assembly(assembly_id):
    return db.get_or_404(Assembly, assembly_id)


def _registration(assembly, registration_id):
    """The registration if the current user may see it; 404 otherwise (another organization's ids reveal nothing)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.assembly_id != assembly.id or not registration.can_view(current_user):
        abort(404)
    return registration


def _user():
    return current_user._get_current_object()


@bp.route("/assemblies/")
@roles_required(*VIEWERS)
def index():
    upcoming, past = services.upcoming_and_past()
    return render_template("assemblies/index.html", upcoming=upcoming, past=past)


def _assembly_form_page(form, assembly):
    if form.validate_on_submit():
        data = {name: form[name].data for name in services.ASSEMBLY_FIELDS}
        for name in LOCAL_FIELDS:
            data[name] = services.local_to_utc(data[name], data["timezone"])
        saved = services.save_assembly(assembly, data, _user())
        flash(_("“%(title)s” is saved.", title=saved.title), "success")
        return redirect_to(url_for("assemblies.detail", assembly_id=saved.id))
    return render_template("assemblies/form.html", form=form, assembly=assembly), 422 if form.errors else 200


@bp.route("/assemblies/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def new():
    return _assembly_form_page(AssemblyForm(), Assembly())


@bp.route("/assemblies/<int:assembly_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def edit(assembly_id):
    assembly = _assembly(assembly_id)
    form = AssemblyForm(obj=assembly)
    if request.method == "GET":
        for name in LOCAL_FIELDS:  # shown in the venue's time zone, as typed
            form[name].data = assembly.local(getattr(assembly, name)).replace(tzinfo=None)
    return _assembly_form_page(form, assembly)


@bp.route("/assemblies/<int:assembly_id>/cancel", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def cancel(assembly_id):
    assembly = _assembly(assembly_id)
    form = CancelAssemblyForm()
    try:
        if not form.validate_on_submit():
            raise services.RegistrationError(_("Give the reason for the cancellation."))
        services.cancel_assembly(assembly, _user(), form.reason.data)
    except services.RegistrationError as error:
        flash(str(error), "error")
    else:
        flash(_("The assembly is cancelled; every registrant has been emailed."), "success")
    return redirect_to(url_for("assemblies.detail", assembly_id=assembly.id))


def _registration_form(assembly):
    form = RegistrationForm()
    if current_user.role == Role.SECRETARIAT:
        form.set_roles(services.SECRETARIAT_ROLES)
    else:
        roles = [r for r in services.ORGANIZATION_ROLES
                 if r != services.DelegateRole.OBSERVER or assembly.observers_allowed]
        form.set_roles(roles)
    return form


@bp.route("/assemblies/<int:assembly_id>", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def detail(assembly_id):
    """The assembly, and for the current user their own registrations and the form to add one."""
    assembly = _assembly(assembly_id)
    user = _user()
    form = HonoraryRegistrationForm() if user.role == Role.HONORARY else _registration_form(assembly)
    if request.method == "POST" and form.validate_on_submit():
        fields = {k: form[k].data for k in ("name", "title", "email", "role", "override_reason") if k in form}
        try:
            registration = services.register(
                assembly, user, dietary_needs=form.dietary_needs.data,
                accessibility_needs=form.accessibility_needs.data,
                name=fields.get("name", user.name), email=fields.get("email", user.email),
                role=fields.get("role", services.DelegateRole.HONORARY), title=fields.get("title"),
                override_reason=fields.get("override_reason") or None)
        except services.RegistrationError as error:
            form.form_errors.append(str(error))
        else:
            if registration.state == "confirmed":
                flash(_("%(name)s is registered; the e-ticket is on its way to %(email)s.",
                        name=registration.name, email=registration.email), "success")
            else:
                flash(_("The assembly is full: %(name)s is on the waiting list and will be emailed if a place frees up.",
                        name=registration.name), "warning")
            return redirect_to(url_for("assemblies.detail", assembly_id=assembly.id) + "#registrations")
    mine, quota = [], None
    if user.role == Role.REPRESENTATIVE and user.organization_id:
        mine = services.registrations_of(assembly, organization_id=user.organization_id)
        quota = services.quota_used(assembly, user.organization_id)
    elif user.role == Role.HONORARY:
        mine = services.registrations_of(assembly, user_id=user.id)
    status = 422 if request.method == "POST" else 200
    return render("assemblies/detail.html", block="registrations", status=status, assembly=assembly, form=form,
                  mine=mine, quota_used=quota, button=ButtonForm(), cancel_form=CancelAssemblyForm(),
                  counts=services.counts(assembly) if user.role == Role.SECRETARIAT else None)


@bp.route("/assemblies/<int:assembly_id>/registrations/<int:registration_id>/edit", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def edit_registration(assembly_id, registration_id):
    assembly = _assembly(assembly_id)
    registration = _registration(assembly, registration_id)
    if not registration.can_change(current_user):
        flash(_("This registration can no longer be changed."), "error")
        return redirect_to(url_for("assemblies.detail", assembly_id=assembly.id))
    form = RegistrationForm(obj=registration)
    roles = services.ORGANIZATION_ROLES if registration.organization_id else [services.DelegateRole(registration.role)]
    form.set_roles(roles)
    if form.validate_on_submit():
        try:
            services.update_registration(registration, _user(), {k: form[k].data for k in (
                "name", "title", "email", "role", "dietary_needs", "accessibility_needs")})
        except services.RegistrationError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The registration is updated."), "success")
            return redirect_to(url_for("assemblies.detail", assembly_id=assembly.id) + "#registrations")
    return render_template("assemblies/registration_edit.html", form=form, assembly=assembly,
                           registration=registration), 422 if form.errors or form.form_errors else 200


@bp.route("/assemblies/<int:assembly_id>/registrations/<int:registration_id>/cancel", methods=["POST"])
@roles_required(*VIEWERS)
def cancel_registration(assembly_id, registration_id):
    assembly = _assembly(assembly_id)
    registration = _registration(assembly, registration_id)
    if ButtonForm().validate_on_submit():
        try:
            notified = services.cancel_registration(registration, _user())
        except services.RegistrationError as error:
            flash(str(error), "error")
        else:
            flash(_("The registration of %(name)s is cancelled.", name=registration.name), "info")
            if not notified:
                flash(_("No email was sent to %(email)s: too many emails have gone to that address, or on "
                        "your behalf, recently.", email=registration.email), "warning")
    # Cancelled from the secretariat's list: back to it, with its filters.
    back = same_page(request.form.get("back"), url_for("assemblies.registrations", assembly_id=assembly.id))
    if back:
        return redirect_to(back)
    return redirect_to(url_for("assemblies.detail", assembly_id=assembly.id) + "#registrations")


@bp.route("/assemblies/<int:assembly_id>/registrations/<int:registration_id>/reissue", methods=["POST"])
@roles_required(*VIEWERS)
def reissue_ticket(assembly_id, registration_id):
    assembly = _assembly(assembly_id)
    registration = _registration(assembly, registration_id)
    if ButtonForm().validate_on_submit():
        try:
            services.reissue_token(registration, _user())
        except services.RegistrationError as error:
            flash(str(error), "error")
        else:
            flash(_("A new ticket is issued to %(email)s; the old one no longer works.", email=registration.email),
                  "success")
    return redirect_to(url_for("assemblies.detail", assembly_id=assembly.id) + "#registrations")


@bp.route("/assemblies/<int:assembly_id>/registrations/<int:registration_id>/ticket.pdf")
@roles_required(*VIEWERS)
def ticket(assembly_id, registration_id):
    assembly = _assembly(assembly_id)
    registration = _registration(assembly, registration_id)
    if registration.state != "confirmed":
        abort(404)
    return _pdf(services.ticket_pdf(registration, limit_renders=True), f"ticket-{registration.id}.pdf")


def _pdf(data, filename):
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = attachment(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- The secretariat's registration list ---------------------------------------------------

def _registration_filters():
    form = RegistrationFilterForm(request.args)
    form.validate()
    value = lambda name: None if form[name].errors else (form[name].data or None)  # noqa: E731
    return form, {"organization": value("organization"), "state": value("state"), "role": value("role")}


@bp.route("/assemblies/<int:assembly_id>/registrations")
@roles_required(Role.SECRETARIAT)
def registrations(assembly_id):
    assembly = _assembly(assembly_id)
    form, filters = _registration_filters()
    after = request.args.get("after", type=int)
    rows, next_after = services.registrations_page(assembly, after=after if after and after > 0 else None, **filters)
    query = {k: v for k, v in request.args.items() if k in ("organization", "state", "role") and v}
    return render("assemblies/registrations.html", block="registration_table", assembly=assembly, form=form,
                  registrations=rows, counts=services.counts(assembly), button=ButtonForm(),
                  query=urlencode(query), first_url=url_for("assemblies.registrations", assembly_id=assembly.id,
                                                            **query) if after else None,
                  next_url=url_for("assemblies.registrations", assembly_id=assembly.id, after=next_after, **query)
                  if next_after else None)


@bp.route("/assemblies/<int:assembly_id>/registrations.csv")
@roles_required(Role.SECRETARIAT)
def registrations_csv(assembly_id):
    assembly = _assembly(assembly_id)
    _form, filters = _registration_filters()
    return csv_response(f"registrations-{assembly.id}.csv", services.EXPORT_HEADER,
                        services.export_rows(assembly, **filters))


# --- Badge sheets (made by the task worker) ---------------------------------------------------

def _sheet(assembly, sheet_id):
    sheet = db.session.get(BadgeSheet, sheet_id)
    if sheet is None or sheet.assembly_id != assembly.id:
        abort(404)
    return sheet


@bp.route("/assemblies/<int:assembly_id>/badges", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def badges(assembly_id):
    """The badge sheet: a POST asks the task worker for it; the page follows its progress."""
    assembly = _assembly(assembly_id)
    form = ButtonForm()
    if form.validate_on_submit():
        badge_sheets.start(assembly, _user())
        return redirect_to(url_for("assemblies.badges", assembly_id=assembly.id))
    sheet = badge_sheets.latest_sheet(assembly)
    return render("assemblies/badges.html", assembly=assembly, sheet=sheet, form=form,
                  confirmed=services.counts(assembly)["confirmed"],
                  stalled=sheet is not None and badge_sheets.is_stalled(sheet))


@bp.route("/assemblies/<int:assembly_id>/badges/<int:sheet_id>/progress")
@roles_required(Role.SECRETARIAT)
def badges_progress(assembly_id, sheet_id):
    assembly = _assembly(assembly_id)
    sheet = _sheet(assembly, sheet_id)
    return render("assemblies/badges.html", block="badge_progress", assembly=assembly, sheet=sheet,
                  form=ButtonForm(), confirmed=services.counts(assembly)["confirmed"],
                  stalled=badge_sheets.is_stalled(sheet))


@bp.route("/assemblies/<int:assembly_id>/badges/<int:sheet_id>.pdf")
@roles_required(Role.SECRETARIAT)
def badge_sheet(assembly_id, sheet_id):
    assembly = _assembly(assembly_id)
    sheet = _sheet(assembly, sheet_id)
    if sheet.state != "done" or not sheet.stored_name:
        abort(404)
    return uploads.send_stored_file(badge_sheets.FOLDER, sheet.stored_name, f"badges-{assembly.id}.pdf",
                                    "application/pdf")
