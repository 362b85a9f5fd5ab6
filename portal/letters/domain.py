"""The letters' vocabularies and periods (pure: no database).

- A period is a year ("2026"), a quarter ("2026-Q1") or a month ("2026-03"), as the office says
  it. Figures are counted per month and summed up to quarters and years, so every period is the
  months it covers.
- A figure against its target reads green (reached), amber (missed by at most the measure's
  margin) or red (missed by more); without data it is "no data". The pages show each with a
  symbol and a word, never the colour alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l, lazy_pgettext

LETTER_STATUSES = {
    "draft": _l("Draft"),
    "signed_off": _l("Signed off"),
}
UNIT_KINDS = {
    "department": _l("Department"),
    "district_branch": _l("District branch"),
}
RAG = {
    "green": _l("Target reached"),
    "amber": _l("Close to target"),
    "red": _l("Target missed"),
    "none": _l("No data yet"),
}
# The symbol beside each state (with its word, so it never rests on colour).
RAG_SYMBOLS = {"green": "✓", "amber": "!", "red": "✗", "none": "–"}
RECORD_KINDS = {
    "item": _l("Improvement item"),
    "support_request": _l("Support request"),
}
TASK_STATES = {
    "done": _l("Done"),
    "open": lazy_pgettext("key task", "Open"),
    "overdue": _l("Overdue"),
}

FIRST_YEAR, LAST_YEAR = 2010, 2100
_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None
    month: int | None = None

    @classmethod
    def parse(cls, code: str | None) -> Period | None:
        """The period a code names, or None when it names none ("2026-13", "abc")."""
        match = _PERIOD.match((code or "").strip())
        if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            return None
        year, part = int(match.group(1)), match.group(2)
        if part is None:
            return cls(year)
        if part.startswith("Q"):
            return cls(year, quarter=int(part[1]))
        return cls(year, month=int(part))

    @property
    def code(self) -> str:
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        if self.quarter is not None:
            return f"{self.year}-Q{self.quarter}"
        return str(self.year)

    @property
    def months(self) -> tuple[int, ...]:
        if self.month is not None:
            return (self.month,)
        if self.quarter is not None:
            return tuple(range(3 * self.quarter - 2, 3 * self.quarter + 1))
        return tuple(range(1, 13))

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        last = self.months[-1]
        return date(self.year + 1, 1, 1) if last == 12 else date(self.year, last + 1, 1)

    @property
    def label(self) -> str:
        return self.code

    def holds(self, other: Period) -> bool:
        """Does this period cover all of `other`?"""
        return other.year == self.year and set(other.months) <= set(self.months)


def months(year: int) -> list[Period]:
    return [Period(year, month=m) for m in range(1, 13)]


def quarters(year: int) -> list[Period]:
    return [Period(year, quarter=q) for q in range(1, 5)]


def period_choices(year: int, with_year: bool = True) -> list[tuple[str, str]]:
    """The year, its quarters and its months, as select choices (codes are their own labels)."""
    periods = ([Period(year)] if with_year else []) + quarters(year) + months(year)
    return [(p.code, p.code) for p in periods]


def rag(value: float | None, target: float | None, higher_is_better: bool, margin: float) -> str | None:
    """The state of a figure against its target; None without a target."""
    if target is None:
        return None
    if value is None:
        return "none"
    gap = (target - value) if higher_is_better else (value - target)
    if gap <= 0:
        return "green"
    return "amber" if gap <= margin else "red"


def task_state(done_on: date | None, due_on: date, today: date) -> str:
    if done_on is not None:
        return "done"
    return "overdue" if due_on < today else "open"
