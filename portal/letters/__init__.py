"""Yearly service-quality responsibility letters, the scoreboard of every unit, service stars and
classic cases (see services.py for the rules, measures.py for how each figure is counted).

Their audit entries read as history.py describes (see portal.audit.history)."""
from flask import Blueprint

bp = Blueprint("letters", __name__, template_folder="templates")

from portal.letters import history, routes  # noqa: E402,F401
