"""Forms of the index: a period with its weights, the figures entry form, the CSV upload."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FloatField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from portal import domain
from portal.index import services

BAD_DATE = _l("Please give a date such as 2024-05-31.")
BAD_NUMBER = _l("Please give a number.")
WEIGHT_RANGE = NumberRange(min=0, max=100, message=_l("Please give a weight from 0 to 100."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PeriodForm(FlaskForm):
    label = StringField(
        _l("Label"), filters=[_strip],
        validators=[DataRequired(_l("Please give a label.")), Length(max=20),
                    Regexp(r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$",
                           message=_l("Use a month such as 2026-10 or a quarter such as 2026-Q3."))],
        description=_l("A month such as 2026-10 or a quarter such as 2026-Q3."),
        render_kw={"maxlength": 20},
    )
    kind = SelectField(_l("Kind"), choices=domain.choices(services.PERIOD_KINDS), default="month")
    starts_on = DateField(_l("First day"), validators=[InputRequired(BAD_DATE)],
                          invalid_value_message=BAD_DATE)
    ends_on = DateField(_l("Last day"), validators=[InputRequired(BAD_DATE)],
                        invalid_value_message=BAD_DATE)
    weight_satisfaction = FloatField(_l("Weight of specialty satisfaction"), default=40,
                                     validators=[InputRequired(BAD_NUMBER), WEIGHT_RANGE])
    weight_benchmark = FloatField(_l("Weight of the satisfaction benchmark"), default=30,
                                  validators=[InputRequired(BAD_NUMBER), WEIGHT_RANGE])
    weight_word_of_mouth = FloatField(
        _l("Weight of the word-of-mouth benchmark"), default=30,
        validators=[InputRequired(BAD_NUMBER), WEIGHT_RANGE],
        description=_l("Weights normally sum to 100; they are re-normalized over the components "
                       "that have figures."),
    )

    def values(self) -> dict:
        return {name: self[name].data for name in services.PERIOD_FIELDS}


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"), validators=[FileRequired(_l("Please choose a CSV file."))],
        description=_l("Columns: component,commitment,own_value,competitor_value (header line "
                       "required, UTF-8). Leave commitment empty or write overall for an overall "
                       "figure."),
        render_kw={"accept": ".csv,text/csv"},
    )


def field_name(component: str, commitment: str, which: str) -> str:
    return f"{component}__{commitment or 'overall'}__{which}"


def figures_form_class():
    """A form with an own (and, for benchmarks, a competitor) value per possible figure."""

    class FiguresForm(FlaskForm):
        pass

    for component, commitment in services.figure_keys():
        low, high = services.VALUE_RANGES[component]
        rng = NumberRange(min=low, max=high, message=_l("Please give a value from %(min)s to %(max)s."))
        for which in ("own", "competitor") if component in services.BENCHMARKED else ("own",):
            setattr(FiguresForm, field_name(component, commitment, which), FloatField(
                _l("Own value") if which == "own" else _l("Competitor value"),
                validators=[Optional(), rng], render_kw={"inputmode": "decimal", "step": "any"},
            ))
    return FiguresForm


def figures_form(period=None, formdata=None):
    form = figures_form_class()(formdata=formdata) if formdata is not None else figures_form_class()()
    if period is not None and formdata is None:
        for f in period.figures:
            own = form[field_name(f.component, f.commitment, "own")]
            own.data = f.own_value
            if f.component in services.BENCHMARKED:
                form[field_name(f.component, f.commitment, "competitor")].data = f.competitor_value
    return form


def figures_rows(form) -> tuple[list[dict], list[str]]:
    """The rows the form holds (a figure with an own value) and the errors of incomplete ones."""
    rows, errors = [], []
    for component, commitment in services.figure_keys():
        own = form[field_name(component, commitment, "own")]
        competitor = (form[field_name(component, commitment, "competitor")]
                      if component in services.BENCHMARKED else None)
        own_value = own.data
        comp_value = competitor.data if competitor is not None else None
        if own_value is None and comp_value is None:
            continue
        problems = services.check_row(component, commitment, own_value, comp_value)
        if problems:
            target = own if own_value is None else (competitor or own)
            target.errors = list(target.errors) + problems
            errors.extend(problems)
            continue
        rows.append(dict(component=component, commitment=commitment, own_value=own_value,
                         competitor_value=comp_value))
    return rows, errors


def commitment_label(code: str):
    return domain.COMMITMENTS.get(code) if code else _l("Overall")
