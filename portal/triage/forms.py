"""Forms of the triage inbox: the GET filters, the triage form, notes and item links."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal import domain
from portal.fields import SelectField
from portal.triage import services

TOO_LONG = _l("Please use at most %(max)s characters.")


def _strip(value):
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def _user_label(user) -> str:
    return f"{user.name} ({domain.ROLES.get(user.role, user.role)})"


class InboxFilterForm(FlaskForm):
    """The inbox's GET filters. The values used are those `services.InboxFilters` accepts."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=domain.choices(domain.SUBMISSION_KINDS, blank=_l("All")))
    status = SelectField(
        _l("Status"), choices=domain.choices(domain.SUBMISSION_STATUSES, blank=_l("All"))
    )
    segment = SelectField(_l("Segment"), choices=domain.choices(domain.SEGMENTS, blank=_l("All")))
    district = SelectField(
        _l("District"), choices=domain.choices(domain.DISTRICTS, blank=_l("All"))
    )
    channel = SelectField(_l("Channel"), choices=domain.choices(domain.CHANNELS, blank=_l("All")))
    commitment = SelectField(
        _l("Service commitment"), choices=domain.choices(domain.COMMITMENTS, blank=_l("All"))
    )
    trial_id = SelectField(_l("Trial"), choices=[])
    assignee_id = SelectField(_l("Assignee"), choices=[])
    severity = SelectField(
        _l("Severity"), choices=domain.choices(domain.SEVERITIES, blank=_l("All"))
    )
    date_from = DateField(_l("Sent from"), validators=[Optional()])
    date_to = DateField(_l("Sent until"), validators=[Optional()])
    q = StringField(_l("Search"), filters=[_strip],
                    render_kw={"maxlength": services.SEARCH_MAX, "type": "search"})
    not_fixed = BooleanField(_l("Not fixed for the member"), false_values=("", "0", "false", "n"))

    def __init__(self, *args, trials=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.trial_id.choices = [SelectChoice("", _l("All"))] + [
            SelectChoice(str(t.id), t.title) for t in trials
        ]
        self.assignee_id.choices = [SelectChoice("", _l("All")), SelectChoice("0", _l("Unassigned"))] + [
            SelectChoice(str(u.id), _user_label(u)) for u in staff
        ]


class TriageForm(FlaskForm):
    assignee_id = SelectField(_l("Assignee"), choices=[])
    status = SelectField(_l("Status"), choices=[])
    no_action_reason = TextAreaField(
        _l("Reason for no action"), filters=[_strip],
        validators=[Optional(), Length(max=services.REASON_MAX, message=TOO_LONG)],
        description=_l("Required when the status is “No action”."),
        render_kw={"rows": 3, "maxlength": services.REASON_MAX},
    )
    duplicate_of_id = IntegerField(
        _l("Duplicate of submission number"), validators=[Optional(), NumberRange(min=1)],
        description=_l("Required when the status is “Duplicate”."),
    )
    tags = StringField(
        _l("Tags"), filters=[_strip],
        description=_l("Separated by commas; at most 10 tags of 30 characters."),
        render_kw={"maxlength": 400},
    )
    version = HiddenField()

    def set_choices(self, submission, staff) -> None:
        self.assignee_id.choices = [SelectChoice("", _l("Nobody"))] + [
            SelectChoice(str(u.id), _user_label(u)) for u in staff
        ]
        self.status.choices = [
            SelectChoice(code, domain.SUBMISSION_STATUSES[code])
            for code in services.allowed_statuses(submission)
        ]

    def fill(self, submission) -> None:
        self.assignee_id.data = str(submission.assignee_id or "")
        self.status.data = submission.status
        self.no_action_reason.data = submission.no_action_reason or ""
        self.duplicate_of_id.data = submission.duplicate_of_id
        self.tags.data = ", ".join(submission.tags or [])
        self.version.data = str(submission.version)

    def assignee(self) -> int | None:
        value = self.assignee_id.data or ""
        return int(value) if value.isdigit() else None

    def version_number(self) -> int | None:
        value = (self.version.data or "").strip()
        return int(value) if value.isdigit() else None


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Internal note"), filters=[_strip],
        validators=[DataRequired(_l("Please write the note.")),
                    Length(max=services.NOTE_MAX, message=TOO_LONG)],
        description=_l("Seen by staff only, never by the member."),
        render_kw={"rows": 3, "maxlength": services.NOTE_MAX},
    )


class LinkForm(FlaskForm):
    open_item = SelectField(_l("Open improvement item"), choices=[], validate_choice=False)
    item_number = IntegerField(
        _l("Or the item number"), validators=[Optional(), NumberRange(min=1)],
    )

    def set_choices(self, items) -> None:
        self.open_item.choices = [SelectChoice("", _l("Choose an item"))] + [
            SelectChoice(str(i.id), f"#{i.id} {i.title}") for i in items
        ]

    def item_id(self) -> int | None:
        if self.item_number.data:
            return self.item_number.data
        value = self.open_item.data or ""
        return int(value) if value.isdigit() else None
