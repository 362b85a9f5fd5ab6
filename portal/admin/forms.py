from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from portal import domain
from portal.accounts import services as accounts
from portal.accounts.forms import PASSWORD_MIN, strong_password
from portal.admin.services import ACCOUNT_ROLES, unit_choices
from portal.fields import SelectField


def _staff_roles():
    return domain.choices({code: domain.ROLES[code] for code in ACCOUNT_ROLES})


UNIT_HINT = _l("District branch staff: their district branch (required). A department's contacts: "
               "their department. Service office staff without a unit form the hotline's "
               "supervision office.")


def _unit_field():
    return SelectField(_l("Unit"), choices=[], default="", description=UNIT_HINT)


class UnitChoices:
    """The unit select's choices are read when the form is made (units are rows, not a fixed
    vocabulary); `unit` is the chosen id, or None."""

    def setup(self):
        self.unit_id.choices = unit_choices(str(_l("No unit")))
        return self

    @property
    def unit(self) -> int | None:
        value = self.unit_id.data or ""
        return int(value) if str(value).isdigit() else None


class StaffCreateForm(UnitChoices, FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=_staff_roles(), validators=[DataRequired()])
    unit_id = _unit_field()
    password = PasswordField(_l("Initial password"), validators=[
        DataRequired(), Length(max=200), strong_password,
    ], description=_l("At least %(min)s characters. Give it to the person safely; they can change it "
                      "on their profile.", min=PASSWORD_MIN))

    def validate_email(self, field):
        if accounts.email_taken(field.data):
            raise ValidationError(_l("An account with this email already exists."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_staff_roles(), validators=[DataRequired()])


class StaffEditForm(UnitChoices, FlaskForm):
    """A staff account's role and unit, changed together."""
    role = SelectField(_l("Role"), choices=_staff_roles(), validators=[DataRequired()])
    unit_id = _unit_field()
