"""Public verification of certificates, and the secretariat's list with revocation."""
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.models import Role
from ..extensions import db, limiter
from ..headers import attachment
from ..htmx import redirect_to, render
from ..permissions import public, roles_required
from . import bp, services
from .forms import CertificateLanguagesForm, RevokeForm, VerifyForm
from .models import Certificate, CertificateKind


def pdf_response(certificate):
    response = Response(services.pdf_of(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = attachment(f"{certificate.serial}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _verify_limit():
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/verify")
@limiter.limit(_verify_limit)
@public
def verify_form():
    """A code as typed goes to its page (/verify/<code>); a serial number, which can be guessed,
    is answered here only with the holder's name as well."""
    form = VerifyForm(request.args)
    if request.args and form.validate():
        serial = services.typed_serial(form.code.data)
        if serial is None:
            code = services.typed_code(form.code.data) or form.code.data.strip()
            return redirect(url_for("certificates.verify", code=services.display_code(code)), 303)
        if not (form.name.data or "").strip():
            form.name.errors.append(_("With a serial number, give the holder's name as well: serial numbers "
                                      "follow each other and can be guessed."))
            return render_template("certificates/verify_form.html", form=form), 422
        certificate = services.find_by_serial(serial, form.name.data)
        return render_template("certificates/verify.html", certificate=certificate, serial=serial), \
            200 if certificate else 404
    return render_template("certificates/verify_form.html", form=form)


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
@public
def verify(code):
    certificate = services.find_by_code(code)
    status = 200 if certificate else 404
    return render_template("certificates/verify.html", certificate=certificate, code=code), status


@bp.route("/certificates/")
@roles_required(Role.SECRETARIAT)
def index():
    query = request.args.get("q", "").strip()[:100]
    return render("certificates/index.html", block="certificate_table", certificates=services.recent(query=query),
                  query=query, form=RevokeForm())


@bp.route("/certificates/<int:certificate_id>.pdf")
@roles_required(Role.SECRETARIAT)
def download(certificate_id):
    return pdf_response(db.get_or_404(Certificate, certificate_id))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def revoke(certificate_id):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    try:
        if not form.validate_on_submit():
            raise services.CertificateError(_("Give the reason for revoking the certificate."))
        services.revoke(certificate, current_user._get_current_object(), form.reason.data)
        db.session.commit()
    except services.CertificateError as error:
        flash(str(error), "error")
    else:
        flash(_("Certificate %(serial)s is revoked.", serial=certificate.serial), "success")
    return redirect_to(url_for("certificates.index"))


@bp.route("/certificates/settings", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def settings():
    """The language of each kind of certificate: English, Chinese or both."""
    current = services.certificate_languages()
    form = CertificateLanguagesForm(data={str(kind): str(language) for kind, language in current.items()})
    if form.validate_on_submit():
        services.set_certificate_languages({kind: form[str(kind)].data for kind in CertificateKind},
                                           current_user._get_current_object())
        db.session.commit()
        flash(_("Certificate languages saved. Certificates issued from now on follow them."), "success")
        return redirect_to(url_for("certificates.settings"))
    return render_template("certificates/settings.html", form=form)
