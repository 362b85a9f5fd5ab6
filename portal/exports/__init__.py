"""Exports: the submission and improvement-item lists as CSV or XLSX (capability `exports.download`)."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

from portal.exports import history, routes  # noqa: E402,F401  (history: how its audit entries read)
