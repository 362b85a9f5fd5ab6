"""The shared form fields write exactly the HTML WTForms would (portal.fields)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale, lazy_gettext
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField as WTFormsSelectField

from portal.fields import SelectField

CHOICES = [("", "-"), ("a&b", 'Tom & "Jerry" <x>'), (3, "Three"), (True, "Yes"),
           ("empty", ""), ("lazy", lazy_gettext("Status"))]


def _forms(data: str | None):
    class Ours(Form):
        pick = SelectField(choices=CHOICES, render_kw={})

    class Theirs(Form):
        pick = WTFormsSelectField(choices=[(v, str(label)) for v, label in CHOICES])

    args = {"pick": data} if data is not None else {}
    return Ours(MultiDict(args)), Theirs(MultiDict(args))


@pytest.mark.parametrize("data", [None, "a&b", "3", "True", "lazy"])
def test_select_writes_what_wtforms_writes(app, data):
    with app.test_request_context(), force_locale("en"):
        ours, theirs = _forms(data)
        assert str(ours.pick()) == str(theirs.pick())
        assert 'value="a&amp;b">Tom &amp; &#34;Jerry&#34; &lt;x&gt;</option>' in str(ours.pick())


def test_select_translates_its_lazy_labels(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        ours, _ = _forms("lazy")
        assert '<option selected value="lazy">状态</option>' in str(ours.pick())
