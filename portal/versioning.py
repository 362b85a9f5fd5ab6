"""Edit forms against lost updates: the one way a form carries the version it was opened at.

An object whose table has a version column (``version_id_col``: trials, questions,
consultations, departments, improvement items, inbox submissions) is edited on a form that
holds that version in a hidden field (`VersionedForm`). Its service calls `check_version`
before writing, and the unit of work turns a save that still slips in between into the same
`portal.errors.Conflict` (the version is in the UPDATE's WHERE clause). The view then answers
409: the Conflict message, the person's input kept, the current values shown
(``templates/macros/conflict.html``) and the form's version moved on to the current one.
"""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField

from portal.errors import Conflict


def as_version(value: Any) -> int | None:
    """A version as sent by a form ("3"), or None when it is missing or not a number."""
    if isinstance(value, int):
        return value
    value = (value or "").strip() if isinstance(value, str) else ""
    return int(value) if value.isdigit() and len(value) < 10 else None


def check_version(obj: Any, version: int | None) -> None:
    """Refuse a save from a form opened at another version of `obj` than the one loaded (a form
    without a version is refused too: the site's own forms always send it)."""
    if version is None or obj.version != version:
        raise Conflict()


class VersionedForm(FlaskForm):
    """An edit form carrying the version of the object it was opened at (a hidden field)."""

    version = HiddenField()

    def version_number(self) -> int | None:
        return as_version(self.version.data)

    def show_version(self, obj: Any) -> None:
        """Carry `obj`'s version: when the form is opened, and after a conflict (the next save
        is then made against the current values)."""
        self.version.data = str(obj.version)
