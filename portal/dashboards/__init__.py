"""Dashboards: the service office's overview and the members' "what changed thanks to the panel"."""
from flask import Blueprint

bp = Blueprint("dashboards", __name__, template_folder="templates")

from portal.dashboards import routes  # noqa: E402,F401
from portal.themes import receivers  # noqa: E402,F401  (counts the themes of arriving texts)
