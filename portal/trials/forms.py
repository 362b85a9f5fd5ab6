"""Forms of the trials area: staff trial and question forms, the members' application form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal import domain
from portal.trials import services
from portal.versioning import VersionedForm


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as check boxes (the forms macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TrialForm(VersionedForm):
    kind = SelectField(_l("Kind"), choices=domain.choices(domain.TRIAL_KINDS),
                       validators=[InputRequired()])
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000)],
        description=_l("Markdown: **bold**, *italic*, lists, links. Scripts and images are removed."),
    )
    segments = MultiCheckboxField(
        _l("Target segments"), choices=domain.choices(domain.SEGMENTS),
        validators=[DataRequired(message=_l("Choose at least one target segment."))],
    )
    capacity = IntegerField(
        _l("Capacity"), validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("How many members can be accepted. Leave empty for no limit."),
    )
    auto_accept = BooleanField(_l("Accept applications automatically while places are left"))
    enrollment_opens_on = DateField(_l("Enrollment opens on"), validators=[InputRequired()])
    enrollment_closes_on = DateField(_l("Enrollment closes on"), validators=[InputRequired()])
    starts_on = DateField(_l("Trial starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Trial ends on"), validators=[InputRequired()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        errors = services.check_windows(
            self.enrollment_opens_on.data, self.enrollment_closes_on.data,
            self.starts_on.data, self.ends_on.data,
        )
        for name, message in errors.items():
            getattr(self, name).errors.append(message)
        return ok and not errors

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (*services.TRIAL_FIELDS, "segments")}


class QuestionForm(VersionedForm):
    kind = SelectField(_l("Question type"), choices=domain.choices(domain.QUESTION_KINDS),
                       validators=[InputRequired()])
    prompt = StringField(_l("Question"), filters=[_strip], validators=[DataRequired(), Length(max=500)])
    help_text = StringField(_l("Help text"), filters=[_strip], validators=[Optional(), Length(max=500)])
    required = BooleanField(_l("Required: members must answer it to submit"))
    options = TextAreaField(
        _l("Options"), validators=[Length(max=5000)],
        description=_l("For single and multiple choice questions only: one option per line, at "
                       "least two, no duplicates. Ignored for other types."),
    )

    def validate_options(self, field) -> None:
        error = services.options_errors(self.kind.data, services.parse_options(field.data))
        if error:
            from wtforms.validators import ValidationError

            raise ValidationError(error)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in ("kind", "prompt", "help_text",
                                                             "required", "options")}


class OwnerForm(FlaskForm):
    """Add a co-owner to a trial's owning team."""

    # Who may join is the service's rule (add_owner), which also names a refused choice.
    user_id = SelectField(_l("Product staff member"), choices=[], validate_choice=False,
                          validators=[InputRequired(_l("Choose an active member of the product staff."))])

    def setup(self, candidates) -> OwnerForm:
        self.user_id.choices = [("", _l("Choose a person"))] + [
            (str(u.id), f"{u.name} ({u.email})") for u in candidates
        ]
        return self

    def chosen(self) -> int | None:
        value = self.user_id.data or ""
        return int(value) if value.isdigit() and len(value) < 10 else None


class ApplyForm(FlaskForm):
    motivation = TextAreaField(
        _l("Why would you like to take part? (optional)"), validators=[Optional(), Length(max=2000)],
    )


class StaffTrialFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=domain.choices(domain.TRIAL_STATUSES, blank=_l("All")),
                         validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=domain.choices(domain.TRIAL_KINDS, blank=_l("All")),
                       validators=[Optional()])
    segment = SelectField(_l("Segment"), choices=domain.choices(domain.SEGMENTS, blank=_l("All")),
                          validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class EnrollmentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"),
                         choices=domain.choices(domain.ENROLLMENT_STATUSES, blank=_l("All")),
                         validators=[Optional()])
