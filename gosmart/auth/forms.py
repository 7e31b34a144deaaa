from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..text import clean_line
from .models import STAFF_ROLES
from .services import password_problem

EMAIL_MAX = 254


class EmailAddress(EmailField):
    """An email field that trims and validates the address (not deliverability)."""

    def __init__(self, label=_l("Email"), **kwargs):
        validators = [DataRequired(), Length(max=EMAIL_MAX), Email(check_deliverability=False)]
        super().__init__(label, validators=validators, filters=[clean_line], **kwargs)


class NewPassword(PasswordField):
    def __init__(self, label=_l("New password"), **kwargs):
        super().__init__(label, validators=[DataRequired()], **kwargs)

    def pre_validate(self, form):
        problem = password_problem(self.data or "")
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = EmailAddress()
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new_password = NewPassword()
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class PasswordForgotForm(FlaskForm):
    email = EmailAddress()


class PasswordResetForm(FlaskForm):
    new_password = NewPassword()
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class StaffAccountForm(FlaskForm):
    name = StringField(_l("Name"), filters=[clean_line], validators=[DataRequired(), Length(max=200)])
    email = EmailAddress()
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, r.label) for r in STAFF_ROLES])


class ConfirmForm(FlaskForm):
    """A button and its CSRF token."""
