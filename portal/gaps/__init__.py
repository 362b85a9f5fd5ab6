"""Service-gap reports: what members meet in stores, on the hotline, online and in apps."""
from flask import Blueprint

bp = Blueprint("gaps", __name__, template_folder="templates")

from portal.gaps import routes  # noqa: E402,F401
