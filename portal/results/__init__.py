"""Trial results: statistics, charts, free-text answers and the raw responses export."""
from flask import Blueprint

bp = Blueprint("results", __name__, template_folder="templates")

from portal.results import routes  # noqa: E402,F401
