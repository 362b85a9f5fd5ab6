"""The GET filter of the free-text answers on the results page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from portal import domain
from portal.fields import SelectField


class TextFilterForm(FlaskForm):
    class Meta:
        csrf = False

    question = SelectField(_l("Question"), choices=[], validators=[Optional()])
    segment = SelectField(_l("Segment"), choices=domain.choices(domain.SEGMENTS, blank=_l("All")),
                          validators=[Optional()])
    district = SelectField(_l("District"), choices=domain.choices(domain.DISTRICTS, blank=_l("All")),
                           validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])

    def set_questions(self, questions) -> None:
        self.question.choices = [("", _l("All"))] + [
            (str(q.id), f"{q.position + 1}. {q.prompt}") for q in questions if q.kind == "text"
        ]
