"""Form fields shared by the areas' forms, where WTForms' own cost more than they must.

`SelectField` renders its options' labels through the per-locale catalogue (`portal.i18n.plain`):
WTForms escapes each lazy label by asking it for `__html__` and then for its text, translating
it twice through Flask-Babel's per-string look-up; a list page's filter form has some eighty
options.
"""
from __future__ import annotations

import wtforms
from wtforms import widgets

from portal.i18n import plain


class Select(widgets.Select):
    @classmethod
    def render_option(cls, choice, **kwargs):
        if choice.label is not None and not isinstance(choice.label, str):
            choice = choice._replace(label=plain(choice.label))
        return super().render_option(choice, **kwargs)


class SelectField(wtforms.SelectField):
    widget = Select()
