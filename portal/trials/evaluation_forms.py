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

# The buttons of the questionnaire: `name="action"`. "Update" (show-if rules, without a script)
# shows the form again with the questions the answers so far make relevant, saving nothing.
ACTION_DRAFT = "draft"
ACTION_SUBMIT = "submit"
ACTION_UPDATE = "update"


def requested_action(form) -> str:
    """Submit only when the Submit button was pressed, Update only when Update was; anything
    else saves a draft."""
    action = form.get("action")
    return action if action in (ACTION_SUBMIT, ACTION_UPDATE) else ACTION_DRAFT
