from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..members.forms import clean_line, clean_text


class ScanForm(FlaskForm):
    client_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    token = StringField(_l("Ticket code"), filters=[clean_line], validators=[Optional(), Length(max=200)])
    registration_id = IntegerField(validators=[Optional()])
    station = StringField(_l("Station"), filters=[clean_line], validators=[Optional(), Length(max=60)])
    scanned_at = StringField(filters=[clean_line], validators=[Optional(), Length(max=40)])  # the station's clock, ISO 8601

    def scanned_at_utc(self):
        """When the station scanned (a queued scan is sent later), or None if unreadable."""
        try:
            moment = datetime.fromisoformat(self.scanned_at.data or "")
        except ValueError:
            return None
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class UndoForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[clean_text], validators=[DataRequired(), Length(max=1000)])


class AssignForm(FlaskForm):
    user_id = SelectField(_l("Door staff"), coerce=int)


class ButtonForm(FlaskForm):
    """A button and its CSRF token."""


class BulkForm(FlaskForm):
    email_links = BooleanField(_l("Also email each attendee a link to their certificate"))
