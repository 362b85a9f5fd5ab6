"""Administration: staff accounts and roles."""
from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from portal.admin import routes  # noqa: E402,F401
