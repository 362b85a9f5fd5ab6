"""Forms of the panel area: the points rules and the re-engage selection."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from portal.panel.activity import ACTIVITY_KINDS
from portal.panel.points import MAX_POINTS

NOT_A_NUMBER = _l("Please give a whole number from 0 to %(max)s.", max=MAX_POINTS)


class WholeNumberField(IntegerField):
    """An IntegerField whose message for text that is no number says what to type."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(str(NOT_A_NUMBER)) from None
        else:
            self.data = None


class RulesForm(FlaskForm):
    """One whole number of points per activity kind (a field per kind, named by its code)."""

    def values(self) -> dict[str, int]:
        return {kind: self[kind].data for kind in ACTIVITY_KINDS}


for _kind, _label in ACTIVITY_KINDS.items():
    setattr(RulesForm, _kind, WholeNumberField(
        _label, validators=[InputRequired(message=NOT_A_NUMBER),
                            NumberRange(min=0, max=MAX_POINTS, message=NOT_A_NUMBER)],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_POINTS},
    ))


def chosen_member_ids(values: list[str]) -> list[int]:
    """The member ids ticked on the lapsing list (anything else in the form is left out)."""
    return [int(v) for v in values if v.isdigit() and len(v) < 12]
