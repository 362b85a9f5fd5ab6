"""The audit log: every staff action with who, what, when, before and after.

`services.record` writes entries inside the caller's transaction; the admin page (`audit.index`,
/admin/audit) only reads them: nothing on the site edits or deletes an entry."""
from flask import Blueprint

bp = Blueprint("audit", __name__, template_folder="templates")

from portal.audit import routes  # noqa: E402,F401
