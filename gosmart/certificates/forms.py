from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..text import clean_line, clean_text
from .models import CertificateKind, CertificateLanguage

LANGUAGE_CHOICES = [SelectChoice(language.value, language.label) for language in CertificateLanguage]


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[clean_text], validators=[DataRequired(), Length(max=1000)])


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(_l("Verification code or serial number"), filters=[clean_line],
                       validators=[DataRequired(), Length(max=64)],
                       description=_l("The code under the QR code, e.g. 7KQ2-M9XD-4HTR-WB3N (any case; hyphens and "
                                      "spaces do not matter), or the serial number, e.g. GS-CERT-2019-000042."))
    name = StringField(_l("Holder's name (with a serial number)"), filters=[clean_line],
                       validators=[Optional(), Length(max=200)],
                       description=_l("With a serial number, give the name printed on the certificate, or the "
                                      "holder's surname."))


class CertificateLanguagesForm(FlaskForm):
    """The language each kind of certificate is issued in."""
    membership = SelectField(CertificateKind.MEMBERSHIP.label, choices=LANGUAGE_CHOICES, validators=[DataRequired()])
    honorary = SelectField(CertificateKind.HONORARY.label, choices=LANGUAGE_CHOICES, validators=[DataRequired()])
    attendance = SelectField(CertificateKind.ATTENDANCE.label, choices=LANGUAGE_CHOICES, validators=[DataRequired()])
