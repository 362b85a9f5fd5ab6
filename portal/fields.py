"""Form fields shared by the areas' forms, where WTForms' own cost more than they must.

`SelectField` renders its options' labels through the per-locale catalogue (`portal.i18n.plain`):
WTForms escapes each lazy label by asking it for `__html__` and then for its text, translating
it twice through Flask-Babel's per-string look-up; a list page's filter form has some eighty
options.
"""
from __future__ import annotations

import wtforms
from markupsafe import Markup, escape
from wtforms import widgets

from portal.i18n import plain


class Select(widgets.Select):
    @classmethod
    def render_option(cls, choice, **kwargs):
        label = choice.label
        if label is not None and not isinstance(label, str):
            label = plain(label)
        if choice.render_kw or kwargs:
            return super().render_option(choice._replace(label=label), **kwargs)
        # WTForms' own output, written directly: its html_params (a dict sorted, each value
        # escaped twice over) was a fifth of a list page's time, an option at a time.
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        # escape() leaves a Markup value as it is: WTForms still writes its quotes as &quot;.
        quoted = str(escape(value)).replace('"', "&quot;")
        return Markup(f'<option {selected}value="{quoted}">{escape(label or value)}</option>')


class SelectField(wtforms.SelectField):
    widget = Select()
