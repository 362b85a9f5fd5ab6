from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SearchField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal import domain
from portal.fields import SelectField
from portal.opinions.services import CONSULTATION_STATUSES, OPINION_TEXT_MAX, WINDOW_STATES
from portal.text import clean_text
from portal.versioning import VersionedForm

BODY_MAX = 20000


class ConsultationForm(VersionedForm):
    subject = SelectField(
        _l("Subject"), choices=domain.choices(domain.CONSULTATION_SUBJECTS),
        validators=[InputRequired()],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        _l("Text"), validators=[Optional(), Length(max=BODY_MAX)],
        description=_l("Markdown: **bold**, *italic*, lists, links and tables."),
        render_kw={"rows": 12},
    )
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])

    def validate_closes_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The closing date cannot be before the opening date."))


def _clean_text(value):
    # Browsers send line breaks as CRLF but count them as one character (maxlength).
    return clean_text(value) if isinstance(value, str) else value


class OpinionForm(FlaskForm):
    stance = RadioField(
        _l("Your stance"), choices=domain.choices(domain.STANCES),
        validators=[InputRequired(message=_l("Please choose your stance."))],
    )
    text = TextAreaField(
        _l("Your opinion"),
        filters=[_clean_text],
        validators=[
            DataRequired(message=_l("Please write your opinion.")),
            Length(max=OPINION_TEXT_MAX,
                   message=_l("Please keep your opinion under %(max)d characters.")),
        ],
        description=_l("Only you and the staff who read the consultation see your opinion."),
        render_kw={"rows": 8, "maxlength": OPINION_TEXT_MAX},
    )


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


class ConsultationFilterForm(_GetForm):
    """The staff list's filters: the one description of them (see `chosen_filters`)."""

    subject = SelectField(
        _l("Subject"), choices=domain.choices(domain.CONSULTATION_SUBJECTS, blank=_l("All subjects")),
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"), choices=domain.choices(CONSULTATION_STATUSES, blank=_l("All statuses")),
        validators=[Optional()],
    )
    window = SelectField(
        _l("Window"), choices=domain.choices(WINDOW_STATES, blank=_l("Any time")),
        validators=[Optional()],
    )
    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)])


class OpinionFilterForm(_GetForm):
    stance = SelectField(
        _l("Stance"), choices=domain.choices(domain.STANCES, blank=_l("All stances")),
        validators=[Optional()],
    )
