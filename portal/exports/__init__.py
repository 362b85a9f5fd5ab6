"""Exports: the submission and improvement-item lists as CSV or XLSX (capability `exports.download`)."""
from flask import Blueprint

bp = Blueprint("exports", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/exports")

from portal.exports import history, models, routes  # noqa: E402,F401  (history: how its audit entries read)
