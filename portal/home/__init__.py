"""The start page: a member's home, or the staff overview."""
from flask import Blueprint

bp = Blueprint("home", __name__, template_folder="templates")

from portal.home import routes  # noqa: E402,F401
