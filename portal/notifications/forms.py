"""The forms of notifications: email preferences, the outbox filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import Optional

from portal import domain
from portal.fields import SelectField
from portal.notifications.outbox import STATUSES


def preferences_form(topics, choices: dict[str, bool]) -> FlaskForm:
    """One checkbox per topic that applies to the person ("email me"), ticked as saved."""

    class PreferencesForm(FlaskForm):
        pass

    for topic in topics:
        setattr(PreferencesForm, topic.code, BooleanField(topic.label, default=choices.get(topic.code, True)))
    return PreferencesForm()


class OutboxFilterForm(FlaskForm):
    """The outbox page's filter (GET)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=domain.choices(STATUSES, blank=_l("All")),
                         validators=[Optional()])
