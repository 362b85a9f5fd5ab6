"""Every request's text parameters, cleaned in one place before any form or parser sees them.

- NUL and the other C0 control characters are removed (PostgreSQL cannot store NUL and the
  others have no business in typed text); tab, line feed and carriage return stay, since
  textareas allow them (single-line fields strip them in their own validation).
- Unicode bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069) are removed: they let a
  name or a title display reversed ("Trojan Source" spoofing in lists seen by staff).

Query strings (`request.args`) and form bodies (`request.form`) both pass through here, so a
`?q=` with a NUL behaves like one without; uploaded files are left as they are.
"""
from __future__ import annotations

import re

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean_value(value):
    return _UNWANTED.sub("", value) if isinstance(value, str) else value


class CleanParameters(ImmutableMultiDict):
    """An ImmutableMultiDict whose string values are cleaned when it is built."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        if isinstance(mapping, MultiDict):
            pairs = list(mapping.items(multi=True))
        elif isinstance(mapping, dict):
            pairs = [
                (key, item)
                for key, value in mapping.items()
                for item in (value if isinstance(value, (list, tuple)) else [value])
            ]
        else:
            pairs = list(mapping)
        super().__init__([(clean_value(key), clean_value(value)) for key, value in pairs])


class PortalRequest(Request):
    parameter_storage_class = CleanParameters
