from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from portal import domain, permissions
from portal.accounts import services as accounts
from portal.accounts.forms import PASSWORD_MIN, strong_password
from portal.fields import SelectField


def _staff_roles():
    return domain.choices({code: domain.ROLES[code] for code in permissions.STAFF})


class StaffCreateForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=_staff_roles(), validators=[DataRequired()])
    password = PasswordField(_l("Initial password"), validators=[
        DataRequired(), Length(max=200), strong_password,
    ], description=_l("At least %(min)s characters. Give it to the person safely; they can change it "
                      "on their profile.", min=PASSWORD_MIN))

    def validate_email(self, field):
        if accounts.email_taken(field.data):
            raise ValidationError(_l("An account with this email already exists."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_staff_roles(), validators=[DataRequired()])
