"""Forms of the trials area: staff trial and question forms, the members' application form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    IntegerField,
    RadioField,
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


TARGETING_FIELDS = ("segments", "districts", "handset_os", "network_generation", "plan_type")


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
    districts = MultiCheckboxField(
        _l("Districts"), choices=domain.choices(domain.DISTRICTS), validators=[Optional()],
        description=_l("Leave all unticked for every district."),
    )
    handset_os = MultiCheckboxField(
        _l("Handset operating system"), choices=domain.choices(domain.HANDSET_OS),
        validators=[Optional()],
        description=_l("Profile conditions: leave all unticked for any. Members whose profile does "
                       "not say are left out once you tick one."),
    )
    network_generation = MultiCheckboxField(
        _l("Network generation"), choices=domain.choices(domain.NETWORK_GENERATIONS),
        validators=[Optional()], description=_l("Leave all unticked for any."),
    )
    plan_type = MultiCheckboxField(
        _l("Plan type"), choices=domain.choices(domain.PLAN_TYPES), validators=[Optional()],
        description=_l("Leave all unticked for any."),
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
        return {name: getattr(self, name).data for name in (*services.TRIAL_FIELDS, *TARGETING_FIELDS)}


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

    # In English, optional (portal.trials.questionnaire): members reading English see it.
    prompt_en = StringField(_l("Question in English"), filters=[_strip],
                            validators=[Optional(), Length(max=500)],
                            description=_l("Optional: members reading English see it instead."))
    help_text_en = StringField(_l("Help text in English"), filters=[_strip],
                               validators=[Optional(), Length(max=500)])
    options_en = TextAreaField(
        _l("Options in English"), validators=[Optional(), Length(max=5000)],
        description=_l("Optional: one per option, in the same order."),
    )
    # The show-if rule: offered earlier questions of a kind that can be compared (`setup`); the
    # service refuses any other (forward, itself, a kind that cannot be compared).
    show_if_question = SelectField(
        _l("Show this question only if the answer to"), choices=[], validate_choice=False,
        validators=[Optional()],
        description=_l("Leave “Always shown” unless this question follows up an earlier answer."),
    )
    show_if_operator = SelectField(_l("Condition"), choices=[], validators=[Optional()])
    show_if_number = IntegerField(_l("Value (rating or NPS)"), validators=[Optional()],
                                  description=_l("A whole number on the earlier question's scale."))
    show_if_choices = MultiCheckboxField(
        _l("Answers (choice or yes / no)"), choices=[], validate_choice=False,
        validators=[Optional()],
        description=_l("Tick the answers of the earlier question the condition names."),
    )

    def setup(self, trial, question=None) -> QuestionForm:
        """Offer the earlier questions a rule can read, and their answers."""
        from portal.trials import questionnaire

        earlier = [q for q in trial.questions if q.kind in questionnaire.OPERATORS_BY_KIND
                   and (question is None or q.position < question.position)]
        self._source_kinds = {str(q.id): q.kind for q in trial.questions}
        self.show_if_question.choices = [("", _l("Always shown"))] + [
            (str(q.id), f"{q.position + 1}. {q.prompt[:80]}") for q in earlier]
        self.show_if_operator.choices = [("", "—")] + list(questionnaire.OPERATORS.items())
        choices = []
        for q in earlier:
            if q.kind == "yesno":
                choices += [(f"{q.id}:yes", f"{q.position + 1}. {_l('Yes')}"),
                            (f"{q.id}:no", f"{q.position + 1}. {_l('No')}")]
            elif q.kind == "single":
                choices += [(f"{q.id}:{o}", f"{q.position + 1}. {o}") for o in q.options or []]
        self.show_if_choices.choices = choices
        return self

    def show_rule(self, question) -> None:
        """Fill the rule fields (and the English options) from the stored question."""
        self.options_en.data = "\n".join(question.options_en or [])
        if question.show_if_question_id is None:
            return
        self.show_if_question.data = str(question.show_if_question_id)
        self.show_if_operator.data = question.show_if_operator
        values = list(question.show_if_values or [])
        if self._source_kinds.get(str(question.show_if_question_id)) in ("rating", "nps") and values:
            self.show_if_number.data = int(values[0])
        else:
            self.show_if_choices.data = [f"{question.show_if_question_id}:{v}" for v in values]

    def _rule_values(self) -> dict:
        source = self.show_if_question.data or ""
        if not (source.isdigit() and len(source) < 10):
            return {"show_if_question_id": None}
        if getattr(self, "_source_kinds", {}).get(source) in ("rating", "nps"):
            number = self.show_if_number.data
            values = [] if number is None else [str(number)]
        else:
            prefix = f"{source}:"
            values = [c[len(prefix):] for c in self.show_if_choices.data or [] if c.startswith(prefix)]
        return {"show_if_question_id": int(source), "show_if_operator": self.show_if_operator.data,
                "show_if_values": values}

    def values(self) -> dict:
        return {**{name: getattr(self, name).data for name in (
            "kind", "prompt", "help_text", "required", "options", "prompt_en", "help_text_en",
            "options_en")}, **self._rule_values()}


class QuestionnaireImportForm(FlaskForm):
    """A questionnaire as JSON (portal.questionnaire/1), pasted or uploaded, into a draft trial."""

    document = TextAreaField(
        _l("Questionnaire (JSON)"), validators=[Optional(), Length(max=200_000)],
        description=_l("Paste a file exported from a questionnaire, or choose it below."))
    upload = FileField(_l("Or choose a file"), validators=[Optional()])
    mode = RadioField(_l("The imported questions"), default="append", validators=[InputRequired()],
                      choices=[("append", _l("are added after the present questions")),
                               ("replace", _l("replace the present questions"))])


class QuestionnaireCopyForm(FlaskForm):
    """Copy the questionnaire of an earlier trial in the viewer's reach into a draft trial."""

    source = SelectField(_l("Copy the questionnaire of"), choices=[], validate_choice=False,
                         validators=[InputRequired(_l("Choose an earlier trial with a questionnaire."))])
    mode = RadioField(_l("The copied questions"), default="append", validators=[InputRequired()],
                      choices=[("append", _l("are added after the present questions")),
                               ("replace", _l("replace the present questions"))])

    def setup(self, choices) -> QuestionnaireCopyForm:
        self.source.choices = [("", _l("Choose a trial"))] + [(str(i), title) for i, title in choices]
        return self

    def chosen(self) -> int | None:
        value = self.source.data or ""
        return int(value) if value.isdigit() and len(value) < 10 else None


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


class QuotaForm(FlaskForm):
    """A quota on a trial: at most `places` accepted members of a segment, a district or both."""

    segment = SelectField(_l("Segment"), choices=domain.choices(domain.SEGMENTS, blank=_l("Any")),
                          validators=[Optional()])
    district = SelectField(_l("District"), choices=domain.choices(domain.DISTRICTS, blank=_l("Any")),
                           validators=[Optional()])
    places = IntegerField(_l("At most (accepted members)"),
                          validators=[InputRequired(_l("Enter a number of places from 1 to 100,000.")),
                                      NumberRange(min=1, max=100000)])

    def setup(self, trial) -> QuotaForm:
        """Offer only the trial's own segments and districts."""
        self.segment.choices = domain.choices(
            {c: domain.SEGMENTS[c] for c in trial.segment_codes}, blank=_l("Any"))
        if trial.district_codes:
            self.district.choices = domain.choices(
                {c: domain.DISTRICTS[c] for c in trial.district_codes}, blank=_l("Any"))
        return self


class SampleForm(FlaskForm):
    """How many eligible members to draw at random (a preview: nothing is stored)."""

    class Meta:
        csrf = False

    size = IntegerField(_l("How many members"),
                        validators=[InputRequired(_l("Enter how many members to draw.")),
                                    NumberRange(min=1, max=500)],
                        description=_l("From 1 to 500. Members accepted in another running trial "
                                       "or invited to a trial in the last 30 days are left out."))


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
