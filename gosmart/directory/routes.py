"""The member directory, organization profiles, and "My organization"."""
from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import uploads
from ..assemblies import services as assembly_services
from ..auth.models import Role
from ..certificates.routes import pdf_response
from ..csvexport import csv_response
from ..extensions import db
from ..htmx import redirect_to, render, wants_fragment
from ..members import services as member_services
from ..members.forms import FOCUS_AREAS, SECTORS, country_name, topic_label
from ..members.models import LOGO_FOLDER, Organization
from ..members.standing import in_good_standing, why_not
from ..permissions import public, roles_required
from . import bp, services
from .forms import DirectoryQueryForm, InviteForm, ProfileForm


def _query_from_request():
    countries, topics = services.filter_choices()
    form = DirectoryQueryForm(request.args)
    form.country.choices = [SelectChoice("", _("All countries"))] + [
        SelectChoice(c, country_name(c)) for c in countries]
    form.topic.choices = [SelectChoice("", _("All focus areas and sectors"))] + [
        SelectChoice(t, topic_label(t)) for t in topics]
    form.validate()
    query = services.Query(text=form.value("q"), category=form.value("category"), country=form.value("country"),
                           topic=form.value("topic"), sort=form.value("sort", "name"),
                           after=form.value("after"), before=form.value("before"))
    return form, query


def _page_url(query, **cursor):
    args = {k: v for k, v in (("q", query.text), ("category", query.category), ("country", query.country),
                              ("topic", query.topic), ("sort", query.sort if query.sort != "name" else ""))
            if v}
    return url_for("directory.index", **args, **cursor)


@bp.route("/directory/")
@public
def index():
    form, query = _query_from_request()
    page = services.search(query, current_user)
    member_view = services.is_member_view(current_user)
    context = dict(form=form, page=page, query=query, member_view=member_view, country_name=country_name,
                   topic_label=topic_label,
                   next_url=page.next_cursor and _page_url(query, after=page.next_cursor),
                   previous_url=page.previous_cursor and _page_url(query, before=page.previous_cursor))
    if wants_fragment():
        return render("directory/index.html", block="directory_results", **context)
    open_assemblies = (assembly_services.open_for_registration()
                       if member_view and current_user.role == Role.HONORARY else [])
    # A representative of a member not in good standing, or an honorary member whose honour was
    # revoked, is told why the directory shows what visitors see.
    standing_notice = (why_not(current_user) if current_user.is_authenticated and not member_view
                       and current_user.role in (Role.REPRESENTATIVE, Role.HONORARY) else None)
    return render("directory/index.html", figures=services.headline_figures(), open_assemblies=open_assemblies,
                  standing_notice=standing_notice,
                  honorary=services.honorary_section() if member_view else [],
                  export_url=_page_url(query).replace("/directory/", "/directory/export.csv", 1), **context)


@bp.route("/directory/export.csv")
@roles_required(Role.SECRETARIAT)
def export():
    _form, query = _query_from_request()
    return csv_response("gosmart-members.csv", services.EXPORT_HEADER, services.export_rows(query))


@bp.route("/directory/<int:organization_id>")
@public
def profile(organization_id):
    organization = db.session.get(Organization, organization_id)
    if organization is None or not services.can_view_profile(organization, current_user):
        abort(404)
    return render_template("directory/profile.html", organization=organization,
                           visible=services.visible_fields(organization, current_user),
                           topics=services.current_topics(organization), country_name=country_name,
                           topic_label=topic_label)


@bp.route("/directory/<int:organization_id>/logo")
@public
def logo(organization_id):
    organization = db.session.get(Organization, organization_id)
    if (organization is None or not organization.logo_stored_name
            or not services.can_view_profile(organization, current_user)
            or "logo" not in services.visible_fields(organization, current_user)):
        abort(404)
    return uploads.send_stored_file(LOGO_FOLDER, organization.logo_stored_name, "logo")


# --- My organization ---------------------------------------------------------------

def _my_organization():
    organization = current_user.organization
    if organization is None:
        abort(404)
    return organization


def _profile_form(organization, formdata=None):
    form = ProfileForm(formdata=formdata) if formdata is not None else ProfileForm()
    vocabulary = FOCUS_AREAS if organization.category == "city" else SECTORS
    topics = services.current_topics(organization)
    form.topics.choices = [SelectChoice(t, topic_label(t)) for t in sorted(set(vocabulary) | set(topics))]
    return form, topics


@bp.route("/my-organization", methods=["GET", "POST"])
@roles_required(Role.REPRESENTATIVE)
def my_organization():
    organization = _my_organization()
    form, topics = _profile_form(organization)
    if request.method == "GET":
        for name in ("contact_name", "contact_email", "contact_phone", "website", "description"):
            form[name].data = getattr(organization, name)
        form.topics.data = topics
        form.visible.data = list(organization.member_visible_fields or [])
        form.listed_publicly.data = organization.listed_publicly
    elif form.validate_on_submit() and (logo := _store_chosen_logo(organization, form.logo)) is not False:
        data = {name: form[name].data for name in ("contact_name", "contact_email", "contact_phone", "website",
                                                   "description", "topics", "visible", "listed_publicly")}
        services.update_profile(organization, data, current_user._get_current_object())
        if logo:
            flash(_("The logo is updated."), "success")
        flash(_("Your organization's profile is saved."), "success")
        return redirect_to(url_for("directory.my_organization"))
    # A member not in good standing registers no delegates: no invitation to.
    open_assemblies = assembly_services.open_for_registration() if in_good_standing(current_user) else []
    return render("directory/my_organization.html", block="profile_form", status=422 if form.errors else 200,
                  organization=organization, form=form, invite_form=InviteForm(),
                  certificate=member_services.certificate_of(organization),
                  country_name=country_name, open_assemblies=open_assemblies,
                  quota_use=assembly_services.quota_use_by_assembly(organization.id, [a.id for a in open_assemblies]))


@bp.route("/my-organization/validate", methods=["POST"])
@roles_required(Role.REPRESENTATIVE)
def validate_profile():
    organization = _my_organization()
    form, _topics = _profile_form(organization)
    form.validate()
    name = request.headers.get("HX-Trigger-Name", "")
    if not wants_fragment() or name not in form:
        return render("directory/my_organization.html", organization=organization, form=form,
                      invite_form=InviteForm(), country_name=country_name,
                      certificate=member_services.certificate_of(organization))
    return render_template("members/_validated_field.html", field=form[name], warning=None)


def _store_chosen_logo(organization, field):
    """The logo chosen in the profile form, saved with it: None without a file, True once it
    replaces the old one, False (the reason on the field, nothing written) when refused."""
    if field.data is None:
        return None
    try:
        stored = uploads.store_upload(field.data, uploads.LOGO, LOGO_FOLDER)
    except uploads.UploadRefused as error:
        field.errors.append(str(error))
        return False
    # The old logo goes, and the new one is written, with this request's transaction.
    services.set_logo(organization, stored.stored_name, current_user._get_current_object())
    return True


@bp.route("/my-organization/representatives", methods=["POST"])
@roles_required(Role.REPRESENTATIVE)
def invite_representative():
    organization = _my_organization()
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = services.invite_representative(organization, form.name.data, form.email.data,
                                                  current_user._get_current_object())
        except services.ProfileError as error:
            flash(str(error), "error")
        else:
            flash(_("%(email)s is invited to represent %(name)s.", email=user.email, name=organization.name),
                  "success")
    else:
        flash(_("Give a name and a valid email address."), "error")
    return redirect_to(url_for("directory.my_organization") + "#representatives")


@bp.route("/my-organization/certificate.pdf")
@roles_required(Role.REPRESENTATIVE)
def membership_certificate():
    organization = _my_organization()
    try:
        certificate = member_services.membership_certificate(organization)
    except member_services.MembershipError as error:
        flash(str(error), "error")
        return redirect_to(url_for("directory.my_organization"))
    return pdf_response(certificate)
