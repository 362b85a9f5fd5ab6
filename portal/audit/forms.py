from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField
from wtforms.validators import NumberRange, Optional

from portal import domain
from portal.audit import services
from portal.fields import SelectField


class AuditFilterForm(FlaskForm):
    """The audit-log filters (GET). The actor and action choices are set by the view."""

    class Meta:
        csrf = False

    actor = SelectField(_l("Who"), validators=[Optional()], validate_choice=True)
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=True)
    object_type = SelectField(_l("Object type"),
                              choices=domain.choices(services.OBJECT_TYPES, blank=_l("All")),
                              validators=[Optional()])
    object_id = IntegerField(_l("Object ID"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
