"""Page-numbered lists: two queries per page (the count and the rows), whatever the page size.

A list's filters are one GET form (its fields and their checks are the one description of the
filter set); `chosen_filters(form)` hands the service the values that passed those checks, as
keyword arguments named like the fields. A value outside a field's choices, or otherwise
invalid, counts as not given: a hand-edited address shows the unfiltered list, never an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from flask import request
from sqlalchemy import Select, func, literal_column, select

from portal.db import db


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int  # exact up to COUNT_CAP; COUNT_CAP when there are more (`capped`)
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def chosen_filters(form) -> dict[str, Any]:
    """The filter form's valid, non-blank values by field name (CSRF and buttons left out)."""
    form.validate()
    return {
        name: field.data for name, field in form._fields.items()
        if field.type not in ("CSRFTokenField", "SubmitField")
        and not field.errors and field.data not in ("", None)
    }


def requested_page() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and int(page) > 0 else 1


# Lists count no further: an exact count of a million rows on every page view costs more than
# the page itself (a list past 10,000 rows is read by filtering it, not by paging to its end).
COUNT_CAP = 10_000


def capped_count(stmt: Select, cap: int | None = None) -> int:
    """The number of rows of `stmt`, counting no further than `cap` (COUNT_CAP) + 1."""
    cap = COUNT_CAP if cap is None else cap
    counted = stmt.order_by(None)
    if not counted._distinct:  # the rows' columns do not matter to their number
        counted = counted.with_only_columns(literal_column("1"), maintain_column_froms=True)
    return db.scalar(select(func.count()).select_from(counted.limit(cap + 1).subquery())) or 0


def paginate(stmt: Select, number: int | None = None, per_page: int = 25, scalars: bool = True) -> Page:
    number = number or requested_page()
    cap = COUNT_CAP
    total = capped_count(stmt, cap)
    capped = total > cap
    total = min(total, cap)
    pages = max(1, ceil(total / per_page))
    number = min(number, pages)
    result = db.execute(stmt.limit(per_page).offset((number - 1) * per_page))
    items = list(result.scalars().unique()) if scalars else list(result)
    return Page(items=items, number=number, per_page=per_page, total=total, capped=capped)
