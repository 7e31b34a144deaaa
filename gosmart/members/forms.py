"""Application forms, one per category, built on one base so that inline
validation and submission use the very same class."""
import gettext
from functools import cache

import pycountry
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField, EmailField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField,
    TextAreaField, URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import NewPassword
from ..i18n import format_count
from ..text import clean_line, clean_text
from .models import Category, EventVisibility

FOCUS_AREAS = ("smart mobility", "smart energy", "e-government", "health care", "public safety",
               "education", "water", "environment", "housing and buildings", "economy and industry")
SECTORS = ("mobility", "energy", "health", "iot", "ai", "govtech", "water", "security", "fintech",
           "education", "buildings", "environment")
COMPANY_SIZES = ("1-49", "50-249", "250-999", "1000+")
# The words shown for the stored keys above, in the reader's language; a research area an
# academic member typed is shown as typed.
TOPIC_LABELS = {
    "smart mobility": _l("smart mobility"), "smart energy": _l("smart energy"), "e-government": _l("e-government"),
    "health care": _l("health care"), "public safety": _l("public safety"), "education": _l("education"),
    "water": _l("water"), "environment": _l("environment"), "housing and buildings": _l("housing and buildings"),
    "economy and industry": _l("economy and industry"), "mobility": _l("mobility"), "energy": _l("energy"),
    "health": _l("health"), "iot": _l("iot"), "ai": _l("ai"), "govtech": _l("govtech"), "security": _l("security"),
    "fintech": _l("fintech"), "buildings": _l("buildings"),
}
ACADEMIC_KINDS = {"university": _l("University"), "research_institute": _l("Research institute"),
                  "corporate_body": _l("Corporate body")}
PHONE = Regexp(r"^\+?[0-9 ()./-]{5,40}$", message=_l("Use digits, spaces and + ( ) - only, e.g. +886 2 2720 8889."))


# pycountry's catalog for each language of the interface (English needs none).
COUNTRY_CATALOGS = {"zh_Hant_TW": "zh_TW"}
# Where Taiwan's usage differs from the ISO catalog's translation.
COUNTRY_NAMES_ZH_TW = {"AU": "澳洲", "ID": "印尼", "RU": "俄羅斯", "VA": "梵蒂岡", "KP": "北韓"}


@cache
def _country_catalog(locale):
    language = COUNTRY_CATALOGS.get(locale)
    if language is None:
        return None
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return None


def _short_name(country, locale="en"):
    # The name people use: "Taiwan", "South Korea", "Vietnam", not the ISO list's formal one;
    # in Chinese, the name Taiwan uses (臺灣, 南韓, 越南).
    english = getattr(country, "common_name", None) or country.name
    catalog = _country_catalog(locale)
    if catalog is None:
        return english
    if locale == "zh_Hant_TW" and country.alpha_2 in COUNTRY_NAMES_ZH_TW:
        return COUNTRY_NAMES_ZH_TW[country.alpha_2]
    for msgid in (english, country.name):
        translated = catalog.gettext(msgid)
        if translated != msgid:
            return translated
    return english


def _current_locale():
    return str(get_locale() or "en")


@cache
def _country_choices(locale):
    names = sorted((_short_name(c, locale), c.alpha_2) for c in pycountry.countries)
    return [SelectChoice("", _l("Choose a country"))] + [SelectChoice(code, name) for name, code in names]


@cache
def _country_names(locale):
    return {c.alpha_2: _short_name(c, locale) for c in pycountry.countries}


def country_choices():
    """The countries in the request's language, by name (made once per language)."""
    return _country_choices(_current_locale())


def country_name(code):
    return _country_names(_current_locale()).get((code or "").upper(), code)


def topic_label(topic):
    return TOPIC_LABELS.get(topic, topic)


# An application's answers, as the forms below name them.
ANSWER_LABELS = {
    "population": _l("Population"), "head_of_government": _l("Head of government (name and title)"),
    "smart_city_office": _l("Smart-city office or department"), "description": _l("Description"),
    "registration_number": _l("Company registration number"), "size": _l("Company size (employees)"),
    "solutions": _l("Solutions offered"), "kind": _l("Type"), "research_areas": _l("Research areas (comma separated)"),
    "topics": _l("Focus areas or sectors"),
}


def answer_label(key):
    return ANSWER_LABELS.get(key) or key.replace("_", " ").capitalize()


def answer_text(key, value):
    """One answer as text: topics and kinds in the reader's language, numbers as the language writes them."""
    if key == "topics":
        return ", ".join(str(topic_label(t)) for t in value or ())
    if key == "kind":
        return str(ACADEMIC_KINDS.get(value, value or ""))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_count(value)
    return "" if value is None else str(value)


class RequiredToSubmit:
    """Required when the application is submitted; a draft may be saved without it."""

    def __init__(self, message=None):
        self.message = message or _l("This field is required to submit the application.")
        self.field_flags = {}

    def __call__(self, form, field):
        if field.raw_data is not None:  # what was typed, so that "many" in a number field is not "empty"
            empty = not any(str(v).strip() for v in field.raw_data)
        else:
            empty = field.data in (None, "", [])
        if getattr(form, "for_submission", False) and empty:
            raise ValidationError(self.message)
        if empty:
            raise StopValidationQuietly()


class StopValidationQuietly(Exception):
    pass


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def Line(label, max_length=200, required=False, submit_required=False, **kwargs):
    validators = [DataRequired()] if required else [RequiredToSubmit()] if submit_required else [Optional()]
    validators.append(Length(max=max_length))
    return StringField(label, validators=validators + kwargs.pop("validators", []),
                       filters=[clean_line], **kwargs)


class ApplicationForm(FlaskForm):
    """What every category asks: the organization and a contact person."""

    name = Line(_l("Official name in English"), required=True)
    name_local = Line(_l("Name in the local language and script (optional)"), description=_l("For example 臺北市"))
    country = SelectField(_l("Country"), choices=country_choices, validators=[DataRequired()])
    contact_name = Line(_l("Contact person"), submit_required=True)
    contact_title = Line(_l("Contact person's title"))
    contact_email = EmailField(_l("Contact email"), filters=[clean_line],
                               validators=[RequiredToSubmit(), Length(max=254), Email(check_deliverability=False)])
    contact_phone = Line(_l("Contact phone"), max_length=40, validators=[PHONE])
    website = URLField(_l("Website"), filters=[clean_line],
                       validators=[Optional(), Length(max=300),
                                   URL(require_tld=True, message=_l("Give a full address, e.g. https://example.org"))])
    # A supporting document goes with the answers (saving a draft): one request, nothing typed lost.
    document = FileField(_l("Add a document"))
    for_submission = False
    answer_fields = ()
    topic_field = None

    def validate_website(self, field):
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError(_l("Give a full address, e.g. https://example.org"))

    def validate(self, extra_validators=None):
        # RequiredToSubmit stops the chain for an empty optional field without an error.
        ok = True
        for name, field in self._fields.items():
            chain = list((extra_validators or {}).get(name, ()))
            try:
                if not field.validate(self, chain):
                    ok = False
            except StopValidationQuietly:
                field.errors = list(field.process_errors)
        return ok

    def to_data(self):
        """The answers as plain data for the service."""
        data = {name: self[name].data for name in ("name", "name_local", "country", "contact_name",
                                                    "contact_title", "contact_email", "contact_phone", "website")}
        answers = {name: self[name].data for name in self.answer_fields}
        if self.topic_field:
            answers["topics"] = list(self[self.topic_field].data or [])
        data["answers"] = answers
        return data

    def load(self, application):
        """Fill the form from a saved application."""
        for name in ("name", "name_local", "country", "contact_name", "contact_title",
                     "contact_email", "contact_phone", "website"):
            self[name].data = getattr(application, name)
        answers = application.answers or {}
        for name in self.answer_fields:
            if name in answers:
                self[name].data = answers[name]
        if self.topic_field:
            self[self.topic_field].data = answers.get("topics", [])


class CityApplicationForm(ApplicationForm):
    population = IntegerField(_l("Population"), validators=[RequiredToSubmit(), NumberRange(
        min=1, max=100_000_000, message=_l("Give the population as a whole number between 1 and 100,000,000."))])
    head_of_government = Line(_l("Head of government (name and title)"), submit_required=True)
    smart_city_office = Line(_l("Smart-city office or department"), submit_required=True)
    focus_areas = CheckboxList(_l("Focus areas"), choices=[SelectChoice(a, topic_label(a)) for a in FOCUS_AREAS],
                               validators=[Optional()])
    description = TextAreaField(_l("Smart-city priorities (optional)"), filters=[clean_text],
                                validators=[Optional(), Length(max=4000)])
    answer_fields = ("population", "head_of_government", "smart_city_office", "description")
    topic_field = "focus_areas"


class IndustryApplicationForm(ApplicationForm):
    registration_number = Line(_l("Company registration number"), max_length=60, submit_required=True)
    sectors = CheckboxList(_l("Sectors"), choices=[SelectChoice(s, topic_label(s)) for s in SECTORS], validators=[Optional()])
    size = SelectField(_l("Company size (employees)"),
                       choices=[SelectChoice("", _l("Choose"))] + [SelectChoice(s, s) for s in COMPANY_SIZES],
                       validators=[RequiredToSubmit()])
    solutions = TextAreaField(_l("Solutions offered"), filters=[clean_text],
                              validators=[RequiredToSubmit(), Length(max=4000)])
    answer_fields = ("registration_number", "size", "solutions")
    topic_field = "sectors"


class AcademicApplicationForm(ApplicationForm):
    kind = SelectField(_l("Type"), choices=[SelectChoice("", _l("Choose"))] +
                       [SelectChoice(k, v) for k, v in ACADEMIC_KINDS.items()], validators=[RequiredToSubmit()])
    research_areas = Line(_l("Research areas (comma separated)"), max_length=500, submit_required=True)
    description = TextAreaField(_l("About the institution (optional)"), filters=[clean_text],
                                validators=[Optional(), Length(max=4000)])
    answer_fields = ("kind", "research_areas", "description")

    def to_data(self):
        data = super().to_data()
        areas = [a.strip().lower()[:60] for a in (self.research_areas.data or "").split(",") if a.strip()]
        data["answers"]["topics"] = sorted(set(areas))[:20]
        return data


FORMS = {Category.CITY: CityApplicationForm, Category.INDUSTRY: IndustryApplicationForm,
         Category.ACADEMIC: AcademicApplicationForm}


class ApplicantAccountFields(FlaskForm):
    """For a visitor's first save: the account the application will belong to."""

    applicant_name = Line(_l("Your name"), required=True)
    applicant_email = EmailField(_l("Your email"), filters=[clean_line],
                                 validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)])
    password = NewPassword(_l("Choose a password"))


@cache
def application_form_class(category, with_account=False):
    """The form for `category`; with the account fields for a visitor's first save."""
    base = FORMS[Category(category)]
    if not with_account:
        return base
    return type(f"New{base.__name__}", (base,), dict(
        applicant_name=ApplicantAccountFields.applicant_name,
        applicant_email=ApplicantAccountFields.applicant_email,
        password=ApplicantAccountFields.password,
    ))


class ReasonForm(FlaskForm):
    message = TextAreaField(_l("Message"), filters=[clean_text],
                            validators=[DataRequired(message=_l("Please write a message.")), Length(max=4000)])


class CommentForm(ReasonForm):
    visibility = SelectField(_l("Visible to"), choices=[
        SelectChoice(EventVisibility.APPLICANT.value, _l("The applicant (emailed)")),
        SelectChoice(EventVisibility.INTERNAL.value, _l("The secretariat only")),
    ])


class ButtonForm(FlaskForm):
    """A button and its CSRF token."""


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()],
                           choices=[SelectChoice("", _l("All categories"))] +
                           [SelectChoice(c.value, c.label) for c in Category])
    country = SelectField(_l("Country"), choices=country_choices, validators=[Optional()])


class HonoraryForm(FlaskForm):
    name = Line(_l("Name"), required=True)
    email = EmailField(_l("Email"), filters=[clean_line],
                       validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)])
    title = Line(_l("Title or position"))
    affiliation = Line(_l("Affiliation"))
    citation = TextAreaField(_l("Citation"), filters=[clean_text],
                             validators=[DataRequired(), Length(max=2000)])


class MemberStatusForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[clean_text], validators=[Optional(), Length(max=2000)])
    effective_on = DateField(_l("Effective date"), validators=[Optional()])
