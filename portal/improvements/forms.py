"""Forms of improvement items, their filters, and departments."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import domain
from portal.fields import SelectField
from portal.improvements import confirmations, services
from portal.text import clean_text
from portal.versioning import VersionedForm

TITLE_MAX = 200
TEXT_MAX = 5000
NAME_MAX = 100
TOO_LONG = _l("Please use at most %(max)s characters.")
BAD_DATE = _l("Please give a date such as 2024-05-31.")


def _strip(value):
    return clean_text(value) if isinstance(value, str) else value


def department_choices(blank):
    return [("", blank)] + [(str(d.id), d.name) for d in services.departments()]


def staff_choices():
    return [("", _l("Choose a staff member"))] + [
        (str(u.id), f"{u.name} ({u.email})") for u in services.staff_users()
    ]


class ItemForm(FlaskForm):
    version = HiddenField()
    submission = HiddenField()
    title = StringField(
        _l("Title"), filters=[_strip],
        validators=[DataRequired(_l("Please give a title.")), Length(max=TITLE_MAX, message=TOO_LONG)],
        render_kw={"maxlength": TITLE_MAX},
    )
    description = TextAreaField(
        _l("Description"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("For staff only."),
        render_kw={"rows": 6, "maxlength": TEXT_MAX},
    )
    commitment = SelectField(
        _l("Service commitment"), choices=domain.choices(domain.COMMITMENTS, blank=_l("None")),
    )
    department_id = SelectField(_l("Department"), choices=[])
    priority = SelectField(_l("Priority"), choices=domain.choices(domain.PRIORITIES), default="normal")
    due_on = DateField(_l("Due date"), validators=[Optional()], invalid_value_message=BAD_DATE)
    status = SelectField(_l("Status"), choices=[])
    rejection_reason = TextAreaField(
        _l("Reason for rejection"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Required when the item is rejected."),
        render_kw={"rows": 3, "maxlength": TEXT_MAX},
    )
    dmaic_phase = SelectField(_l("DMAIC phase"), choices=domain.choices(domain.DMAIC_PHASES),
                              default="define")
    resolution_note = TextAreaField(
        _l("Resolution note"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Required to close the item as done or verified. Written for members: shown on "
                       "their submissions once the item is done or verified. No staff names or internal "
                       "details."),
        render_kw={"rows": 5, "maxlength": TEXT_MAX},
    )

    # Verifying while members say "not yet" (improvements.confirmations): only on purpose.
    override_confirmations = BooleanField(
        _l("Verify although members say it is not fixed"),
        description=_l("Only when the members' “not yet” answers have been looked into."),
    )
    override_reason = TextAreaField(
        _l("Reason for verifying anyway"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        description=_l("Required to verify the item while members say it is not fixed."),
        render_kw={"rows": 3, "maxlength": TEXT_MAX},
    )

    def setup(self, current_status: str | None) -> ItemForm:
        """Fill the choices: departments, and the statuses the item may move to."""
        self.department_id.choices = department_choices(_l("No department"))
        if current_status != "done":  # only a done item is verified
            del self.override_confirmations
            del self.override_reason
        if current_status is None:  # a new item starts as proposed
            del self.status
            del self.rejection_reason
        else:
            self.status.choices = [(code, domain.ITEM_STATUSES[code])
                                   for code in services.allowed_statuses(current_status)]
        return self

    def values(self) -> dict:
        out = dict(
            title=self.title.data, description=self.description.data or "",
            commitment=self.commitment.data or None,
            department_id=int(self.department_id.data) if self.department_id.data else None,
            priority=self.priority.data, due_on=self.due_on.data,
            dmaic_phase=self.dmaic_phase.data, resolution_note=self.resolution_note.data or "",
        )
        if "status" in self:
            out["status"] = self.status.data
            out["rejection_reason"] = self.rejection_reason.data or ""
        if "override_confirmations" in self:
            out["override_confirmations"] = bool(self.override_confirmations.data)
            out["override_reason"] = self.override_reason.data or ""
        return out


class ReopenForm(FlaskForm):
    """Reopen a done item (members say it is not fixed), at the version shown."""

    version = HiddenField()


class ConfirmFixForm(FlaskForm):
    """A member's answer to "Is it fixed for you?"."""

    fixed = RadioField(
        _l("Is it fixed for you?"),
        choices=[SelectChoice("yes", _l("Yes, it is fixed")), SelectChoice("not_yet", _l("Not yet"))],
        validators=[InputRequired(_l("Please say whether it is fixed for you."))],
        validate_choice=False,  # another value: the service's own message (confirmations._checked)
    )
    rating = RadioField(
        _l("How well was it handled?"),
        choices=[SelectChoice(str(n), label) for n, label in (
            (1, _l("1 - Very poorly")), (2, _l("2 - Poorly")), (3, _l("3 - Acceptably")),
            (4, _l("4 - Well")), (5, _l("5 - Very well")))],
        validators=[InputRequired(_l("Please rate how it was handled, from 1 to 5."))],
        validate_choice=False,
    )
    comment = TextAreaField(
        _l("Comment (optional)"), filters=[_strip],
        validators=[Optional(), Length(max=confirmations.COMMENT_MAX, message=TOO_LONG)],
        render_kw={"rows": 4, "maxlength": confirmations.COMMENT_MAX},
    )


class ItemFilterForm(FlaskForm):
    """GET filters of the item list (see services.ItemFilters, which does the parsing)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=domain.choices(domain.ITEM_STATUSES, blank=_l("All")))
    department_id = SelectField(_l("Department"), choices=[])
    commitment = SelectField(
        _l("Service commitment"), choices=domain.choices(domain.COMMITMENTS, blank=_l("All"))
    )
    priority = SelectField(_l("Priority"), choices=domain.choices(domain.PRIORITIES, blank=_l("All")))
    overdue = BooleanField(_l("Overdue only"), false_values=("", "0", "false", "n"))
    due_from = DateField(_l("Due from"), validators=[Optional()])
    due_to = DateField(_l("Due until"), validators=[Optional()])
    q = StringField(_l("Search"), filters=[_strip], render_kw={"maxlength": services.SEARCH_MAX})


class DepartmentForm(VersionedForm):
    name = StringField(
        _l("Name"), filters=[_strip],
        validators=[DataRequired(_l("Please give a name.")), Length(max=NAME_MAX, message=TOO_LONG)],
        render_kw={"maxlength": NAME_MAX},
    )
    a_contact_id = SelectField(
        _l("A contact"), choices=[], validators=[DataRequired(_l("Please choose an active staff member."))],
        description=_l("Leads the department's improvement items."),
    )
    b_contact_id = SelectField(
        _l("B contact"), choices=[], validators=[DataRequired(_l("Please choose an active staff member."))],
        description=_l("Backs up the A contact and is told when an item runs overdue."),
    )

    def setup(self) -> DepartmentForm:
        choices = staff_choices()
        self.a_contact_id.choices = choices
        self.b_contact_id.choices = choices
        return self

    def validate_b_contact_id(self, field):
        from wtforms.validators import ValidationError

        if field.data and field.data == self.a_contact_id.data:
            raise ValidationError(_l("The A contact and the B contact must be different people."))
