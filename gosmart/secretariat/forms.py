from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ..text import clean_line


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    who = StringField(_l("Who (email)"), filters=[clean_line], validators=[Optional(), Length(max=254)])
    action = StringField(_l("Action"), filters=[clean_line], validators=[Optional(), Length(max=64)])
    object_type = SelectField(_l("Kind of object"), validators=[Optional()])
    object_id = StringField(_l("Object id"), filters=[clean_line], validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    before = IntegerField(validators=[Optional(), NumberRange(min=1)])
