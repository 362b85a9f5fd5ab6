"""The questionnaire form: its inputs are built per questionnaire in the template
(`evaluation_macros.html`), named `q-<question id>`, and read by
`evaluation_services.validate_answers`; this module holds the labels and the two actions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

RATING_LABELS = {
    1: _l("1 - Very poor"),
    2: _l("2 - Poor"),
    3: _l("3 - Fair"),
    4: _l("4 - Good"),
    5: _l("5 - Very good"),
}
NPS_VALUES = tuple(range(0, 11))
NPS_LOW_LABEL = _l("Not at all likely")
NPS_HIGH_LABEL = _l("Extremely likely")
YES_NO_LABELS = {"yes": _l("Yes"), "no": _l("No")}

# The buttons of the questionnaire: `name="action"`.
ACTION_DRAFT = "draft"
ACTION_SUBMIT = "submit"


def requested_action(form) -> str:
    """Submit only when the Submit button was pressed; anything else saves a draft."""
    return ACTION_SUBMIT if form.get("action") == ACTION_SUBMIT else ACTION_DRAFT
