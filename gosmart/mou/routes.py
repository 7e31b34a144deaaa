"""MOU records: the list (its filters in the URL), the detail page, the signed document,
and the secretariat's forms to record, edit, sign and terminate.

Visibility is one rule (Mou.can_view / Mou.visible_to) applied to the list, the page and
the download alike; an MOU the user may not see is a 404, so its existence is not revealed."""
from datetime import date

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import uploads
from ..assemblies import services as assembly_services
from ..auth.models import Role
from ..extensions import db
from ..htmx import redirect_to, render
from ..members.forms import country_name
from ..permissions import public, roles_required
from . import bp, services
from .forms import MouForm, MouQueryForm, SignForm, TerminateForm
from .models import DOCUMENT_FOLDER, Mou, is_secretariat


def _today():
    return date.today()


def _user():
    return current_user._get_current_object()


def _visible_or_404(mou_id):
    mou = services.visible_mou(mou_id, current_user)
    if mou is None:
        abort(404)
    return mou


def _show_errors(form, error):
    """The service's messages beside the fields they concern, the rest above the form."""
    for name, message in error.errors.items():
        if name in form and name != "signatories":
            form[name].errors.append(message)
        else:
            form.form_errors.append(message)


# --- Reading: everyone, each seeing what their role allows ------------------------------

@bp.route("/mous/")
@public
def index():
    form = MouQueryForm(request.args)
    form.status.choices = [SelectChoice("", _("Any status"))] + [
        SelectChoice(s.value, s.label) for s in services.statuses(current_user)]
    form.year.choices = [SelectChoice("", _("Any year"))] + [
        SelectChoice(str(y), str(y)) for y in services.years(current_user)]
    form.validate()
    year = form.value("year")
    query = services.Query(status=form.value("status"), partner=form.value("partner"),
                           year=int(year) if year else None)
    today = _today()
    return render("mou/index.html", block="mou_results", form=form, query=query, today=today,
                  mous=services.search(query, current_user, today), country_name=country_name,
                  secretariat_view=is_secretariat(current_user))


def _detail_page(mou, sign_form=None, terminate_form=None, status=200):
    today = _today()
    if sign_form is None:
        planned = mou.signed_on if mou.signed_on and mou.signed_on <= today else today
        sign_form = SignForm(formdata=None, signed_on=planned, signing_place=mou.signing_place)
    if terminate_form is None:
        terminate_form = TerminateForm(formdata=None, terminated_on=today)
    earlier, later = services.renewal_chain(mou, current_user)
    return render("mou/detail.html", block="mou_detail", status=status, mou=mou, today=today,
                  earlier=earlier, later=later, sign_form=sign_form, terminate_form=terminate_form,
                  country_name=country_name, secretariat_view=is_secretariat(current_user))


@bp.route("/mous/<int:mou_id>")
@public
def detail(mou_id):
    return _detail_page(_visible_or_404(mou_id))


@bp.route("/mous/<int:mou_id>/document")
@public
def document(mou_id):
    mou = _visible_or_404(mou_id)
    if not mou.document_stored_name:
        abort(404)
    return uploads.send_stored_file(DOCUMENT_FOLDER, mou.document_stored_name, mou.document_name,
                                    "application/pdf")


# --- The secretariat's forms ----------------------------------------------------------

def _mou_form(mou=None):
    form = MouForm()
    form.set_choices(services.partner_choices(), services.renewable_choices(exclude_id=mou.id if mou else None),
                     assembly_services.assembly_choices())
    return form


def _save(form, mou):
    """Create (mou is None) or update from a submitted form. The document is stored with the
    MOU's row, in one transaction: a refusal rolls both back and leaves no file behind."""
    if form.validate_on_submit():
        try:
            document = None
            if form.document.data:
                document = uploads.store_upload(form.document.data, uploads.MOU_DOCUMENT, DOCUMENT_FOLDER)
            if mou is None:
                saved = services.record(form.to_data(), _user(), _today(), document)
            else:
                saved = mou
                services.amend(mou, form.to_data(), _user(), _today(), document)
        except uploads.UploadRefused as error:
            form.document.errors.append(str(error))
        except services.MouError as error:
            db.session.rollback()
            _show_errors(form, error)
        else:
            flash(_("“%(title)s” is saved.", title=saved.title), "success")
            return redirect_to(url_for("mou.detail", mou_id=saved.id))
    status = 422 if form.errors or form.form_errors else 200
    return render("mou/form.html", status=status, form=form, mou=mou)


@bp.route("/mous/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def new():
    """A new draft; ?renews=<id> starts it as the renewal of that MOU."""
    form = _mou_form()
    if request.method == "GET":
        renewed = db.session.get(Mou, request.args.get("renews", type=int) or 0)
        form.load(services.data_of(renewed, renewal=True) if renewed else services.MouData(title=""))
    return _save(form, None)


@bp.route("/mous/<int:mou_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def edit(mou_id):
    mou = db.get_or_404(Mou, mou_id)
    form = _mou_form(mou)
    if request.method == "GET":
        form.load(services.data_of(mou))
    return _save(form, mou)


@bp.route("/mous/<int:mou_id>/sign", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def sign(mou_id):
    mou = db.get_or_404(Mou, mou_id)
    form = SignForm()
    if form.validate_on_submit():
        try:
            services.sign(mou, form.signed_on.data, form.signing_place.data, _user(), _today())
        except services.MouError as error:
            _show_errors(form, error)
        else:
            flash(_("“%(title)s” is signed.", title=mou.title), "success")
            return redirect_to(url_for("mou.detail", mou_id=mou.id))
    return _detail_page(mou, sign_form=form, status=422)


@bp.route("/mous/<int:mou_id>/terminate", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def terminate(mou_id):
    mou = db.get_or_404(Mou, mou_id)
    form = TerminateForm()
    if form.validate_on_submit():
        try:
            services.terminate(mou, form.terminated_on.data, form.reason.data, _user(), _today())
        except services.MouError as error:
            _show_errors(form, error)
        else:
            flash(_("“%(title)s” is terminated.", title=mou.title), "info")
            return redirect_to(url_for("mou.detail", mou_id=mou.id))
    return _detail_page(mou, terminate_form=form, status=422)
