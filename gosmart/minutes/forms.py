"""Forms of committees, meetings and minutes."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from ..assemblies.forms import assembly_select_choices
from ..members.forms import Line, clean_line, clean_text
from .models import ActionStatus, Audience, AttendanceStatus

GIVE_THE_DATE = _l("Give the date, e.g. 2019-03-27.")
# Blank rows shown after the saved ones, to add an agenda item, a resolution, an action.
BLANK_ROWS = 1


def optional_id(value):
    """A select's value as an id, or None for "none chosen"."""
    if value in (None, "", "None"):
        return None
    return int(value)


def upper(value):
    return value.upper() if value else value


def _add_error(field, message):
    field.errors = [*field.errors, message]


class CommitteeForm(FlaskForm):
    name = Line(_l("Name"), required=True)
    code = StringField(
        _l("Code"), filters=[clean_line, upper],
        description=_l("Capital letters (and digits) that begin resolution numbers, e.g. SC for SC-2019-01."),
        validators=[DataRequired(), Length(max=10), Regexp(
            r"^[A-Z][A-Z0-9]{0,9}$", message=_l("Use up to 10 letters and digits, starting with a letter."))])
    description = TextAreaField(_l("Description"), filters=[clean_text], validators=[Optional(), Length(max=4000)])
    chair_organization_id = SelectField(_l("Chair: a member organization"), coerce=optional_id,
                                        validators=[Optional()])
    chair_person = Line(_l("… or chair: a person"))
    term_start = DateField(_l("Term starts"), validators=[Optional()])
    term_end = DateField(_l("Term ends"), validators=[Optional()])

    def set_organizations(self, organizations):
        self.chair_organization_id.choices = [SelectChoice("", _l("No organization"))] + [
            SelectChoice(str(id_), name) for id_, name in organizations]

    def validate_chair_person(self, field):
        if field.data and self.chair_organization_id.data:
            raise ValidationError(_l("The chair is an organization or a person, not both."))

    def validate_term_end(self, field):
        if field.data and self.term_start.data and field.data < self.term_start.data:
            raise ValidationError(_l("The term cannot end before it starts."))

    def to_data(self):
        return {name: self[name].data for name in ("name", "code", "description", "chair_organization_id",
                                                   "chair_person", "term_start", "term_end")}


class CommitteeMemberForm(FlaskForm):
    organization_id = SelectField(_l("A member organization"), coerce=optional_id, validators=[Optional()])
    person_name = Line(_l("… or a person"))

    def set_organizations(self, organizations):
        self.organization_id.choices = [SelectChoice("", _l("Choose an organization"))] + [
            SelectChoice(str(id_), name) for id_, name in organizations]

    def validate_person_name(self, field):
        if bool(field.data) == bool(self.organization_id.data):
            raise ValidationError(_l("Choose an organization or write a person's name (one of the two)."))


class MeetingForm(FlaskForm):
    held_on = DateField(_l("Date of the meeting"), validators=[InputRequired(message=GIVE_THE_DATE)])
    place = Line(_l("Place"), required=True)
    assembly_id = SelectField(_l("Held at the assembly"), coerce=optional_id,
                              validate_choice=False)

    def set_assemblies(self, assemblies):
        """(id, title, starts_at) of the assemblies, the latest first."""
        self.assembly_id.choices = assembly_select_choices(assemblies)


# --- The minutes ------------------------------------------------------------------------

class AttendanceRow(Form):
    member = IntegerField(validators=[InputRequired()])
    status = SelectField(_l("Attendance"), choices=[SelectChoice(s.value, s.label) for s in AttendanceStatus])


class AgendaItemRow(Form):
    title = Line(_l("Agenda item"), max_length=300)
    discussion = TextAreaField(_l("Discussion (Markdown)"), filters=[clean_text],
                               validators=[Optional(), Length(max=20000)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.discussion.data and not self.title.data:
            _add_error(self.title, _l("Give this agenda item a title."))
            return False
        return ok


class ResolutionRow(Form):
    # The number a resolution was given at an earlier approval; the service keeps it only if it is one.
    number = HiddenField(filters=[clean_line], validators=[Optional(), Length(max=30)])
    text = TextAreaField(_l("Resolution"), filters=[clean_text], validators=[Optional(), Length(max=4000)])


class ActionItemRow(Form):
    description = Line(_l("Action"), max_length=500)
    owner = Line(_l("Owner"))
    due_on = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[SelectChoice(s.value, s.label) for s in ActionStatus])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if (self.owner.data or self.due_on.data) and not self.description.data:
            _add_error(self.description, _l("Say what is to be done."))
            ok = False
        if self.description.data and not self.owner.data:
            _add_error(self.owner, _l("Name who will do it."))
            ok = False
        return ok


class MinutesForm(FlaskForm):
    """The whole minutes, saved as one revision. `based_on` is the revision the editor
    started from; the template writes it in a hidden input the autosave keeps up to date."""

    based_on = IntegerField(validators=[InputRequired()])
    held_on = DateField(_l("Date of the meeting"), validators=[InputRequired(message=GIVE_THE_DATE)])
    place = Line(_l("Place"), required=True)
    attendance = FieldList(FormField(AttendanceRow), max_entries=200)
    guests = TextAreaField(_l("Guests (one per line)"), filters=[clean_text], validators=[Optional(), Length(max=4000)])
    items = FieldList(FormField(AgendaItemRow), max_entries=60)
    resolutions = FieldList(FormField(ResolutionRow), max_entries=60)
    action_items = FieldList(FormField(ActionItemRow), max_entries=100)

    @classmethod
    def for_content(cls, content, attendance, based_on):
        """A form showing saved content (not the request's), with blank rows to add more."""
        def due(row):
            return dict(row, due_on=date.fromisoformat(row["due_on"]) if row.get("due_on") else None)

        data = {
            "based_on": based_on,
            "held_on": date.fromisoformat(content["held_on"]),
            "place": content.get("place", ""),
            "attendance": attendance,
            "guests": "\n".join(content.get("guests", [])),
            "items": list(content.get("items", [])) + [{}] * BLANK_ROWS,
            "resolutions": list(content.get("resolutions", [])) + [{}] * BLANK_ROWS,
            "action_items": [due(row) for row in content.get("action_items", [])] + [{}] * BLANK_ROWS,
        }
        return cls(formdata=None, data=data)

    def to_data(self):
        """The answers as plain data for the service. (Rows are read through `.form`: a
        FormField has attributes of its own, such as `description`, that hide the row's fields.)"""
        return {
            "held_on": self.held_on.data,
            "place": self.place.data,
            "attendance": [{"member": row.form.member.data, "status": row.form.status.data} for row in self.attendance],
            "guests": self.guests.data or "",
            "items": [{"title": row.form.title.data, "discussion": row.form.discussion.data} for row in self.items],
            "resolutions": [{"number": row.form.number.data or None, "text": row.form.text.data}
                            for row in self.resolutions],
            "action_items": [{"description": row.form.description.data, "owner": row.form.owner.data,
                              "due_on": row.form.due_on.data, "status": row.form.status.data}
                             for row in self.action_items],
        }


class ApproveForm(FlaskForm):
    revision = IntegerField(validators=[InputRequired()])


class PublishForm(FlaskForm):
    audience = SelectField(_l("Publish to"), choices=[SelectChoice(a.value, a.label) for a in Audience])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Reason for reopening"), filters=[clean_text],
                           validators=[DataRequired(message=_l("Give the reason for reopening the minutes.")),
                                       Length(max=2000)])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[clean_line], validators=[Optional(), Length(max=100)])


class ButtonForm(FlaskForm):
    """A button and its CSRF token."""
