"""Trials and their structured evaluations."""
from flask import Blueprint

bp = Blueprint("trials", __name__, template_folder="templates")

from portal.trials import (  # noqa: E402,F401
    evaluations,
    history,  # noqa: E402,F401  (how its audit entries read)
    logistics_routes,  # terminal and SIM logistics
    routes,
)
