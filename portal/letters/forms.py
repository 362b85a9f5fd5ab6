"""Forms of letters, typed-in figures, service stars and classic cases, and the filters of the
scoreboard and the case library. The services check the values (LetterRefused names the field);
the forms carry them and keep what was typed when a save is refused."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l, lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import domain as portal_domain
from portal.fields import SelectField
from portal.letters import domain
from portal.letters.measures import measure_choices
from portal.text import clean_text
from portal.versioning import VersionedForm

TOO_LONG = _l("Please use at most %(max)s characters.")
BAD_DATE = _l("Please give a date such as 2026-06-30.")
CITATION_NEEDED = _l("Please write the citation: what they did for customers.")
LESSON_NEEDED = _l("Please write the lesson: what others can learn from it.")
CLOSED_RECORD = _l("A closed record: an item done or verified, or a support request closed.")


def _strip(value):
    return clean_text(value).strip() if isinstance(value, str) else value


def year_choices(current: int, around: int = 2) -> list[tuple[str, str]]:
    return [(str(y), str(y)) for y in range(current + 1, current - around - 1, -1)]


class PrepareForm(FlaskForm):
    year = SelectField(_l("Year"), choices=[])


class TargetForm(VersionedForm):
    measure = SelectField(lazy_pgettext("letter target", "Measure"), choices=[])
    target = StringField(_l("Target"), filters=[_strip],
                         validators=[InputRequired(_l("Please give a number such as 95 or 4.5."))],
                         description=_l("Shares and NPS in points (95 means 95%); ratings 1-5."),
                         render_kw={"inputmode": "decimal", "maxlength": 12})


class TaskForm(VersionedForm):
    title = StringField(_l("Key task"), filters=[_strip],
                        validators=[DataRequired(_l("Please describe the key task.")),
                                    Length(max=200, message=TOO_LONG)],
                        render_kw={"maxlength": 200})
    due_on = DateField(_l("Due date"), validators=[InputRequired(BAD_DATE)],
                       invalid_value_message=BAD_DATE)


class VersionOnlyForm(VersionedForm):
    """A button's form on a letter (remove a target): the letter's version only."""


class SignOffForm(VersionedForm):
    unit_head = StringField(_l("Unit head who signed"), filters=[_strip],
                            validators=[DataRequired(_l("Please name the unit head who signed the letter.")),
                                        Length(max=100, message=TOO_LONG)],
                            render_kw={"maxlength": 100, "autocomplete": "off"})


class EntryForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), choices=[])
    measure = SelectField(lazy_pgettext("letter target", "Measure"), choices=[])
    period = SelectField(_l("Month or quarter"), choices=[])
    value = StringField(_l("Figure"), filters=[_strip],
                        validators=[InputRequired(_l("Please give a number such as 95 or 4.5."))],
                        render_kw={"inputmode": "decimal", "maxlength": 12})

    def setup(self, units, year: int) -> EntryForm:
        self.unit_id.choices = [("", _l("Choose a unit"))] + [(str(u.id), u.name) for u in units]
        self.measure.choices = measure_choices(entered_only=True)
        self.period.choices = domain.period_choices(year, with_year=False)
        return self


class StarForm(FlaskForm):
    user_id = SelectField(_l("Staff member"), choices=[])
    year = SelectField(_l("Year"), choices=[])
    citation = TextAreaField(_l("Citation"), filters=[_strip],
                             validators=[DataRequired(CITATION_NEEDED), Length(max=5000, message=TOO_LONG)],
                             render_kw={"rows": 5, "maxlength": 5000})
    items = StringField(_l("Improvement items behind it"), filters=[_strip],
                        description=_l("Their numbers, separated by commas (such as 12, 15)."),
                        validators=[Optional(), Length(max=500, message=TOO_LONG)])
    requests = StringField(_l("Support requests behind it"), filters=[_strip],
                           description=_l("Their numbers, separated by commas."),
                           validators=[Optional(), Length(max=500, message=TOO_LONG)])


class CaseForm(FlaskForm):
    record_kind = SelectField(_l("Kind of record"), choices=[])
    record_id = StringField(_l("Record number"), filters=[_strip],
                            validators=[InputRequired(_l("Please give the record's number."))],
                            description=CLOSED_RECORD,
                            render_kw={"inputmode": "numeric", "maxlength": 9})
    lesson = TextAreaField(_l("Lesson"), filters=[_strip],
                           validators=[DataRequired(LESSON_NEEDED), Length(max=5000, message=TOO_LONG)],
                           description=_l("What others can learn from it, for training."),
                           render_kw={"rows": 6, "maxlength": 5000})

    def setup(self) -> CaseForm:
        self.record_kind.choices = portal_domain.choices(domain.RECORD_KINDS)
        return self


class ScoreboardFilterForm(FlaskForm):
    class Meta:
        csrf = False

    year = SelectField(_l("Year"), choices=[], validators=[Optional()])
    period = SelectField(_l("Period"), choices=[], validators=[Optional()])


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    commitment = SelectField(_l("Service commitment"),
                             choices=portal_domain.choices(portal_domain.COMMITMENTS, blank=_l("All")),
                             validators=[Optional()])
    unit_id = SelectField(_l("Unit"), choices=[], validators=[Optional()])
    year = SelectField(_l("Year"), choices=[], validators=[Optional()])
