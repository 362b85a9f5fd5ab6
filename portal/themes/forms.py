"""The dashboard's filter of "What members are saying" (a GET form, no CSRF). Its fields are
named themes_* so they live beside the gap table's `window` in one query string."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from portal import domain
from portal.fields import SelectField
from portal.themes.services import DEFAULT_PERIOD, PERIODS


def period_choices():
    return [(str(days), _l("Last %(days)s days", days=days)) for days in PERIODS]


class ThemeFilterForm(FlaskForm):
    class Meta:
        csrf = False

    themes_period = SelectField(_l("Time span"), choices=period_choices, default=str(DEFAULT_PERIOD))
    themes_commitment = SelectField(
        _l("Service commitment"), choices=domain.choices(domain.COMMITMENTS, blank=_l("All")),
        default="",
    )
