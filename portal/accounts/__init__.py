"""Accounts: sign-in, invitations, member profiles, staff lists of members, the privacy notice
and the member's rights over their data."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from portal.accounts import consent, history, routes  # noqa: E402,F401  (registers the views and how their audit entries read)

# A member who has not agreed to the current privacy notice agrees before going on.
bp.before_app_request(consent.gate)
