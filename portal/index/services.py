"""The composite service competitiveness index: periods, figures, CSV upload, the computation,
and the panel's own figures for a period. Plain functions; no Flask request needed to compute.

The formula (also written out on the index page):

    S (specialty satisfaction)  = mean over the commitment areas of the own score (0-100)
    B (satisfaction benchmark)  = clamp(50 + 2.5 x (own - competitor), 0, 100)
    W (word of mouth)           = clamp(50 + (own NPS - competitor NPS) / 2, 0, 100)
    index = (wS x S + wB x B + wW x W) / (wS + wB + wW), over the components that have figures

For B and W the overall figure is used when the period has one, else the mean of the figures
given per area. Level with the competitor gives 50; a 20-point satisfaction lead, or a
100-point NPS lead, gives 100. A period without any figure has no index ("no data yet").

Every staff user sees the index (`index.view`); only admins define periods and enter figures
(`index.edit`). Every change runs in one `unit_of_work` with its audit entry; refusals are
`IndexRefused` / `UploadRefused` (both `portal.errors.Refused`), and a refused change saves
nothing. The period form and the figures form are saved against the period's version they were
opened on (`portal.errors.Conflict` when someone saved in between); a CSV upload is the person's
whole intent and is not checked against a version, but it bumps the version too.

Numbers (CSV cells and the forms alike) are plain decimals written with ASCII digits: 81, 81.5,
-12. Python's float() would also read "٨١", "８１", "8_1", "1e2", "inf" or "nan", none of which a
person entering figures means (`plain_number`).
"""
from __future__ import annotations

import csv
import io
import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from portal import domain
from portal.audit.services import record, snapshot
from portal.db import db, unit_of_work, utcnow
from portal.errors import Conflict, Refused
from portal.gaps.models import ServiceGapReport
from portal.index.models import OVERALL, IndexFigure, IndexPeriod
from portal.permissions import can
from portal.trials.models import Answer, Evaluation, Question

COMPONENTS = {
    "satisfaction": _l("Specialty satisfaction"),
    "satisfaction_benchmark": _l("Satisfaction benchmark"),
    "word_of_mouth": _l("Word-of-mouth benchmark"),
}
# Components compared with a competitor (they take a competitor value).
BENCHMARKED = ("satisfaction_benchmark", "word_of_mouth")
PERIOD_KINDS = {"month": _l("Month"), "quarter": _l("Quarter")}
WEIGHT_FIELDS = {
    "satisfaction": "weight_satisfaction",
    "satisfaction_benchmark": "weight_benchmark",
    "word_of_mouth": "weight_word_of_mouth",
}
BENCHMARK_FACTOR = 2.5
# Accepted ranges of the figures: satisfaction scores 0-100, NPS -100..100.
VALUE_RANGES = {
    "satisfaction": (0.0, 100.0),
    "satisfaction_benchmark": (0.0, 100.0),
    "word_of_mouth": (-100.0, 100.0),
}
CSV_COLUMNS = ("component", "commitment", "own_value", "competitor_value")
# The same columns under their Chinese names: the template file downloaded in Chinese has them,
# and a sheet made from it keeps them. Fixed here, not translated: they name a file format, and a
# file must still be read after the interface's wording changes.
CSV_COLUMNS_ZH = ("分项", "服务承诺", "本方数值", "竞争对手数值")
# Each accepted header -> its column; English also as words ("own value").
CSV_HEADER_NAMES = {
    **{name: name for name in CSV_COLUMNS},
    **{name.replace("_", " "): name for name in CSV_COLUMNS},
    **dict(zip(CSV_COLUMNS_ZH, CSV_COLUMNS, strict=True)),
}
CSV_MAX_BYTES = 1024 * 1024
# A refused file's errors shown on the page; all of them are in the error report (CSV).
ERRORS_SHOWN = 50
# A number as people write one: ASCII digits, an optional sign and decimal point.
PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?|[-+]?\.[0-9]+", re.ASCII)

PERIOD_FIELDS = ("label", "kind", "starts_on", "ends_on", "weight_satisfaction",
                 "weight_benchmark", "weight_word_of_mouth")


# While a file is checked: each message translated once (a file may hold 100,000 errors, and
# looking up the translations costs more than the rest of the check of a line).
_translated: ContextVar[dict | None] = ContextVar("index_translated", default=None)


def _(msgid: str, **variables) -> str:
    """flask_babel's gettext; inside `_one_translation_each()`, remembering each translation."""
    memo = _translated.get()
    if memo is None:
        return gettext(msgid, **variables)
    text = memo.get(msgid)
    if text is None:
        text = memo[msgid] = gettext(msgid)
    return text % variables if variables else text


@contextmanager
def _one_translation_each():
    token = _translated.set({})
    try:
        yield
    finally:
        _translated.reset(token)


class IndexRefused(Refused):
    """A change the index refuses; the message is translated. `field` names the form field."""


@dataclass(frozen=True)
class UploadError:
    """One problem of an uploaded file: its line (None: the file as a whole), the CSV column at
    fault ("" for the whole line) and what is wrong (translated, without the line number)."""

    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Line %(line)s: %(error)s", line=self.line, error=self.message)


class UploadRefused(Refused):
    """A CSV file refused whole; `errors` lists every UploadError found, in file order."""

    def __init__(self, errors: list[UploadError]):
        super().__init__(str(errors[0]) if errors else None)
        self.errors = errors


# --- the computation (pure) ---------------------------------------------------------------------


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class IndexResult:
    """The index of one period: its value (None: no data yet) and each component's 0-100 score."""

    period: IndexPeriod
    value: float | None
    components: dict[str, float | None]
    # The weights as used, re-normalized to sum to 1 over the components that have figures.
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.period.label


def _benchmark_pair(figures: list[IndexFigure]) -> tuple[float, float] | None:
    """(own, competitor) of a benchmarked component: the overall figure, else the areas' mean."""
    rows = [f for f in figures if f.competitor_value is not None]
    overall = [f for f in rows if f.commitment == OVERALL]
    use = overall or rows
    if not use:
        return None
    return _mean([f.own_value for f in use]), _mean([f.competitor_value for f in use])


def component_scores(figures: list[IndexFigure]) -> dict[str, float | None]:
    """Each component normalized to 0-100 (None when the period has no figure for it)."""
    by_component: dict[str, list[IndexFigure]] = {code: [] for code in COMPONENTS}
    for f in figures:
        by_component.setdefault(f.component, []).append(f)
    scores: dict[str, float | None] = {}
    areas = [f.own_value for f in by_component["satisfaction"] if f.commitment != OVERALL]
    scores["satisfaction"] = _mean(areas)
    pair = _benchmark_pair(by_component["satisfaction_benchmark"])
    scores["satisfaction_benchmark"] = (
        None if pair is None else clamp(50 + BENCHMARK_FACTOR * (pair[0] - pair[1]))
    )
    pair = _benchmark_pair(by_component["word_of_mouth"])
    scores["word_of_mouth"] = None if pair is None else clamp(50 + (pair[0] - pair[1]) / 2)
    return scores


def combine(scores: dict[str, float | None],
            weights: dict[str, float]) -> tuple[float | None, dict[str, float]]:
    """The weighted mean of the components that have a score, weights re-normalized over them.
    No score, or only zero weights left: (None, {})."""
    present = {c: max(0.0, weights.get(c) or 0.0) for c, s in scores.items() if s is not None}
    total = sum(present.values())
    if not present or total <= 0 or not math.isfinite(total):
        return None, {}
    used = {c: w / total for c, w in present.items()}
    return sum(scores[c] * w for c, w in used.items()), used


def period_weights(period: IndexPeriod) -> dict[str, float]:
    return {c: getattr(period, name) for c, name in WEIGHT_FIELDS.items()}


def compute(period: IndexPeriod) -> IndexResult:
    scores = component_scores(list(period.figures))
    value, used = combine(scores, period_weights(period))
    return IndexResult(period=period, value=value, components=scores, weights=used)


def _periods_with_figures():
    return db.scalars(
        select(IndexPeriod).options(selectinload(IndexPeriod.figures))
        .order_by(IndexPeriod.starts_on, IndexPeriod.id)
    ).all()


def index_series() -> list[IndexResult]:
    """Every period, oldest first, with its computed index (2 queries whatever the count)."""
    return [compute(p) for p in _periods_with_figures()]


def latest_index() -> IndexResult | None:
    """The most recent period that has an index value, or None ("no data yet")."""
    for result in reversed(index_series()):
        if result.value is not None:
            return result
    return None


def area_series(commitment: str) -> list[dict]:
    """Per period, the figures of one commitment area (satisfaction, benchmark, word of mouth)."""
    rows = []
    for period in _periods_with_figures():
        found = {f.component: f for f in period.figures if f.commitment == commitment}
        rows.append({"period": period, **{c: found.get(c) for c in COMPONENTS}})
    return rows


# --- the panel's own figures ---------------------------------------------------------------------


def period_bounds(period: IndexPeriod) -> tuple[datetime, datetime]:
    """The period's dates as a half-open range of instants, days counted in Shanghai."""
    return (domain.shanghai_midnight(period.starts_on),
            domain.shanghai_midnight(period.ends_on + timedelta(days=1)))


@dataclass
class PanelFigures:
    evaluations: int = 0
    # Mean of the 1-5 ratings scaled to 0-100: (rating - 1) / 4 x 100. None: no rating.
    rating_mean: float | None = None
    ratings: int = 0
    # NPS of the 0-10 answers: % promoters (9-10) - % detractors (0-6). None: no answer.
    nps: float | None = None
    nps_answers: int = 0
    # {commitment: {"count": n, "mean_severity": x}} for the six areas (count 0: no report).
    gaps: dict[str, dict] = field(default_factory=dict)

    @property
    def gap_total(self) -> int:
        return sum(g["count"] for g in self.gaps.values())


def panel_figures(period: IndexPeriod) -> PanelFigures:
    """The panel's own figures for the period's dates: submitted evaluations (mean rating on
    0-100 and NPS) and service-gap reports (by occurrence) per commitment area with their mean
    severity. Three queries."""
    start, end = period_bounds(period)
    in_period = (Evaluation.status == "submitted", Evaluation.submitted_at >= start,
                 Evaluation.submitted_at < end)
    figures = PanelFigures()
    figures.evaluations = db.scalar(select(func.count(Evaluation.id)).where(*in_period)) or 0
    rows = db.execute(
        select(
            Question.kind,
            func.count(Answer.number),
            func.avg(Answer.number),
            func.sum(case((Answer.number >= 9, 1), else_=0)),
            func.sum(case((Answer.number <= 6, 1), else_=0)),
        )
        .join(Answer.question).join(Answer.evaluation)
        .where(*in_period, Question.kind.in_(("rating", "nps")), Answer.number.is_not(None))
        .group_by(Question.kind)
    ).all()
    for kind, count, avg, promoters, detractors in rows:
        if not count:
            continue
        if kind == "rating":
            figures.ratings = count
            figures.rating_mean = (float(avg) - 1) / 4 * 100
        else:
            figures.nps_answers = count
            figures.nps = (int(promoters or 0) - int(detractors or 0)) / count * 100
    gap_rows = db.execute(
        select(ServiceGapReport.commitment, func.count(ServiceGapReport.id),
               func.avg(ServiceGapReport.severity))
        .where(ServiceGapReport.occurred_at >= start, ServiceGapReport.occurred_at < end)
        .group_by(ServiceGapReport.commitment)
    ).all()
    found = {code: (n, avg) for code, n, avg in gap_rows}
    for code in domain.COMMITMENTS:
        n, avg = found.get(code, (0, None))
        figures.gaps[code] = {"count": n, "mean_severity": float(avg) if avg is not None else None}
    return figures


def area_gap_counts(commitment: str) -> dict[int, dict]:
    """Per period id: the panel's gap reports of one area in the period (count, mean severity).
    One query per period; periods are few (months and quarters)."""
    out = {}
    for period in db.scalars(select(IndexPeriod).order_by(IndexPeriod.starts_on)).all():
        start, end = period_bounds(period)
        n, avg = db.execute(
            select(func.count(ServiceGapReport.id), func.avg(ServiceGapReport.severity)).where(
                ServiceGapReport.commitment == commitment,
                ServiceGapReport.occurred_at >= start, ServiceGapReport.occurred_at < end,
            )
        ).one()
        out[period.id] = {"count": n or 0, "mean_severity": float(avg) if avg is not None else None}
    return out


# --- periods -------------------------------------------------------------------------------------


def periods() -> list[IndexPeriod]:
    return db.scalars(select(IndexPeriod).order_by(IndexPeriod.starts_on.desc(), IndexPeriod.id)).all()


def _load_period(period_id: int) -> IndexPeriod | None:
    return db.scalars(
        select(IndexPeriod).options(selectinload(IndexPeriod.figures))
        .where(IndexPeriod.id == period_id)
    ).first()


def get_period(viewer, period_id: int) -> IndexPeriod | None:
    """A period with its figures, or None when it does not exist or `viewer` may not edit the
    index (single periods are shown on the admin pages only)."""
    if not can("index.edit", viewer):
        return None
    return _load_period(period_id)


def _check_period(values: dict, period_id: int | None) -> None:
    if values["ends_on"] < values["starts_on"]:
        raise IndexRefused(_("The period cannot end before it starts."), "ends_on")
    weights = [values[name] for name in WEIGHT_FIELDS.values()]
    if any(w is None or w < 0 or not math.isfinite(w) for w in weights):
        raise IndexRefused(_("Weights cannot be negative."), "weight_satisfaction")
    if sum(weights) <= 0:
        raise IndexRefused(_("At least one weight must be above zero."), "weight_satisfaction")
    taken = db.scalar(select(IndexPeriod.id).where(IndexPeriod.label == values["label"]))
    if taken is not None and taken != period_id:
        raise IndexRefused(_("A period with this label already exists."), "label")


def create_period(actor, **values) -> IndexPeriod:
    with unit_of_work():
        _check_period(values, None)
        created = IndexPeriod(**{k: values[k] for k in PERIOD_FIELDS})
        db.add(created)
        db.flush()
        record(actor, "create", "index_period", created.id, after=snapshot(created, PERIOD_FIELDS))
    return created


def _check_version(found: IndexPeriod, version: int | None) -> None:
    """Conflict unless the form was opened on the period's current version. The version the
    period was loaded at also guards the UPDATE itself (version_id_col): a save slipping in
    between this check and the flush is a Conflict too (the unit of work's)."""
    if version is None or found.version != version:
        raise Conflict()


def update_period(actor, period_id: int, version: int | None, **values) -> IndexPeriod:
    """Save the period's definition as seen on a form opened at `version`."""
    with unit_of_work():
        found = db.get(IndexPeriod, period_id)
        if found is None:
            raise LookupError(period_id)
        _check_version(found, version)
        _check_period(values, period_id)
        before = snapshot(found, PERIOD_FIELDS)
        for name in PERIOD_FIELDS:
            setattr(found, name, values[name])
        record(actor, "update", "index_period", found.id, before=before,
               after=snapshot(found, PERIOD_FIELDS))
    return found


# --- figures: checking one row, the form, the CSV upload -----------------------------------------


def figure_keys() -> list[tuple[str, str]]:
    """Every (component, commitment) a period may hold, in display order."""
    keys = [("satisfaction", code) for code in domain.COMMITMENTS]
    for component in BENCHMARKED:
        keys.append((component, OVERALL))
        keys.extend((component, code) for code in domain.COMMITMENTS)
    return keys


def ordered_figures(found: IndexPeriod) -> list[IndexFigure]:
    """The period's figures in display order (component, then overall, then the areas)."""
    order = {key: n for n, key in enumerate(figure_keys())}
    return sorted(found.figures, key=lambda f: order.get((f.component, f.commitment), len(order)))


def plain_number(text: str | None) -> float | None:
    """A number written as people write one (ASCII digits, an optional sign and decimal point:
    81, 81.5, -12), None for an empty text; ValueError for anything else ("٨١", "８１", "8_1",
    "1e2", "inf", "nan", "81,5")."""
    text = (text or "").strip()
    if not text:
        return None
    if not PLAIN_NUMBER.fullmatch(text):
        raise ValueError(text)
    return float(text)


def _value_problems(which: str, low: float, high: float, value) -> list[tuple[str, str]]:
    """What is wrong with the own or competitor value of a benchmarked row."""
    column = f"{which}_value"
    if value is None:
        message = (_("The own value is missing.") if which == "own"
                   else _("The competitor value is missing."))
        return [(column, message)]
    if not low <= value <= high:
        message = (_("The own value must be between %(low)s and %(high)s.", low=int(low), high=int(high))
                   if which == "own" else
                   _("The competitor value must be between %(low)s and %(high)s.",
                     low=int(low), high=int(high)))
        return [(column, message)]
    return []


def row_problems(component: str, commitment: str, own, competitor) -> list[tuple[str, str]]:
    """What is wrong with one figure, as (CSV column at fault, message); empty list: fine.
    Values are floats or None."""
    if component not in COMPONENTS:
        return [("component", _("Unknown component %(value)s: use satisfaction, "
                                "satisfaction_benchmark or word_of_mouth.", value=component or "-"))]
    errors = []
    if commitment != OVERALL and commitment not in domain.COMMITMENTS:
        errors.append(("commitment", _("Unknown commitment area %(value)s.", value=commitment)))
    if component == "satisfaction" and commitment == OVERALL:
        errors.append(("commitment", _("Specialty satisfaction needs a commitment area.")))
    low, high = VALUE_RANGES[component]
    errors.extend(_value_problems("own", low, high, own))
    if component in BENCHMARKED:
        errors.extend(_value_problems("competitor", low, high, competitor))
    elif competitor is not None:
        errors.append(("competitor_value", _("Specialty satisfaction takes no competitor value.")))
    return errors


def check_row(component: str, commitment: str, own, competitor) -> list[str]:
    """The messages of `row_problems` alone."""
    return [message for _column, message in row_problems(component, commitment, own, competitor)]


BAD = object()  # a CSV cell that is not a plain number


def _number(text: str):
    """A float, None for an empty cell, or BAD when it is not a plain number."""
    try:
        return plain_number(text)
    except ValueError:
        return BAD


def _decoded(data: bytes) -> str:
    """The file's text; refused when empty, too large or not UTF-8."""
    if not data:
        raise UploadRefused([UploadError(None, "", _("The file is empty."))])
    if len(data) > CSV_MAX_BYTES:
        raise UploadRefused([UploadError(None, "", _("The file is too large (at most 1 MB)."))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused([UploadError(None, "", _(
            "The file is not UTF-8 text. Please save it as \"CSV UTF-8\" and upload it again."
        ))]) from None


def _check_header(reader) -> None:
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise UploadRefused([UploadError(1, "", str(exc))]) from None
    columns = [CSV_HEADER_NAMES.get(" ".join(h.split()).lower(), h) for h in header or []]
    if columns[:len(CSV_COLUMNS)] != list(CSV_COLUMNS) or any(c.strip() for c in columns[len(CSV_COLUMNS):]):
        raise UploadRefused([UploadError(None, "", _(
            "Line 1 must be the header: %(columns)s, or in Chinese %(chinese)s.",
            columns=",".join(CSV_COLUMNS), chinese=",".join(CSV_COLUMNS_ZH),
        ))])


def _data_lines(reader, errors: list[UploadError]):
    """(line number, cells) of each non-blank line after the header. A line the csv module
    cannot read is added to `errors` and ends the reading (what follows cannot be trusted)."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(UploadError(reader.line_num, "", str(exc)))
            return
        if any(c.strip() for c in cells):
            yield reader.line_num, cells


def _cell_problems(component: str, commitment: str, own, competitor) -> list[tuple[str, str]]:
    """What is wrong with a line's values (BAD: a cell that is not a plain number)."""
    problems = []
    if own is BAD:
        problems.append(("own_value", _("the own value is not a number such as 81 or 81.5")))
    if competitor is BAD:
        problems.append(("competitor_value",
                         _("the competitor value is not a number such as 81 or 81.5")))
    return problems or row_problems(component, commitment, own, competitor)


def _parse_line(line: int, cells: list[str],
                seen: dict[tuple[str, str], int]) -> tuple[dict | None, list[UploadError]]:
    """One data line as a figure row, or None with its errors."""
    width = len(CSV_COLUMNS)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return None, [UploadError(line, "", _("too many columns."))]
    component, commitment, own_text, competitor_text = (cells + [""] * width)[:width]
    component = component.strip().lower()
    commitment = commitment.strip().lower()
    if commitment == "overall":
        commitment = OVERALL
    own, competitor = _number(own_text), _number(competitor_text)
    problems = _cell_problems(component, commitment, own, competitor)
    if not problems and (component, commitment) in seen:
        problems = [("", _("the same figure is already on line %(line)s",
                           line=seen[(component, commitment)]))]
    if problems:
        return None, [UploadError(line, column, message) for column, message in problems]
    return dict(component=component, commitment=commitment, own_value=own,
                competitor_value=competitor), []


def check_csv(data: bytes) -> tuple[list[dict], list[UploadError]]:
    """The rows of an uploaded CSV file and every error found, line by line (a file refused as a
    whole, empty, not UTF-8 or without its header, raises UploadRefused)."""
    reader = csv.reader(io.StringIO(_decoded(data), newline=""))
    _check_header(reader)
    errors: list[UploadError] = []
    rows: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    with _one_translation_each():
        for line, cells in _data_lines(reader, errors):
            row, problems = _parse_line(line, cells, seen)
            errors.extend(problems)
            if row is not None:
                seen[(row["component"], row["commitment"])] = line
                rows.append(row)
    return rows, errors


def parse_csv(data: bytes) -> list[dict]:
    """The rows of an uploaded CSV file, checked line by line. Raises UploadRefused listing every
    error with its line number; returns [{component, commitment, own_value, competitor_value}]."""
    rows, errors = check_csv(data)
    if errors:
        raise UploadRefused(errors)
    if not rows:
        raise UploadRefused([UploadError(None, "", _("The file holds no figures."))])
    return rows


def template_rows() -> list[tuple[str, str, str, str]]:
    """The lines of the template file: every figure a period may hold, its values left to fill
    in (overall written as such)."""
    return [(component, commitment or "overall", "", "") for component, commitment in figure_keys()]


def error_report(data: bytes) -> list[UploadError]:
    """Every error of an uploaded file, for its error report (empty: the file is fine).

    The report is made again from the file, which the person sends once more (the error page's
    "error report" button): no server state is kept between the upload and the download, so
    there is nothing to store, expire or clean up, and the report always equals the page."""
    try:
        parse_csv(data)
    except UploadRefused as exc:
        return exc.errors
    return []


def _save_rows(found: IndexPeriod, rows: list[dict]) -> tuple[int, int]:
    existing = {(f.component, f.commitment): f for f in found.figures}
    added = changed = 0
    for row in rows:
        figure = existing.get((row["component"], row["commitment"]))
        if figure is None:
            found.figures.append(IndexFigure(**row))
            added += 1
        elif (figure.own_value, figure.competitor_value) != (row["own_value"], row["competitor_value"]):
            figure.own_value = row["own_value"]
            figure.competitor_value = row["competitor_value"]
            changed += 1
    return added, changed


def _touch(found: IndexPeriod) -> None:
    """Mark the period changed, so that the flush bumps (and checks) its version."""
    found.updated_at = utcnow()


def upload_figures(actor, period_id: int, data: bytes, filename: str = "") -> int:
    """Check a CSV file whole and, only if every line is right, replace the period's figures for
    the rows it gives (others stay). All or nothing: one transaction. Returns the rows saved."""
    rows = parse_csv(data)
    with unit_of_work():
        found = _load_period(period_id)
        if found is None:
            raise LookupError(period_id)
        added, changed = _save_rows(found, rows)
        if added or changed:
            _touch(found)
        record(actor, "index.upload", "index_period", found.id,
               after={"file": filename[:200], "rows": len(rows), "added": added, "changed": changed})
    return len(rows)


def save_figures(actor, period_id: int, rows: list[dict], version: int | None) -> None:
    """Save the figures entry form opened at `version`: the rows given are the period's whole
    set of figures (a figure left blank is removed). Conflict when the period changed since."""
    with unit_of_work():
        found = _load_period(period_id)
        if found is None:
            raise LookupError(period_id)
        _check_version(found, version)
        keep = {(r["component"], r["commitment"]) for r in rows}
        removed = [f for f in found.figures if (f.component, f.commitment) not in keep]
        for figure in removed:
            found.figures.remove(figure)
        added, changed = _save_rows(found, rows)
        if added or changed or removed:
            _touch(found)
        record(actor, "index.figures", "index_period", found.id,
               after={"rows": len(rows), "added": added, "changed": changed,
                      "removed": len(removed)})
