"""Committees (the secretariat's), and minutes: reading, searching, PDF, editing with
revisions and autosave, approval, publication, reopening."""
from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..assemblies import services as assembly_services
from ..auth.models import Role
from ..extensions import db
from ..headers import attachment
from ..htmx import redirect_to, render, wants_fragment
from ..pdf import cached_pdf
from ..permissions import public, roles_required
from . import bp, services
from .forms import (
    ApproveForm, ButtonForm, CommitteeForm, CommitteeMemberForm, MeetingForm, MinutesForm, PublishForm, ReopenForm,
    SearchForm,
)
from .models import Committee, CommitteeMember, Minutes


def _load_minutes(minutes_id, permission="can_view"):
    """The minutes if the current user may see (or manage) them; 404 otherwise, so that
    the ids of unpublished minutes reveal nothing."""
    minutes = db.session.get(Minutes, minutes_id)
    if minutes is None or not getattr(minutes, permission)(current_user):
        abort(404)
    return minutes


# --- Committees ------------------------------------------------------------------------

@bp.route("/committees/")
@roles_required(Role.SECRETARIAT)
def committee_list():
    return render_template("minutes/committee_list.html", committees=services.committees())


def _committee_form(committee=None):
    form = CommitteeForm(obj=committee)
    form.set_organizations(services.organization_choices())
    return form


@bp.route("/committees/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def committee_new():
    form = _committee_form()
    if form.validate_on_submit():
        try:
            committee = services.create_committee(form.to_data(), current_user._get_current_object())
        except services.MinutesError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The committee %(name)s is created.", name=committee.name), "success")
            return redirect_to(url_for("minutes.committee_detail", committee_id=committee.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("minutes/committee_form.html", form=form, committee=None), status


@bp.route("/committees/<int:committee_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def committee_edit(committee_id):
    committee = db.get_or_404(Committee, committee_id)
    form = _committee_form(committee)
    if form.validate_on_submit():
        try:
            services.update_committee(committee, form.to_data(), current_user._get_current_object())
        except services.MinutesError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(_("The committee is saved."), "success")
            return redirect_to(url_for("minutes.committee_detail", committee_id=committee.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("minutes/committee_form.html", form=form, committee=committee), status


def _committee_page(committee, member_form=None, meeting_form=None, status=200):
    if member_form is None:
        member_form = CommitteeMemberForm(formdata=None)
        member_form.set_organizations(services.organization_choices())
    if meeting_form is None:
        meeting_form = MeetingForm(formdata=None)
        meeting_form.set_assemblies(assembly_services.assembly_choices())
    return render_template("minutes/committee_detail.html", committee=committee,
                           meetings=services.meetings_of(committee), member_form=member_form,
                           meeting_form=meeting_form, button=ButtonForm()), status


@bp.route("/committees/<int:committee_id>")
@roles_required(Role.SECRETARIAT)
def committee_detail(committee_id):
    return _committee_page(db.get_or_404(Committee, committee_id))


@bp.route("/committees/<int:committee_id>/members", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def committee_member_add(committee_id):
    committee = db.get_or_404(Committee, committee_id)
    form = CommitteeMemberForm()
    form.set_organizations(services.organization_choices())
    if form.validate_on_submit():
        try:
            member = services.add_member(committee, current_user._get_current_object(),
                                         organization_id=form.organization_id.data, person_name=form.person_name.data)
        except services.MinutesError as error:
            db.session.rollback()
            form.person_name.errors.append(str(error))
        else:
            flash(_("%(name)s joins the committee.", name=member.name), "success")
            return redirect_to(url_for("minutes.committee_detail", committee_id=committee.id))
    return _committee_page(committee, member_form=form, status=422)


@bp.route("/committees/<int:committee_id>/members/<int:member_id>/remove", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def committee_member_remove(committee_id, member_id):
    member = db.session.get(CommitteeMember, member_id)
    if member is None or member.committee_id != committee_id:
        abort(404)
    if ButtonForm().validate_on_submit():
        name = member.name
        services.remove_member(member, current_user._get_current_object())
        flash(_("%(name)s is no longer on the committee.", name=name), "info")
    return redirect_to(url_for("minutes.committee_detail", committee_id=committee_id))


@bp.route("/committees/<int:committee_id>/meetings", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def meeting_new(committee_id):
    committee = db.get_or_404(Committee, committee_id)
    form = MeetingForm()
    form.set_assemblies(assembly_services.assembly_choices())
    if form.validate_on_submit():
        try:
            minutes = services.create_minutes(committee, form.held_on.data, form.place.data,
                                              current_user._get_current_object(), assembly_id=form.assembly_id.data)
        except services.MinutesError as error:
            form.assembly_id.errors.append(str(error))
            return _committee_page(committee, meeting_form=form, status=422)
        flash(_("The meeting is added; write its minutes below."), "success")
        return redirect_to(url_for("minutes.minutes_edit", minutes_id=minutes.id))
    return _committee_page(committee, meeting_form=form, status=422)


# --- Reading ----------------------------------------------------------------------------

@bp.route("/minutes/")
@public
def minutes_index():
    form = SearchForm(request.args)
    query = form.q.data if form.validate() else ""
    found = services.search(current_user, query or "")
    return render("minutes/minutes_index.html", block="minutes_results", form=form, query=query or "", found=found)


@bp.route("/minutes/<int:minutes_id>")
@public
def minutes_detail(minutes_id):
    minutes = _load_minutes(minutes_id)
    return render_template("minutes/minutes_detail.html", minutes=minutes, content=minutes.content,
                           render_markdown=services.render_markdown, approve_form=ApproveForm(formdata=None),
                           # Offered: the audience the minutes do not have yet.
                           publish_form=PublishForm(formdata=None, audience="public" if minutes.audience == "members"
                                                    else "members"),
                           reopen_form=ReopenForm(formdata=None))


@bp.route("/minutes/<int:minutes_id>.pdf")
@public
def minutes_pdf(minutes_id):
    minutes = _load_minutes(minutes_id)
    # Kept by its content (revision, state, language, template): rendered once per version.
    pdf = cached_pdf("pdf/minutes.html", limit_renders=True, minutes=minutes, content=minutes.content,
                     render_markdown=services.render_markdown)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    name = f"minutes-{minutes.committee.code}-{minutes.meeting.held_on.isoformat()}.pdf"
    response.headers["Content-Disposition"] = attachment(name)
    response.headers["Cache-Control"] = "private, no-store"  # minutes for members: in no shared cache
    return response


# --- Editing -----------------------------------------------------------------------------

def _editor(minutes, form, status=200, conflict=None, message=None, based_on=None):
    """The edit page, or its form block for htmx."""
    return render("minutes/minutes_edit.html", block="minutes_form", status=status, minutes=minutes, form=form,
                  names={row["member"]: row["name"] for row in services.attendance_rows(minutes)},
                  based_on=minutes.current_revision if based_on is None else based_on,
                  conflict=conflict, message=message)


def _fresh_form(minutes):
    return MinutesForm.for_content(minutes.content, services.attendance_rows(minutes), minutes.current_revision)


def _conflict(minutes, form, error):
    """The stale save's answer: what others changed, and the user's own text, kept in the form."""
    based = services.revision(minutes, error.based_on)
    theirs = services.diff(based.content if based else {}, error.current.content)
    yours = services.diff(error.current.content, services.clean_content(form.to_data(), minutes))
    return {"current": error.current, "based_on": error.based_on, "theirs": theirs, "yours": yours}


def _save(minutes, autosave):
    """Save the posted form: a new revision, a conflict, or the form's errors."""
    form = MinutesForm()
    if not form.validate_on_submit():
        return None, form, None
    actor = current_user._get_current_object()
    try:
        saved = services.save(minutes, form.to_data(), form.based_on.data, actor, autosave=autosave)
    except services.StaleRevision as error:
        return None, form, _conflict(minutes, form, error)
    return saved, form, None


def _locked(minutes):
    flash(_("These minutes are %(state)s and locked; reopen them to make changes.",
            state=minutes.state_label.lower()), "info")
    return redirect_to(url_for("minutes.minutes_detail", minutes_id=minutes.id))


@bp.route("/minutes/<int:minutes_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def minutes_edit(minutes_id):
    minutes = _load_minutes(minutes_id, "can_manage")
    if not minutes.is_draft:
        return _locked(minutes)
    if request.method == "GET":
        return _editor(minutes, _fresh_form(minutes))
    return _save_and_answer(minutes)


def _save_and_answer(minutes):
    try:
        saved, form, conflict = _save(minutes, autosave=False)
    except services.MinutesLocked:
        return _locked(minutes)
    if conflict:
        return _editor(minutes, form, status=409, conflict=conflict, based_on=conflict["current"].number)
    if saved is None:
        # A missing base revision (a tampered form) counts as the oldest: the next save conflicts.
        return _editor(minutes, form, status=422, based_on=form.based_on.data or 0)
    message = _("Saved as revision %(n)d.", n=saved.current) if saved.revision else _("No changes to save.")
    if wants_fragment():
        return _editor(minutes, _fresh_form(minutes), message=message)
    flash(message, "success")
    return redirect_to(url_for("minutes.minutes_edit", minutes_id=minutes.id))


@bp.route("/minutes/<int:minutes_id>/autosave", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def minutes_autosave(minutes_id):
    """The draft saved as the user types (htmx). The answer is the status line, and the
    revision the form is now based on; the form itself is left alone, as the user types on."""
    minutes = _load_minutes(minutes_id, "can_manage")
    if not wants_fragment():  # a plain POST (no JavaScript) is a plain save
        return _save_and_answer(minutes) if minutes.is_draft else _locked(minutes)
    try:
        saved, form, conflict = _save(minutes, autosave=True)
    except services.MinutesLocked as error:
        return _autosave_status(minutes, str(error), status=409)
    if conflict:
        author = conflict["current"].author
        return _autosave_status(minutes, _(
            "Not saved: %(name)s saved revision %(n)d meanwhile. Press Save to compare; your text stays.",
            name=author.name if author else _("someone"), n=conflict["current"].number), status=409)
    if saved is None:
        return _autosave_status(minutes, _("Not saved automatically: check the form, then press Save."), status=422)
    if saved.revision is None:
        return _autosave_status(minutes, _("All changes saved."), based_on=saved.current)
    return _autosave_status(minutes, _("Draft saved automatically at %(time)s UTC (revision %(n)d).",
                                       time=saved.revision.created_at.strftime("%H:%M:%S"), n=saved.current),
                            based_on=saved.current)


def _autosave_status(minutes, message, status=200, based_on=None):
    return render_template("minutes/_autosave_status.html", minutes=minutes, message=message,
                           problem=status != 200, saved_revision=based_on), status


# --- History ----------------------------------------------------------------------------

@bp.route("/minutes/<int:minutes_id>/history")
@roles_required(Role.SECRETARIAT)
def minutes_history(minutes_id):
    minutes = _load_minutes(minutes_id, "can_manage")
    return render_template("minutes/history.html", minutes=minutes, revisions=services.revisions(minutes))


@bp.route("/minutes/<int:minutes_id>/revisions/<int:number>")
@roles_required(Role.SECRETARIAT)
def minutes_revision(minutes_id, number):
    """What revision `number` changed, compared with the one before."""
    minutes = _load_minutes(minutes_id, "can_manage")
    compared = services.compare_with_previous(minutes, number)
    if compared is None:
        abort(404)
    revision, previous, hunks = compared
    return render("minutes/revision.html", block="revision_diff", minutes=minutes, revision=revision,
                  previous=previous, hunks=hunks)


# --- Lifecycle ---------------------------------------------------------------------------

@bp.route("/minutes/<int:minutes_id>/approve", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def minutes_approve(minutes_id):
    minutes = _load_minutes(minutes_id, "can_manage")
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            numbers = services.approve(minutes, form.revision.data, current_user._get_current_object())
        except services.MinutesError as error:
            flash(str(error), "error")
        else:
            flash(_("The minutes are approved and locked.") + (
                " " + _("Resolutions %(numbers)s.", numbers=", ".join(numbers)) if numbers else ""), "success")
    else:
        flash(_("The form expired; reload the page and try again."), "error")
    return redirect_to(url_for("minutes.minutes_detail", minutes_id=minutes.id))


@bp.route("/minutes/<int:minutes_id>/publish", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def minutes_publish(minutes_id):
    minutes = _load_minutes(minutes_id, "can_manage")
    form = PublishForm()
    if form.validate_on_submit():
        try:
            services.publish(minutes, form.audience.data, current_user._get_current_object())
        except services.MinutesError as error:
            flash(str(error), "error")
        else:
            flash(_("The minutes are published to %(audience)s.", audience=minutes.audience_label.lower()), "success")
    else:
        flash(_("Choose who may read the minutes."), "error")
    return redirect_to(url_for("minutes.minutes_detail", minutes_id=minutes.id))


@bp.route("/minutes/<int:minutes_id>/reopen", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def minutes_reopen(minutes_id):
    minutes = _load_minutes(minutes_id, "can_manage")
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            services.reopen(minutes, form.reason.data, current_user._get_current_object())
        except services.MinutesError as error:
            flash(str(error), "error")
        else:
            flash(_("The minutes are a draft again."), "success")
            return redirect_to(url_for("minutes.minutes_edit", minutes_id=minutes.id))
    else:
        flash(form.reason.errors[0] if form.reason.errors else _("The form expired; reload the page."), "error")
    return redirect_to(url_for("minutes.minutes_detail", minutes_id=minutes.id))
