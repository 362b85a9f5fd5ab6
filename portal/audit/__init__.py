"""The audit log: every staff action with who, what, when, before and after.

`services.record` writes entries inside the caller's transaction; the admin page (`audit.index`,
/admin/audit) only reads them: nothing on the site edits or deletes an entry. How entries are
told in words is one registry (`describe`, `Field`) and one `history`, used by every staff page
that shows an object's History (see `portal.audit.history`)."""
from flask import Blueprint

from portal.audit.history import Field, Related, describe, history  # noqa: F401

bp = Blueprint("audit", __name__, template_folder="templates")

from portal.audit import routes  # noqa: E402,F401
