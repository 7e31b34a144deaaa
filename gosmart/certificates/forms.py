from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..text import clean_line, clean_text
from .models import CertificateKind, CertificateLanguage

LANGUAGE_CHOICES = [SelectChoice(language.value, language.label) for language in CertificateLanguage]


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[clean_text], validators=[DataRequired(), Length(max=1000)])


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), filters=[clean_line], validators=[DataRequired(), Length(max=64)])


class CertificateLanguagesForm(FlaskForm):
    """The language each kind of certificate is issued in."""
    membership = SelectField(CertificateKind.MEMBERSHIP.label, choices=LANGUAGE_CHOICES, validators=[DataRequired()])
    honorary = SelectField(CertificateKind.HONORARY.label, choices=LANGUAGE_CHOICES, validators=[DataRequired()])
    attendance = SelectField(CertificateKind.ATTENDANCE.label, choices=LANGUAGE_CHOICES, validators=[DataRequired()])
