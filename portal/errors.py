"""What a user sees when something fails.

- `Refused` is the one base of every domain refusal ("the capacity cannot be lower than..."):
  services raise it (or an area's subclass) inside a unit of work, which rolls back; the view
  shows `str(exc)` next to `exc.field` or at the top of the form, with the person's input kept.
- `Conflict` is a refusal because someone else saved the same object in between.
- Error pages: see `init_app`.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class Refused(Exception):
    """The change cannot be made; `str(exc)` says why in the viewer's language. `field` names
    the form field the message belongs to, when there is one."""

    def __init__(self, message: str | None = None, field: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(self.message)

    default_message = _l("This change cannot be made.")

    def __str__(self) -> str:
        return str(self.message)


class Conflict(Refused):
    """Someone else saved the object since it was shown to this user: nothing was saved."""

    default_message = _l(
        "Someone else changed this while you were editing. Your changes were not saved: "
        "review the current values below and save again."
    )


def init_app(app) -> None:
    """Register the site's error pages (filled in below)."""
    from flask import render_template

    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(413)
    def _error_page(error):
        return render_template("error.html", error=error), error.code
