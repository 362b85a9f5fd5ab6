"""The office dashboard's window filter (a GET form, no CSRF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from portal.fields import SelectField

# Windows (in Shanghai days) the district x commitment table may cover; 90 unless chosen.
WINDOWS = (30, 90, 180, 365)
DEFAULT_WINDOW = 90


def window_choices():
    return [(str(days), _l("Last %(days)s days", days=days)) for days in WINDOWS]


class WindowForm(FlaskForm):
    class Meta:
        csrf = False

    window = SelectField(_l("Gap reports over"), choices=window_choices, default=str(DEFAULT_WINDOW))


def window_days(raw: str | None) -> int:
    """The chosen window in days; anything unknown falls back to the default."""
    return int(raw) if raw and raw.isdigit() and int(raw) in WINDOWS else DEFAULT_WINDOW
