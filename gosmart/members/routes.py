"""Membership applications (apply, review), the member lifecycle, honorary members."""
from flask import abort, flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import uploads
from ..auth.models import Role, normalize_email
from ..certificates.routes import pdf_response
from ..extensions import db, limiter, public_check_limit
from ..htmx import redirect_to, render, wants_fragment
from ..permissions import public, roles_required, signed_in
from . import bp, services
from .forms import (
    ButtonForm, CommentForm, HonoraryForm, MemberStatusForm, QueueFilterForm, ReasonForm,
    answer_label, answer_text, application_form_class, country_name,
)
from .models import (
    DOCUMENTS_FOLDER, Application, ApplicationDocument, ApplicationState, Category, HonoraryMember, MemberStatus,
    Organization,
)


def _load_application(application_id, permission="can_view"):
    """The application if the current user may see (or edit) it; 404 otherwise, so
    that another applicant's ids reveal nothing."""
    application = db.session.get(Application, application_id)
    if application is None or not getattr(application, permission)(current_user):
        abort(404)
    return application


def _category_or_404(category):
    if category not in {c.value for c in Category}:
        abort(404)
    return Category(category)


def _duplicate_warning(name, country, exclude_id=None):
    """Same-named members (and, for the secretariat, open applications): what the reader may know."""
    members, applications = services.similar_members_or_applications(name, country, exclude_id, viewer=current_user)
    return {"members": members, "applications": applications}


# --- Apply ------------------------------------------------------------------------

@bp.route("/apply/")
@public
def apply_index():
    return render_template("members/apply_index.html", categories=list(Category))


@bp.route("/apply/<category>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@public
def apply_new(category):
    category = _category_or_404(category)
    if current_user.is_authenticated and current_user.role != Role.APPLICANT:
        return render_template("members/apply_not_applicant.html"), 403
    form = application_form_class(category, not current_user.is_authenticated)()
    if form.validate_on_submit():
        account = None
        if not current_user.is_authenticated:
            account = {"name": form.applicant_name.data, "email": form.applicant_email.data,
                       "password": form.password.data, "locale": str(get_locale())}  # the language applied in
        try:
            application = services.start_application(
                category, form.to_data(), applicant=current_user._get_current_object()
                if current_user.is_authenticated else None, account=account)
        except services.MembershipError as error:
            form.form_errors.append(str(error))
        else:
            if account:
                # The same answer whether the address had an account or not (then its owner is told
                # by email): the form does not reveal who has an account.
                flash(_("Thank you. We have sent an email to %(email)s: open the link in it to confirm the "
                        "address, then sign in here to add your documents and submit your application.",
                        email=normalize_email(account["email"])), "success")
                return redirect_to(url_for("auth.login"))
            flash(_("Your draft is saved."), "success")
            return redirect_to(url_for("members.application_edit", application_id=application.id))
    status = 422 if form.errors or form.form_errors else 200
    return render("members/apply_form.html", status=status, form=form, category=category,
                  application=None, warning=_duplicate_warning(form.name.data, form.country.data))


@bp.route("/apply/<category>/validate", methods=["POST"])
@limiter.limit(public_check_limit)
@public
def validate_field(category):
    """Inline validation: the same form class as on submit, one field's verdict.

    Without htmx it is the whole form page with every message."""
    category = _category_or_404(category)
    form_class = application_form_class(category, not current_user.is_authenticated)
    form = form_class()
    form.for_submission = True
    form.validate()
    field_name = request.headers.get("HX-Trigger-Name", "")
    if not wants_fragment() or field_name not in form:
        return render("members/apply_form.html", form=form, category=category, application=None,
                      warning=_duplicate_warning(form.name.data, form.country.data))
    exclude = request.args.get("application", type=int)
    warning = (_duplicate_warning(form.name.data, form.country.data, exclude)
               if field_name in ("name", "country") else None)
    return render_template("members/_validated_field.html", field=form[field_name], warning=warning)


@bp.route("/my-applications")
@roles_required(Role.APPLICANT)
def my_applications():
    return render_template("members/my_applications.html",
                           applications=services.applications_of(current_user), form=ButtonForm())


@bp.route("/applications/<int:application_id>")
@signed_in
def application_detail(application_id):
    application = _load_application(application_id)
    events = [e for e in application.events if not e.is_internal or application.can_review(current_user)]
    return render_template(
        "members/application_detail.html", application=application, events=events,
        button=ButtonForm(), reason_form=ReasonForm(), comment_form=CommentForm(),
        warning=_duplicate_warning(application.name, application.country, application.id),
        country_name=country_name, answer_label=answer_label, answer_text=answer_text,
        already_represents=services.already_represents_message(application.applicant)
        if application.applicant.organization_id and application.can_review(current_user) else None,
    )


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@signed_in
def application_edit(application_id):
    """The application form. Whatever button is pressed — save, submit, upload (the file is
    chosen in the form itself) or remove a document — the answers go with it, in one request:
    nothing typed is lost to a reload."""
    application = _load_application(application_id, "can_edit")
    form = application_form_class(application.category)()
    submitting = request.form.get("action") == "submit"
    form.for_submission = submitting
    if request.method == "GET":
        form.load(application)
    elif form.validate_on_submit():
        removed = _document_to_remove(application)
        messages = _save_application(application, form, submitting, removed)
        if messages:
            for message in messages:
                flash(message, "success")
            if request.form.get("action") == "upload" and form.document.data is None:
                flash(_("Choose a file to upload."), "error")
            if submitting:
                return redirect_to(url_for("members.application_detail", application_id=application.id))
            documents = "#documents" if len(messages) > 1 else ""  # a document was added or removed
            return redirect_to(url_for("members.application_edit", application_id=application.id) + documents)
    status = 422 if form.errors or form.form_errors else 200
    return render("members/apply_form.html", status=status, form=form, category=Category(application.category),
                  application=application,
                  warning=_duplicate_warning(form.name.data, form.country.data, application.id))


def _document_to_remove(application):
    """The document whose "Remove" button was pressed (404 for one of another application)."""
    document_id = request.form.get("remove_document", type=int)
    if not document_id:
        return None
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != application.id:
        abort(404)
    return document


def _save_application(application, form, submitting, removed=None):
    """The chosen file first (a refused one writes nothing), then the answers, the removal and the
    submission. Returns the messages for the user; None when something was refused, its reason
    put on the form, which still holds what was typed."""
    actor = current_user._get_current_object()
    added = _add_chosen_document(application, form.document, actor)
    if added is False:
        return None
    try:
        services.update_draft(application, form.to_data(), actor)
        if removed is not None:
            services.remove_document(removed, actor)  # its file goes with it
        if submitting:
            services.submit(application, actor)
    except services.MembershipError as error:
        form.form_errors.append(str(error))
        return None
    messages = []
    if added:
        messages.append(_("“%(name)s” is added.", name=added.original_name))
    if removed is not None:
        messages.append(_("The document is removed."))
    messages.append(_("Your application is submitted. The secretariat will review it and write to you.")
                    if submitting else _("Your draft is saved."))
    return messages


def _add_chosen_document(application, field, actor):
    """The document for the file chosen in `field`: None without a file, False (the reason on the
    field) when the file or the addition is refused. The file is stored with the document's row:
    a refusal rolls both back, so it leaves nothing behind."""
    if field.data is None:
        return None
    try:
        stored = uploads.store_upload(field.data, uploads.DOCUMENT, DOCUMENTS_FOLDER)
    except uploads.UploadRefused as error:
        field.errors.append(str(error))
        return False
    try:
        return services.add_document(application, stored, actor)
    except services.MembershipError as error:
        db.session.rollback()  # the stored file goes with the refused row
        field.errors.append(str(error))
        return False


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@signed_in
def application_withdraw(application_id):
    application = _load_application(application_id, "can_withdraw")
    if ButtonForm().validate_on_submit():
        try:
            notified = services.withdraw(application, current_user)
        except services.MembershipError as error:
            flash(str(error), "error")
        else:
            flash(_("Your application is withdrawn."), "info")
            if not notified:
                flash(_("No email was sent about it: too many emails have gone to your address recently."),
                      "warning")
    return redirect_to(url_for("members.application_detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/documents/<int:document_id>")
@signed_in
def document_download(application_id, document_id):
    application = _load_application(application_id)
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != application.id:
        abort(404)
    return uploads.send_stored_file(DOCUMENTS_FOLDER, document.stored_name, document.original_name,
                                    document.content_type)


# --- The secretariat's review ---------------------------------------------------------

@bp.route("/applications/")
@roles_required(Role.SECRETARIAT)
def application_queue():
    form = QueueFilterForm(request.args)
    form.state.choices = [SelectChoice("", _("Waiting for review"))] + [
        SelectChoice(s.value, s.label) for s in ApplicationState if s != ApplicationState.DRAFT]
    form.validate()
    filters = {name: form[name].data or None for name in ("state", "category", "country")
               if not form[name].errors}
    applications = services.review_queue(**filters)
    return render("members/queue.html", block="queue", form=form, applications=applications,
                  country_name=country_name)


def _review_action(application_id, action):
    application = _load_application(application_id, "can_review")
    form = ReasonForm() if action in ("request_changes", "reject") else ButtonForm()
    if action == "comment":
        form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Please write a message."), "error")
        return redirect_to(url_for("members.application_detail", application_id=application.id) + "#review")
    actor = current_user._get_current_object()
    try:
        if action == "comment":
            services.comment(application, actor, form.message.data, form.visibility.data)
            flash(_("Your comment is added."), "success")
        elif action == "request_changes":
            services.request_changes(application, actor, form.message.data)
            flash(_("Changes requested; the applicant has been emailed."), "success")
        elif action == "reject":
            services.reject(application, actor, form.message.data)
            flash(_("The application is rejected; the applicant has been emailed."), "success")
        elif action == "approve":
            organization = services.approve(application, actor)
            flash(_("Approved: %(name)s is member %(number)s.", name=organization.name,
                    number=organization.membership_number), "success")
    except services.MembershipError as error:
        flash(str(error), "error")
    return redirect_to(url_for("members.application_detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/comments", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def application_comment(application_id):
    return _review_action(application_id, "comment")


@bp.route("/applications/<int:application_id>/request-changes", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def application_request_changes(application_id):
    return _review_action(application_id, "request_changes")


@bp.route("/applications/<int:application_id>/approve", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def application_approve(application_id):
    return _review_action(application_id, "approve")


@bp.route("/applications/<int:application_id>/reject", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def application_reject(application_id):
    return _review_action(application_id, "reject")


# --- The secretariat's member administration ---------------------------------------

@bp.route("/members/")
@roles_required(Role.SECRETARIAT)
def member_list():
    query = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    status = status if status in {s.value for s in MemberStatus} else None
    organizations = services.members(query=query, status=status)
    return render("members/member_list.html", block="member_table", organizations=organizations,
                  query=query, status_filter=status or "", statuses=list(MemberStatus), country_name=country_name)


@bp.route("/members/<int:organization_id>")
@roles_required(Role.SECRETARIAT)
def member_detail(organization_id):
    organization = db.get_or_404(Organization, organization_id)
    return render_template("members/member_detail.html", organization=organization, form=MemberStatusForm(),
                           certificate=services.certificate_of(organization), country_name=country_name)


@bp.route("/members/<int:organization_id>/<any(suspend, reinstate, withdraw):action>", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def member_status(organization_id, action):
    organization = db.get_or_404(Organization, organization_id)
    form = MemberStatusForm()
    if form.validate_on_submit():
        try:
            services.change_member_status(organization, action, current_user._get_current_object(),
                                          reason=form.reason.data, on=form.effective_on.data)
        except services.MembershipError as error:
            flash(str(error), "error")
        else:
            flash(_("%(name)s is now %(state)s.", name=organization.name,
                    state=organization.status_label.lower()), "success")
    else:
        flash(_("Please check the form."), "error")
    return redirect_to(url_for("members.member_detail", organization_id=organization.id))


@bp.route("/honorary/")
@roles_required(Role.SECRETARIAT)
def honorary_list():
    return render_template("members/honorary_list.html", honorary=services.honorary_members(),
                           form=MemberStatusForm())


@bp.route("/honorary/<int:honorary_id>/revoke", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def honorary_revoke(honorary_id):
    honorary = db.get_or_404(HonoraryMember, honorary_id)
    form = MemberStatusForm()
    if form.validate_on_submit():
        try:
            services.revoke_honorary(honorary, current_user._get_current_object(), form.reason.data)
        except services.MembershipError as error:
            flash(str(error), "error")
        else:
            flash(_("The honorary membership of %(name)s is revoked, and so is the certificate; they have been "
                    "emailed.", name=honorary.user.name), "success")
    else:
        flash(_("Please check the form."), "error")
    return redirect_to(url_for("members.honorary_list"))


@bp.route("/honorary/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def honorary_new():
    form = HonoraryForm()
    if form.validate_on_submit():
        try:
            honorary = services.grant_honorary(form.name.data, form.email.data, form.title.data,
                                               form.affiliation.data, form.citation.data,
                                               current_user._get_current_object())
        except services.MembershipError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("Honorary membership granted to %(name)s; an invitation is on its way.",
                    name=honorary.user.name), "success")
            return redirect_to(url_for("members.honorary_list"))
    return render_template("members/honorary_new.html", form=form), 422 if form.errors else 200


@bp.route("/honorary/certificate.pdf")
@roles_required(Role.HONORARY)
def honorary_certificate():
    try:
        certificate = services.honorary_certificate(current_user)
    except services.MembershipError as error:
        flash(str(error), "error")
        return redirect_to(url_for("directory.index"))
    return pdf_response(certificate)


@bp.route("/members/<int:organization_id>/certificate", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def member_certificate_reissue(organization_id):
    organization = db.get_or_404(Organization, organization_id)
    if ButtonForm().validate_on_submit():
        certificate = services.reissue_membership_certificate(organization, current_user._get_current_object())
        flash(_("Certificate %(serial)s is issued; any earlier one is revoked.", serial=certificate.serial), "success")
    return redirect_to(url_for("members.member_detail", organization_id=organization.id))
