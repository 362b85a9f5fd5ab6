"""Forms of the index: a period with its weights, the figures entry form, the CSV upload.

Numbers are read by `services.plain_number` (ASCII digits only), not by Python's float(), which
would take "٨١", "8_1" or "1e2" for 81, 81 and 100. The edit forms carry the period's version
(hidden): a save made on a stale form is refused (409) instead of overwriting someone else's."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FloatField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import TextInput

from portal import domain
from portal.fields import SelectField
from portal.index import services

BAD_DATE = _l("Please give a date such as 2024-05-31.")
BAD_NUMBER = _l("Please give a number.")
NUMBER_FORMAT = _l("Please give a number such as 81 or 81.5.")
WEIGHT_RANGE = NumberRange(min=0, max=100, message=_l("Please give a weight from 0 to 100."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class NumberField(FloatField):
    """A FloatField that takes plain decimals only: 81, 81.5, -12 (see the module docstring).

    A text input (with a decimal keyboard on phones), not type=number: a refused entry such as
    "8_1" comes back as typed, which a number input may neither show nor hold (invalid HTML)."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = services.plain_number(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(str(NUMBER_FORMAT)) from None


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
    weight_satisfaction = NumberField(_l("Weight of specialty satisfaction"), default=40,
                                     validators=[InputRequired(BAD_NUMBER), WEIGHT_RANGE])
    weight_benchmark = NumberField(_l("Weight of the satisfaction benchmark"), default=30,
                                  validators=[InputRequired(BAD_NUMBER), WEIGHT_RANGE])
    weight_word_of_mouth = NumberField(
        _l("Weight of the word-of-mouth benchmark"), default=30,
        validators=[InputRequired(BAD_NUMBER), WEIGHT_RANGE],
        description=_l("Weights normally sum to 100; they are re-normalized over the components "
                       "that have figures."),
    )

    def values(self) -> dict:
        return {name: self[name].data for name in services.PERIOD_FIELDS}


class PeriodEditForm(PeriodForm):
    """The period form of an existing period, with the version it was opened on."""

    version = HiddenField()


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
        version = HiddenField()

    for component, commitment in services.figure_keys():
        low, high = services.VALUE_RANGES[component]
        rng = NumberRange(min=low, max=high, message=_l("Please give a value from %(min)s to %(max)s."))
        for which in ("own", "competitor") if component in services.BENCHMARKED else ("own",):
            setattr(FiguresForm, field_name(component, commitment, which), NumberField(
                _l("Own value") if which == "own" else _l("Competitor value"),
                validators=[Optional(), rng],
            ))
    return FiguresForm


def figures_form(period=None, formdata=None):
    form = figures_form_class()(formdata=formdata) if formdata is not None else figures_form_class()()
    if period is not None and formdata is None:
        form.version.data = str(period.version)
        for f in period.figures:
            own = form[field_name(f.component, f.commitment, "own")]
            own.data = f.own_value
            if f.component in services.BENCHMARKED:
                form[field_name(f.component, f.commitment, "competitor")].data = f.competitor_value
    return form


def _row_fields(form, component: str, commitment: str):
    own = form[field_name(component, commitment, "own")]
    competitor = (form[field_name(component, commitment, "competitor")]
                  if component in services.BENCHMARKED else None)
    return own, competitor


def figures_rows(form) -> tuple[list[dict], list[str]]:
    """The rows the form holds (a figure with an own value) and the errors of incomplete ones,
    each also put on the field at fault. A cell that is not a number already has its error."""
    rows, errors = [], []
    for component, commitment in services.figure_keys():
        own, competitor = _row_fields(form, component, commitment)
        fields = [f for f in (own, competitor) if f is not None]
        if all(f.data is None for f in fields) or any(f.process_errors for f in fields):
            continue
        comp_value = competitor.data if competitor is not None else None
        problems = services.row_problems(component, commitment, own.data, comp_value)
        for column, message in problems:
            target = competitor if column == "competitor_value" and competitor is not None else own
            target.errors = [*target.errors, message]
            errors.append(message)
        if not problems:
            rows.append(dict(component=component, commitment=commitment, own_value=own.data,
                             competitor_value=comp_value))
    return rows, errors


def commitment_label(code: str):
    return domain.COMMITMENTS.get(code) if code else _l("Overall")
