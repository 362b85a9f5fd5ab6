"""Improvement items: departments, items driven through DMAIC, supervision of overdue work.

Their audit entries read as history.py describes (see portal.audit.history)."""
from flask import Blueprint

bp = Blueprint("improvements", __name__, template_folder="templates")

from portal.improvements import history, routes  # noqa: E402,F401
