"""Exports: the submission and improvement-item lists as CSV or XLSX, for office and admin."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

from portal.exports import routes  # noqa: E402,F401
