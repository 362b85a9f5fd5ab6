"""Forms of the terminal and SIM logistics: the staff shipment form, its list's filters, the
member's address confirmation. The rules (IMEI, ICCID, dates) are the service's
(`portal.trials.logistics`); the forms show its messages next to their fields."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import domain
from portal.fields import SelectField
from portal.trials import logistics
from portal.trials.logistics_models import RETURN_CONDITIONS, SHIPMENT_KINDS, SHIPMENT_STATES
from portal.versioning import VersionedForm


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _digits(value):
    """Digits as typed, with the spaces and dashes people group them with left out."""
    if not isinstance(value, str):
        return value
    return value.replace(" ", "").replace("-", "").strip()


class ShipmentForm(VersionedForm):
    kind = SelectField(_l("What is sent"), choices=domain.choices(SHIPMENT_KINDS),
                       validators=[InputRequired()])
    terminal_model = StringField(_l("Terminal model"), filters=[_strip],
                                 validators=[Optional(), Length(max=100)])
    serial_number = StringField(_l("Serial number"), filters=[_strip],
                                validators=[Optional(), Length(max=64)])
    imei = StringField(_l("IMEI"), filters=[_digits], validators=[Optional(), Length(max=40)],
                       description=_l("15 digits; dial *#06# on the phone to see it."))
    iccid = StringField(_l("SIM card ICCID"), filters=[_digits],
                        validators=[Optional(), Length(max=40)],
                        description=_l("19 or 20 digits, printed on the SIM card."))
    dispatched_on = DateField(_l("Dispatched on"), validators=[Optional()])
    received_on = DateField(_l("Received on"), validators=[Optional()],
                            description=_l("The member confirms it on their trial page; you may "
                                           "enter it for them."))
    return_due_on = DateField(_l("Return due on"), validators=[Optional()])
    returned_on = DateField(_l("Returned on"), validators=[Optional()])
    return_condition = SelectField(
        _l("Condition on return"),
        choices=domain.choices(RETURN_CONDITIONS, blank=_l("Not returned yet")),
        validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])

    def validate_imei(self, field) -> None:
        error = logistics.imei_error(field.data or "")
        if error:
            raise ValidationError(error)

    def validate_iccid(self, field) -> None:
        error = logistics.iccid_error(field.data or "")
        if error:
            raise ValidationError(error)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in logistics.STAFF_FIELDS}


class LogisticsFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), choices=domain.choices(SHIPMENT_STATES, blank=_l("All")),
                        validators=[Optional()])
    overdue = BooleanField(_l("Overdue returns only"))
    terminal_model = SelectField(_l("Terminal model"), choices=[SelectChoice("", _l("All"))],
                                 validate_choice=False, validators=[Optional()])
    district = SelectField(_l("District"), choices=domain.choices(domain.DISTRICTS, blank=_l("All")),
                           validators=[Optional()])

    def setup(self, models: list[str]) -> LogisticsFilterForm:
        self.terminal_model.choices = [SelectChoice("", _l("All"))] + [SelectChoice(m, m) for m in models]
        return self


class AddressForm(FlaskForm):
    address = TextAreaField(
        _l("Shipping address"), filters=[_strip],
        validators=[DataRequired(_l("Enter the address we should send it to.")),
                    Length(max=logistics.ADDRESS_MAX)],
        description=_l("Street, number, building and room, district, and the name and phone "
                       "number to deliver to if not yours."))
