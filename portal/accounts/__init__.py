"""Accounts: sign-in, invitations, member profiles, staff lists of members."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from portal.accounts import history, routes  # noqa: E402,F401  (registers the views and how their audit entries read)
