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
from sqlalchemy import Select, func, select

from portal.db import db


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

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


def paginate(stmt: Select, number: int | None = None, per_page: int = 25, scalars: bool = True) -> Page:
    number = number or requested_page()
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, ceil(total / per_page))
    number = min(number, pages)
    result = db.execute(stmt.limit(per_page).offset((number - 1) * per_page))
    items = list(result.scalars().unique()) if scalars else list(result)
    return Page(items=items, number=number, per_page=per_page, total=total)
