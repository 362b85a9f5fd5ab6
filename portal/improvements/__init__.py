"""Improvement items: departments, items driven through DMAIC, supervision of overdue work."""
from flask import Blueprint

# cli_group=None: the blueprint's commands (escalate-overdue) sit at the top of `flask --app portal`.
bp = Blueprint("improvements", __name__, template_folder="templates", cli_group=None)

from portal.improvements import routes  # noqa: E402,F401
