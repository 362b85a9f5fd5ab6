"""The composite service competitiveness index: periods, survey figures, the computed index."""
from flask import Blueprint

bp = Blueprint("index", __name__, template_folder="templates")

from portal.index import history, routes  # noqa: E402,F401  (history: how its audit entries read)
