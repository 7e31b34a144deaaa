from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .. import uploads
from ..assemblies.forms import assembly_select_choices
from ..members.forms import clean_line, clean_text, country_choices
from .models import Party, Visibility
from .services import MouData, Signatory

EMPTY_SIGNATORY_ROWS = 2  # blank rows under the existing signatories, for adding without JavaScript


def optional_int(value):
    """"" and anything not a whole number become None (the service says what is missing)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MouQueryForm(FlaskForm):
    """The list's filters, all in the URL."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    partner = StringField(_l("Partner"), filters=[clean_line], validators=[Optional(), Length(max=100)])
    year = SelectField(_l("Year signed"), validators=[Optional()])

    def value(self, name, default=""):
        field = self[name]
        return default if field.errors or not field.data else field.data


class SignatoryForm(Form):
    """One row of the signatories table (a plain Form: the MOU form carries the CSRF token)."""

    name = StringField(_l("Name"), filters=[clean_line], validators=[Optional(), Length(max=200)])
    title = StringField(_l("Title"), filters=[clean_line], validators=[Optional(), Length(max=200)])
    party = SelectField(_l("Party"), choices=[SelectChoice(p.value, p.label) for p in Party])


class MouForm(FlaskForm):
    title = StringField(_l("Title"), filters=[clean_line],
                        validators=[DataRequired(_l("Give the MOU's title.")), Length(max=300)])
    partner_organization_id = SelectField(_l("Member organization"), coerce=optional_int, validate_choice=False)
    partner_name = StringField(_l("or an outside body"), filters=[clean_line],
                               validators=[Optional(), Length(max=200)],
                               description=_l("For example the Local Government Association of Queensland"))
    partner_country = SelectField(_l("Outside body's country"), choices=country_choices, validators=[Optional()])
    signatories = FieldList(FormField(SignatoryForm), min_entries=EMPTY_SIGNATORY_ROWS, max_entries=20)
    signed_on = DateField(_l("Signing date"), validators=[Optional()],
                          description=_l("A draft may carry the planned date."))
    signing_place = StringField(_l("Signing place"), filters=[clean_line], validators=[Optional(), Length(max=200)])
    effective_on = DateField(_l("Effective date"), validators=[Optional()],
                             description=_l("Left empty, the MOU takes effect when it is signed."))
    expires_on = DateField(_l("Expiry date (optional)"), validators=[Optional()],
                           description=_l("The last day the MOU is in force."))
    scope = TextAreaField(_l("Scope"), filters=[clean_text], validators=[Optional(), Length(max=8000)])
    visibility = SelectField(_l("Who may see it"), default=Visibility.SECRETARIAT.value,
                             choices=[SelectChoice(v.value, v.label) for v in Visibility])
    renews_id = SelectField(_l("Renews"), coerce=optional_int, validate_choice=False)
    assembly_id = SelectField(_l("Signed at the assembly or meeting"), coerce=optional_int, validate_choice=False)
    document = FileField(_l("Signed document (PDF, at most 20 MB)"),
                         validators=[uploads.AcceptedUpload(uploads.MOU_DOCUMENT)])

    def set_choices(self, organizations, renewable, assemblies=()):
        self.partner_organization_id.choices = [SelectChoice("", _l("— an outside body —"))] + [
            SelectChoice(str(i), name) for i, name in organizations]
        self.renews_id.choices = [SelectChoice("", _l("— nothing (a first MOU) —"))] + [
            SelectChoice(str(i), f"{title} ({signed_on.year if signed_on else _l('draft')})")
            for i, title, signed_on in renewable]
        self.assembly_id.choices = assembly_select_choices(assemblies)

    def load(self, data):
        """Fill the form from MouData, with blank signatory rows to add more."""
        for name in ("title", "partner_organization_id", "partner_name", "partner_country", "signed_on",
                     "signing_place", "effective_on", "expires_on", "scope", "visibility", "renews_id", "assembly_id"):
            self[name].data = getattr(data, name)
        while self.signatories.entries:
            self.signatories.pop_entry()
        for signatory in data.signatories + [Signatory("", "", Party.GO_SMART.value)] * EMPTY_SIGNATORY_ROWS:
            self.signatories.append_entry({"name": signatory.name, "title": signatory.title,
                                           "party": signatory.party})

    def to_data(self):
        return MouData(
            title=self.title.data or "",
            partner_organization_id=self.partner_organization_id.data or None,
            partner_name=self.partner_name.data or None,
            partner_country=self.partner_country.data or None,
            signed_on=self.signed_on.data, signing_place=self.signing_place.data or None,
            effective_on=self.effective_on.data, expires_on=self.expires_on.data,
            scope=self.scope.data or "", visibility=self.visibility.data, renews_id=self.renews_id.data or None,
            assembly_id=self.assembly_id.data or None,
            # A row without a name is a blank row, not a signatory.
            signatories=[Signatory(row.form.name.data, row.form.title.data or None, row.form.party.data)
                         for row in self.signatories if row.form.name.data],
        )


class SignForm(FlaskForm):
    signed_on = DateField(_l("Signing date"), validators=[DataRequired(_l("Give the signing date."))])
    signing_place = StringField(_l("Signing place"), filters=[clean_line], validators=[Optional(), Length(max=200)])


class TerminateForm(FlaskForm):
    terminated_on = DateField(_l("Terminated on"), validators=[DataRequired(_l("Give the date of the termination."))])
    reason = TextAreaField(_l("Reason"), filters=[clean_text],
                           validators=[DataRequired(_l("Give the reason for the termination.")), Length(max=2000)])

