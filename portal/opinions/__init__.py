"""Consultations on policies and service standards, and the members' opinions on them."""
from flask import Blueprint

bp = Blueprint("opinions", __name__, template_folder="templates")

from portal.opinions import history, routes  # noqa: E402,F401  (history: how its audit entries read)
