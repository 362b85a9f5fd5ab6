from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal import domain
from portal.accounts import services
from portal.text import clean_text

PASSWORD_MIN = services.PASSWORD_MIN
PASSWORD_HINT = _l("At least %(min)s characters, and not easy to guess: a few unrelated words work well.",
                   min=PASSWORD_MIN)
PHONE_HINT = _l("A mobile number (11 digits, e.g. 13812345678) or a landline with its area code, "
                "e.g. 021-12345678.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me on this device"))


def strong_password(form, field):
    """The accounts' password rule (`services.password_weakness`), with the form's email and name
    (or the `user_inputs` a view gives the form) as the person's own words."""
    inputs = [form[name].data for name in ("email", "name") if name in form]
    inputs += list(getattr(form, "user_inputs", ()))
    problem = services.password_weakness(field.data or "", inputs)
    if problem:
        raise ValidationError(problem)


def _password(label):
    return PasswordField(label, validators=[DataRequired(), Length(max=200), strong_password],
                         description=PASSWORD_HINT)


def _confirm(field):
    return PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo(field, message=_l("The two passwords are not the same.")),
    ])


def _validate_phone(form, field):
    if not services.phone_is_valid(field.data):
        raise ValidationError(_l("This is not a phone number we accept. %(hint)s", hint=PHONE_HINT))


class PasswordChangeForm(FlaskForm):
    user_inputs: tuple[str, ...] = ()  # the view gives the person's email and name

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = _password(_l("New password"))
    confirm = _confirm("new_password")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("The email you sign in with."))


class ResetPasswordForm(FlaskForm):
    """The new password, twice; the view gives the account's email and name as `user_inputs`."""

    password = _password(_l("New password"))
    confirm = _confirm("password")


class MemberDetailsForm(FlaskForm):
    """The member's own details; `segment` (set by the view) decides if organization is required."""

    segment: str | None = None

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=32), _validate_phone],
                        description=PHONE_HINT)
    district = SelectField(_l("District"),
                           choices=domain.choices(domain.DISTRICTS, blank=_l("Choose a district")),
                           validators=[DataRequired(message=_l("Choose your district."))])
    organization = StringField(_l("Organization"), validators=[Length(max=200)],
                               description=_l("The company you speak for. Required for key enterprise "
                                              "accounts and SME customers."))

    def validate_district(self, field):
        if field.data not in domain.DISTRICTS:
            raise ValidationError(_l("Choose your district."))

    def validate_organization(self, field):
        if services.organization_required(self.segment) and not (field.data or "").strip():
            raise ValidationError(_l("Please give the name of your organization."))


class RegistrationForm(MemberDetailsForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = _password(_l("Password"))
    confirm = _confirm("password")
    # No check that the email is free: the form must not tell which emails have accounts
    # (see services.register_member).


# Field order on the registration page.
REGISTRATION_ORDER = ("name", "email", "password", "confirm", "district", "phone", "organization")


class StaffProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])


class InvitationForm(FlaskForm):
    segment = SelectField(_l("Segment"),
                          choices=domain.choices(domain.SEGMENTS, blank=_l("Choose a segment")),
                          validators=[DataRequired(message=_l("Choose the segment."))])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(), Length(max=254)],
                       description=_l("If you give it, the registration form starts with this email."))
    days = IntegerField(_l("Days valid"), validators=[
        InputRequired(), NumberRange(min=1, max=90, message=_l("Between 1 and 90 days."))])

    def validate_segment(self, field):
        if field.data not in domain.SEGMENTS:
            raise ValidationError(_l("Choose the segment."))


SEARCH_MAX = 100


def _search(value):
    """A search is typed text like any other, and at most SEARCH_MAX characters are looked for."""
    return clean_text(value)[:SEARCH_MAX] if isinstance(value, str) else value


class MemberFilterForm(FlaskForm):
    """The member list's filters (GET): the one description of them (see `chosen_filters`)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), filters=[_search], render_kw={"maxlength": SEARCH_MAX})
    segment = SelectField(_l("Segment"), choices=domain.choices(domain.SEGMENTS, blank=_l("All")),
                          validators=[Optional()])
    district = SelectField(_l("District"), choices=domain.choices(domain.DISTRICTS, blank=_l("All")),
                           validators=[Optional()])
    status = SelectField(_l("Status"), choices=domain.choices(domain.MEMBER_STATUSES, blank=_l("All")),
                         validators=[Optional()])
