"""Panel health and recognition: participation per member, the health page (office and admin),
lapsing members and re-engaging them, the points rules, the points ledger and a member's yearly
summary.

Completed activities reach the ledger through `portal.signals` (receivers.py); their audit
entries read as history.py describes (see portal.audit.history)."""
from flask import Blueprint

bp = Blueprint("panel", __name__, template_folder="templates")

from portal.panel import history, receivers, routes  # noqa: E402,F401


@bp.record_once
def _template_globals(state) -> None:
    # The participation section (templates/panel/_participation.html) is shown on other areas'
    # pages too (a member's record): its labels come with it, whatever the page's context.
    from portal.panel.activity import ACTIVITY_KINDS

    state.app.jinja_env.globals["panel_activity_kinds"] = ACTIVITY_KINDS
    # A member's record (accounts) shows their participation section (two statements).
    state.app.jinja_env.globals["member_participation"] = _participation


def _participation(member_id: int):
    from portal.panel.activity import participation

    return participation(member_id)

