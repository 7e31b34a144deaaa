"""The check-in screen at the door, and the secretariat's tools around it."""
import uuid

from flask import abort, flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import uploads
from ..assemblies.models import Assembly, Registration
from ..auth.models import Role, User
from ..certificates.models import BulkJob
from ..certificates.routes import pdf_response
from ..csvexport import csv_response
from ..extensions import db, limiter, public_check_limit
from ..htmx import full_page_load, redirect_to, render, wants_fragment
from ..permissions import public, roles_required
from . import attendance, bp, services
from .forms import AssignForm, BulkForm, ButtonForm, ScanForm, UndoForm
from .models import Verdict

DOOR = (Role.DOOR_STAFF, Role.SECRETARIAT)


def _door(assembly_id):
    """The assembly if the current user works its door; 404 for door staff of other assemblies."""
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None or not services.can_work_door(current_user, assembly):
        abort(404)
    return assembly


def _user():
    return current_user._get_current_object()


@bp.route("/checkin/")
@roles_required(*DOOR)
def index():
    assign_form = None
    if current_user.role == Role.SECRETARIAT:
        assign_form = AssignForm()
        assign_form.user_id.choices = [SelectChoice(u.id, f"{u.name} <{u.email}>")
                                       for u in services.door_staff_accounts()]
    return render_template("checkin/index.html", assemblies=services.assemblies_for(_user()), assign_form=assign_form)


@bp.route("/checkin/<int:assembly_id>")
@roles_required(*DOOR)
def screen(assembly_id):
    assembly = _door(assembly_id)
    # The screen's script (offline queue, camera) runs only when the browser loads the page itself.
    if reload := full_page_load(url_for("checkin.screen", assembly_id=assembly.id)):
        return reload
    arrived, expected = services.live_count(assembly)
    form = ScanForm(client_id=uuid.uuid4().hex)
    return render_template("checkin/screen.html", assembly=assembly, form=form, arrived=arrived, expected=expected,
                           answer=None, button=ButtonForm(), undo_form=UndoForm())


def _answer_json(answer, assembly):
    registration = answer.registration
    return {
        "verdict": answer.verdict.value,
        "replayed": answer.replayed,
        "name": registration.name if registration else None,
        "organization": registration.organization.name if registration and registration.organization else None,
        "role": str(registration.role_label) if registration else None,
        "checked_in_at": assembly.local(answer.checked_in_at).strftime("%H:%M:%S") if answer.checked_in_at else None,
        "station": answer.station,
        "by": answer.by,
        "message": str(VERDICT_TEXT[answer.verdict]),
    }


VERDICT_TEXT = {
    Verdict.CHECKED_IN: _l("Checked in"),
    Verdict.ALREADY: _l("Already checked in"),
    Verdict.WAITING: _l("On the waiting list — not admitted"),
    Verdict.CANCELLED: _l("Registration cancelled"),
    Verdict.OTHER_ASSEMBLY: _l("Registered for another assembly"),
    Verdict.UNKNOWN: _l("Unknown code"),
}


@bp.route("/checkin/<int:assembly_id>/scan", methods=["POST"])
@roles_required(*DOOR)
def scan(assembly_id):
    assembly = _door(assembly_id)
    form = ScanForm()
    if not form.validate_on_submit() or not (form.token.data or form.registration_id.data):
        message = _("Type or scan a ticket code.")
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=message), 422
        flash(message, "error")
        return redirect_to(url_for("checkin.screen", assembly_id=assembly.id))
    scanned_at = form.scanned_at_utc()
    try:
        answer = services.check_in(assembly, _user(), form.client_id.data, form.station.data or None,
                                   token=form.token.data, registration_id=form.registration_id.data,
                                   scanned_at=scanned_at)
    except services.CheckInError as error:
        return jsonify(error=str(error)), 422
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_answer_json(answer, assembly))
    arrived, expected = services.live_count(assembly)
    context = dict(assembly=assembly, answer=answer, verdict_text=VERDICT_TEXT, arrived=arrived, expected=expected,
                   form=ScanForm(client_id=uuid.uuid4().hex, station=form.station.data), button=ButtonForm(),
                   undo_form=UndoForm())
    if wants_fragment():
        return render_template("checkin/_answer.html", **context)
    return render_template("checkin/screen.html", **context)


@bp.route("/checkin/<int:assembly_id>/count")
@roles_required(*DOOR)
def count(assembly_id):
    assembly = _door(assembly_id)
    arrived, expected = services.live_count(assembly)
    return render("checkin/count.html", block="live_count", assembly=assembly, arrived=arrived, expected=expected)


@bp.route("/checkin/<int:assembly_id>/search")
@roles_required(*DOOR)
def search(assembly_id):
    assembly = _door(assembly_id)
    query = request.args.get("q", "")[:100]
    return render("checkin/search.html", block="search_results", assembly=assembly, query=query,
                  results=services.search(assembly, query), button=ButtonForm())


@bp.route("/checkin/<int:assembly_id>/registrations/<int:registration_id>/undo", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def undo(assembly_id, registration_id):
    assembly = _door(assembly_id)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.assembly_id != assembly.id:
        abort(404)
    form = UndoForm()
    try:
        if not form.validate_on_submit():
            raise services.CheckInError(_("Give the reason for undoing the check-in."))
        services.undo(registration, _user(), form.reason.data)
    except services.CheckInError as error:
        flash(str(error), "error")
    else:
        flash(_("The check-in of %(name)s is undone.", name=registration.name), "success")
    return redirect_to(url_for("checkin.screen", assembly_id=assembly.id))


@bp.route("/checkin/<int:assembly_id>/no-shows", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def no_shows(assembly_id):
    assembly = _door(assembly_id)
    if ButtonForm().validate_on_submit():
        try:
            n = services.mark_no_shows(assembly, _user())
        except services.CheckInError as error:
            flash(str(error), "error")
        else:
            flash(_("%(n)d registrations marked as no-shows.", n=n), "success")
    return redirect_to(url_for("checkin.screen", assembly_id=assembly.id))


@bp.route("/checkin/<int:assembly_id>/checkins.csv")
@roles_required(Role.SECRETARIAT)
def export(assembly_id):
    assembly = _door(assembly_id)
    return csv_response(f"checkins-{assembly.id}.csv", services.CHECKIN_HEADER, services.checkin_rows(assembly))


@bp.route("/checkin/<int:assembly_id>/door-staff", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def assign(assembly_id):
    assembly = _door(assembly_id)
    form = AssignForm()
    form.user_id.choices = [SelectChoice(u.id, u.email) for u in services.door_staff_accounts()]
    if form.validate_on_submit():
        try:
            services.assign(assembly, db.session.get(User, form.user_id.data), _user())
        except services.CheckInError as error:
            flash(str(error), "error")
        else:
            flash(_("Assigned to the door of %(title)s.", title=assembly.title), "success")
    else:
        flash(_("Choose a door-staff account."), "error")
    return redirect_to(url_for("checkin.index"))


# --- Attendance certificates ------------------------------------------------------------

@bp.route("/checkin/<int:assembly_id>/certificates", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def certificates(assembly_id):
    assembly = _door(assembly_id)
    form = BulkForm()
    if form.validate_on_submit():
        try:
            attendance.start_bulk(assembly, _user(), email_links=form.email_links.data)
        except attendance.AttendanceError as error:
            flash(str(error), "error")
        return redirect_to(url_for("checkin.certificates", assembly_id=assembly.id))
    return render_template("checkin/certificates.html", assembly=assembly, job=attendance.latest_job(assembly),
                           form=form)


@bp.route("/checkin/<int:assembly_id>/certificates/<int:job_id>/progress")
@roles_required(Role.SECRETARIAT)
def certificates_progress(assembly_id, job_id):
    assembly = _door(assembly_id)
    job = db.session.get(BulkJob, job_id)
    if job is None or job.scope_id != assembly.id:
        abort(404)
    return render("checkin/certificates.html", block="bulk_progress", assembly=assembly, job=job, form=BulkForm())


@bp.route("/checkin/<int:assembly_id>/certificates/<int:job_id>.zip")
@roles_required(Role.SECRETARIAT)
def certificates_zip(assembly_id, job_id):
    assembly = _door(assembly_id)
    job = db.session.get(BulkJob, job_id)
    if job is None or job.scope_id != assembly.id or not job.zip_name:
        abort(404)
    return uploads.send_stored_file(attendance.ZIP_FOLDER, job.zip_name,
                                    f"attendance-certificates-{assembly.id}.zip", "application/zip")


@bp.route("/attendance/<token>", methods=["GET", "POST"])
@limiter.limit(public_check_limit)
@public
def attendance_certificate(token):
    """The link emailed to an attendee: a page (GET, reads only) with a button that gets the
    certificate (POST: the one issued, or made now)."""
    registration = attendance.registration_for_token(token)
    if registration is None:
        abort(404)
    form = ButtonForm()
    current = attendance.certificate_of(registration)
    revoked = current if current is not None and not current.is_valid else None
    if revoked is None and form.validate_on_submit():
        try:
            certificate = attendance.issue(registration)
        except attendance.AttendanceError as error:
            flash(str(error), "error")
        else:
            return pdf_response(certificate)
    return render_template("checkin/attendance.html", registration=registration, form=form, revoked=revoked)
