from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
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
from wtforms.widgets import CheckboxInput, ListWidget

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
    # Required while a privacy notice is published (the view removes it when none is).
    accept_privacy = BooleanField(
        _l("I have read the privacy notice and agree to it"),
        validators=[DataRequired(message=_l("You can join only if you agree to the privacy notice."))])
    # No check that the email is free: the form must not tell which emails have accounts
    # (see services.register_member).


# Field order on the registration page.
REGISTRATION_ORDER = ("name", "email", "password", "confirm", "district", "phone", "organization",
                      "accept_privacy")


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


# --- member profile, privacy notice, data rights (portal.accounts.profiles / consent / rights) ----

class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as check boxes (the forms macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _optional_select(label, vocabulary):
    return SelectField(label, choices=domain.choices(vocabulary, blank=_l("Not given")),
                       validators=[Optional()])


def _optional_number(label, low, high):
    return IntegerField(label, validators=[Optional(), NumberRange(
        min=low, max=high, message=_l("Enter a number from %(low)s to %(high)s.", low=low, high=high))])


def _strip_text(value):
    return clean_text(value).strip() if isinstance(value, str) else value


IPTV_CHOICES = domain.choices({"yes": _l("Yes"), "no": _l("No")}, blank=_l("Not given"))


class MemberProfileForm(FlaskForm):
    """Every profile attribute; the view removes those not of the member's segment
    (`for_segment`). Every answer is optional: a member tells what they wish to."""

    plan_type = _optional_select(_l("Plan type"), domain.PLAN_TYPES)
    handset_brand = StringField(_l("Handset brand"), filters=[_strip_text],
                                validators=[Optional(), Length(max=40)],
                                description=_l("For example Huawei, Apple, Xiaomi."))
    handset_model = StringField(_l("Handset model"), filters=[_strip_text],
                                validators=[Optional(), Length(max=80)])
    handset_os = _optional_select(_l("Handset operating system"), domain.HANDSET_OS)
    network_generation = _optional_select(_l("Network generation"), domain.NETWORK_GENERATIONS)
    broadband_package = _optional_select(_l("Broadband package"), domain.BROADBAND_PACKAGES)
    broadband_speed_mbps = _optional_number(_l("Broadband speed (Mbps)"), 1, 10000)
    iptv = SelectField(_l("IPTV"), choices=IPTV_CHOICES, validators=[Optional()])
    household_size = _optional_number(_l("People in the household"), 1, 20)
    industry = _optional_select(_l("Industry"), domain.INDUSTRIES)
    company_size = _optional_select(_l("Company size"), domain.COMPANY_SIZES)
    services_used = MultiCheckboxField(_l("Services used"),
                                       choices=domain.choices(domain.ENTERPRISE_SERVICES),
                                       validators=[Optional()])
    years_with_operator = _optional_number(_l("Years with us"), 0, 60)

    @classmethod
    def for_segment(cls, fields: tuple[str, ...], **kwargs) -> "MemberProfileForm":
        form = cls(**kwargs)
        for name in list(form._fields):
            if name != "csrf_token" and name not in fields:
                del form[name]
        return form

    def values(self) -> dict:
        """The answers as the profile stores them."""
        values = {name: f.data for name, f in self._fields.items() if name != "csrf_token"}
        if "iptv" in values:
            values["iptv"] = {"yes": True, "no": False}.get(values["iptv"])
        for name, value in values.items():
            if value == "":
                values[name] = None
        return values

    def load(self, profile) -> None:
        """Fill the form from a saved profile (GET)."""
        if profile is None:
            return
        for name, f in self._fields.items():
            if name == "csrf_token":
                continue
            value = getattr(profile, name)
            if name == "iptv":
                value = "" if value is None else ("yes" if value else "no")
            f.data = value


class PrivacyAcceptForm(FlaskForm):
    notice_id = HiddenField()
    accept = BooleanField(_l("I have read the privacy notice and agree to it"),
                          validators=[DataRequired(message=_l("Tick the box to agree, or sign out."))])


class PrivacyNoticeForm(FlaskForm):
    version = StringField(_l("Version"), filters=[_strip_text],
                          validators=[DataRequired(), Length(max=20)],
                          description=_l("A name members will see, e.g. 2026-2."))
    text_zh = TextAreaField(_l("Text in Chinese"), validators=[DataRequired(), Length(max=50000)],
                            description=_l("Markdown: **bold**, *italic*, lists, links."))
    text_en = TextAreaField(_l("Text in English"), validators=[DataRequired(), Length(max=50000)],
                            description=_l("Markdown: **bold**, *italic*, lists, links."))


DELETE_CONFIRMATION = "DELETE"


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])
    confirmation = StringField(
        _l("Type DELETE to confirm"), filters=[_strip_text], validators=[DataRequired()],
        description=_l("This cannot be undone. Your name, contact details and profile are erased; "
                       "what you submitted stays without your name."))

    def validate_confirmation(self, field):
        if (field.data or "").upper() != DELETE_CONFIRMATION:
            raise ValidationError(_l("Type the word DELETE (in capital letters) to confirm."))
