from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from ..members.forms import clean_line, clean_text
from .models import AssemblyKind, DelegateRole, RegistrationState

TIMEZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def assembly_select_choices(assemblies):
    """A select's choices from services.assembly_choices(), "none" first."""
    return [SelectChoice("", _l("— none —"))] + [
        SelectChoice(str(i), f"{title} ({starts_at:%Y-%m-%d})") for i, title, starts_at in assemblies]


class AssemblyForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=[SelectChoice(k.value, k.label) for k in AssemblyKind])
    title = StringField(_l("Title"), filters=[clean_line], validators=[DataRequired(), Length(max=200)])
    timezone = SelectField(_l("Venue's time zone"), default="Asia/Taipei",
                           choices=[SelectChoice(z, z) for z in TIMEZONES])
    starts_at = DateTimeLocalField(_l("Starts (venue time)"), validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (venue time)"), validators=[DataRequired()])
    venue = StringField(_l("Venue"), filters=[clean_line], validators=[DataRequired(), Length(max=200)])
    city = StringField(_l("City"), filters=[clean_line], validators=[DataRequired(), Length(max=100)])
    capacity = IntegerField(_l("Capacity"), validators=[DataRequired(), NumberRange(min=1, max=100_000)])
    registration_opens_at = DateTimeLocalField(_l("Registration opens (venue time)"), validators=[DataRequired()])
    registration_closes_at = DateTimeLocalField(_l("Registration closes (venue time)"), validators=[DataRequired()])
    delegate_quota = IntegerField(_l("Delegates per member organization"), default=3,
                                  validators=[DataRequired(), NumberRange(min=1, max=100)])
    honorary_may_register = BooleanField(_l("Honorary members may register"), default=True)
    observers_allowed = BooleanField(_l("Observers may register"), default=True)
    description = TextAreaField(_l("Description"), filters=[clean_text], validators=[Optional(), Length(max=4000)])

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must come after the start."))

    def validate_registration_closes_at(self, field):
        opens = self.registration_opens_at.data
        if opens and field.data and field.data <= opens:
            raise ValidationError(_l("Registration must close after it opens."))
        if self.ends_at.data and field.data and field.data > self.ends_at.data:
            raise ValidationError(_l("Registration must close before the assembly ends."))


class RegistrationForm(FlaskForm):
    name = StringField(_l("Name"), filters=[clean_line], validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Title or position"), filters=[clean_line], validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), filters=[clean_line],
                       validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)])
    role = SelectField(_l("Role"))
    dietary_needs = StringField(_l("Dietary needs (optional)"), filters=[clean_line],
                                validators=[Optional(), Length(max=300)])
    accessibility_needs = StringField(_l("Accessibility needs (optional)"), filters=[clean_line],
                                      validators=[Optional(), Length(max=300)])
    override_reason = StringField(_l("Reason to go past the capacity (secretariat, optional)"), filters=[clean_line],
                                  validators=[Optional(), Length(max=500)])

    def set_roles(self, roles):
        self.role.choices = [SelectChoice(r.value, r.label) for r in roles]


class HonoraryRegistrationForm(FlaskForm):
    dietary_needs = RegistrationForm.dietary_needs
    accessibility_needs = RegistrationForm.accessibility_needs


class CancelAssemblyForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[clean_text], validators=[DataRequired(), Length(max=2000)])


class ButtonForm(FlaskForm):
    """A button and its CSRF token."""


class RegistrationFilterForm(FlaskForm):
    class Meta:
        csrf = False

    # Typed, not chosen from a list: the largest assemblies have thousands of organizations.
    organization = StringField(_l("Organization"), filters=[clean_line], validators=[Optional(), Length(max=100)])
    state = SelectField(_l("State"), validators=[Optional()], choices=[SelectChoice("", _l("All states"))] +
                        [SelectChoice(s.value, s.label) for s in RegistrationState])
    role = SelectField(_l("Role"), validators=[Optional()], choices=[SelectChoice("", _l("All roles"))] +
                       [SelectChoice(r.value, r.label) for r in DelegateRole])
