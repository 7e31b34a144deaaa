from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter, login_manager, public_check_limit
from ..headers import local_path
from ..htmx import redirect_to, render, same_page
from ..mail_limits import TooManyEmails
from ..permissions import public, roles_required, signed_in
from . import bp, services
from .forms import ConfirmForm, LoginForm, PasswordChangeForm, PasswordForgotForm, PasswordResetForm, StaffAccountForm
from .models import Role, User

# Where each role starts after signing in.
HOME_ENDPOINTS = {
    Role.SECRETARIAT: "secretariat.dashboard",
    Role.DOOR_STAFF: "checkin.index",
    Role.REPRESENTATIVE: "directory.my_organization",
    Role.HONORARY: "directory.index",
    Role.APPLICANT: "members.my_applications",
}


def home_url(user):
    return url_for(HOME_ENDPOINTS[Role(user.role)])


@login_manager.user_loader
def load_user(cookie_id):
    user_id, _sep, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit():
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user:
            login_user(user, remember=form.remember.data)
            return redirect_to(local_path(request.args.get("next")) or home_url(user))
        # One answer for an unknown email, a wrong password and a deactivated account.
        form.password.errors.append(_("Email or password is not right."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    services.logout(current_user._get_current_object())
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect_to(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            notified = services.change_password(user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            login_user(user)  # this session goes on; every other one has ended
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            if not notified:
                flash(_("No email was sent about it: too many emails have gone to your address recently."),
                      "warning")
            return redirect_to(home_url(user))
    return render_template("auth/change_password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@public
def forgot_password():
    form = PasswordForgotForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(_("If an account uses this address, a link to set a new password is on its way. "
                "It works for one hour."), "info")
        return redirect_to(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(public_check_limit)
@public
def reset_password(token):
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        services.reset_password(user, form.new_password.data)
        flash(_("Your password is set. Please sign in."), "success")
        return redirect_to(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user)


# --- Staff accounts, for the secretariat ---------------------------------------

@bp.route("/accounts/")
@roles_required(Role.SECRETARIAT)
def accounts():
    query = request.args.get("q", "").strip()[:100]
    return render("auth/accounts.html", block="accounts_table",
                  accounts=services.staff_accounts(query), query=query)


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def new_account():
    form = StaffAccountForm()
    if form.validate_on_submit():
        try:
            user = services.create_staff_account(
                form.name.data, form.email.data, form.role.data, current_user._get_current_object())
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("Account created for %(email)s; an email invites them to set a password.",
                    email=user.email), "success")
            return redirect_to(url_for("auth.accounts"))
    return render_template("auth/new_account.html", form=form), 422 if form.errors else 200


@bp.route("/accounts/<int:user_id>/active", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def set_account_active(user_id):
    user = db.get_or_404(User, user_id)
    if user.role not in {str(r) for r in services.STAFF_ROLES}:
        abort(403)
    active = request.form.get("active") == "1"
    try:
        services.set_account_active(user, active, current_user._get_current_object())
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        flash(_("%(email)s is now %(state)s.", email=user.email,
                state=_("active") if active else _("deactivated")), "success")
    # Back to the list as it was searched.
    return redirect_to(same_page(request.form.get("back"), url_for("auth.accounts")) or url_for("auth.accounts"))


# --- Email confirmation ----------------------------------------------------------

@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit(public_check_limit)
@public
def confirm_email(token):
    """The link in the email shows a button; the POST confirms (no change on GET)."""
    user = services.user_for_confirmation_token(token)
    if user is None:
        return render_template("auth/confirm_invalid.html"), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        services.confirm_email(user)
        flash(_("Thank you: your email address is confirmed."), "success")
        if current_user.is_authenticated:
            return redirect_to(home_url(current_user))
        return redirect_to(url_for("auth.login"))
    return render_template("auth/confirm_email.html", form=form, user=user)


@bp.route("/confirm-email/resend", methods=["POST"])
@signed_in
def resend_confirmation():
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.email_confirmed_at is None:
        user = current_user._get_current_object()
        try:
            services.send_email_confirmation(user, sender=user)
        except TooManyEmails as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    # Back to the page it was asked from (the application form), whose section is then replaced.
    return redirect_to(local_path(request.form.get("next")) or home_url(current_user))
