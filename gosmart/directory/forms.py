from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError

from ..members.forms import PHONE, CheckboxList, clean_line, clean_text
from ..members.models import PROFILE_FIELD_LABELS, PROFILE_FIELDS, Category
from .services import SORTS


class DirectoryQueryForm(FlaskForm):
    """The directory's state, all in the URL."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[clean_line], validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Category"), validators=[Optional()],
                           choices=[SelectChoice("", _l("All categories"))] +
                           [SelectChoice(c.value, c.label) for c in Category])
    country = SelectField(_l("Country"), validators=[Optional()])
    topic = SelectField(_l("Focus area or sector"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validators=[Optional()], choices=[
        SelectChoice("name", _l("Name")), SelectChoice("newest", _l("Newest members")),
        SelectChoice("country", _l("Country"))])
    after = StringField(filters=[clean_line], validators=[Optional(), Length(max=400)])
    before = StringField(filters=[clean_line], validators=[Optional(), Length(max=400)])

    def value(self, name, default=""):
        field = self[name]
        return default if field.errors or not field.data else field.data


class ProfileForm(FlaskForm):
    contact_name = StringField(_l("Contact person"), filters=[clean_line], validators=[Optional(), Length(max=200)])
    contact_email = EmailField(_l("Email"), filters=[clean_line],
                               validators=[Optional(), Length(max=254), Email(check_deliverability=False)])
    contact_phone = StringField(_l("Phone"), filters=[clean_line], validators=[Optional(), Length(max=40), PHONE])
    website = URLField(_l("Website"), filters=[clean_line], validators=[
        Optional(), Length(max=300), URL(require_tld=True, message=_l("Give a full address, e.g. https://example.org"))])
    description = TextAreaField(_l("Description"), filters=[clean_text], validators=[Optional(), Length(max=4000)])
    topics = CheckboxList(_l("Focus areas or sectors"), validators=[Optional()])
    visible = CheckboxList(_l("Other members see"), validators=[Optional()],
                           choices=[SelectChoice(f, PROFILE_FIELD_LABELS[f]) for f in PROFILE_FIELDS])
    listed_publicly = BooleanField(_l("Show our name, category and country in the public directory"))
    # Saved with the profile, so that choosing a logo never drops what was typed above it.
    logo = FileField(_l("Logo (PNG or JPEG, at most 2 MB)"))

    def validate_website(self, field):
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError(_l("Give a full address, e.g. https://example.org"))


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), filters=[clean_line], validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), filters=[clean_line],
                       validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)])
