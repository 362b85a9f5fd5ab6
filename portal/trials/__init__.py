"""Trials and their structured evaluations."""
from flask import Blueprint

bp = Blueprint("trials", __name__, template_folder="templates")

from portal.trials import evaluations, routes  # noqa: E402,F401
