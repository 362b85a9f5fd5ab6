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
from sqlalchemy import BigInteger, Select, case, cast, func, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SQLAlchemyError

from portal.db import db


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    # Exact up to COUNT_CAP; COUNT_CAP when there are more, or when `estimate` is shown instead
    # (`capped`: pages are then numbered up to the cap's).
    total: int
    capped: bool = False
    estimate: int | None = None  # the estimate shown ("About ..."), where many are expected
    more: bool | None = None  # a next page, as read with the page (an estimated list)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages if self.more is None else self.more


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


# Where the estimate is this many rows or more, a list shows it ("About 15,000") and reads none
# of them; below it, they are counted. At the cap: past it the count would only have said "more
# than 10,000", and reaching the cap is what costs (a word in 15 % of 100,000 rows: 66,000 rows
# read, 45 ms on PostgreSQL). PostgreSQL's estimates (from ANALYZE's random sample, kept fresh
# by autovacuum) were within a quarter of the truth at a million submissions (26,914 for
# 33,294 rows of two filters and a word; 154,478 for some 150,000 rows containing a word): an
# estimate just past the cap may stand for a few rows under it, which "About" says.
ESTIMATE_FROM = COUNT_CAP


@dataclass(frozen=True)
class RowCount:
    n: int  # counted (up to the limit asked), or the planner's estimate rounded (`estimated`)
    estimated: bool = False


def count_rows(stmt: Select, limit: int, estimate=None) -> RowCount:
    """The rows of `stmt`, counted no further than `limit`: reaching a cap of 10,000 can mean
    reading 60,000 rows that a search tests one by one (30-45 ms at a million submissions on
    PostgreSQL, where no index counts a substring exactly). The same statement first takes an
    estimate and counts only where it is below ESTIMATE_FROM (or NULL); past that the estimate,
    rounded to two figures, is the answer. The estimate is `estimate` (an SQL expression the
    caller knows better) or, on PostgreSQL, the planner's (`plan_rows`, migration 0029)."""
    counted = _rows_only(stmt)
    capped = select(func.count()).select_from(counted.limit(limit).subquery())
    if estimate is None:
        sql = _planned_sql(counted)
        if sql is None:
            return RowCount(db.scalar(capped) or 0)
        estimate = func.plan_rows(sql)
    # Materialised: the estimate is worked out once, not once for WHEN and again for THEN
    # (SQLite would otherwise copy its expression, and the samples in it, into both).
    planned = select(cast(estimate, BigInteger).label("rows")).cte("planned").prefix_with(
        "MATERIALIZED")
    # CASE reads the capped count (run when first needed, on both databases) only below the mark.
    n = db.scalar(select(case((planned.c.rows >= ESTIMATE_FROM, -planned.c.rows),
                              else_=capped.scalar_subquery())).select_from(planned)) or 0
    if n < 0:
        return RowCount(_two_figures(-n), estimated=True)
    return RowCount(n)


# Literal SQL for plan_rows: values written in, and no "%" doubled (the statement is a value,
# not a statement psycopg formats). Per server setting: backslashes in a string are escaped
# only where the server reads them as escapes (standard_conforming_strings off).
_LITERAL_DIALECTS: dict[bool, postgresql.dialect] = {}


def _planned_sql(stmt: Select) -> str | None:
    """`stmt` as literal SQL for the planner on PostgreSQL; None elsewhere, or where a value
    has no literal form (then the rows are counted)."""
    bound = db.get_bind().dialect
    if bound.name != "postgresql":
        return None
    escapes = bool(getattr(bound, "_backslash_escapes", False))
    dialect = _LITERAL_DIALECTS.get(escapes)
    if dialect is None:
        dialect = postgresql.dialect(paramstyle="named")
        dialect._backslash_escapes = escapes
        _LITERAL_DIALECTS[escapes] = dialect
    try:
        return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (SQLAlchemyError, NotImplementedError, TypeError, ValueError):
        return None


def _two_figures(n: int) -> int:
    """154,478 -> 150,000 and 125,000 -> 130,000: an estimate shown no more precisely than it
    is (halves up, as people round)."""
    digits = len(str(n))
    if digits <= 2:
        return n
    step = 10 ** (digits - 2)
    return (n + step // 2) // step * step


def capped_count(stmt: Select, cap: int | None = None) -> int:
    """The number of rows of `stmt`, counting no further than `cap` (COUNT_CAP) + 1."""
    cap = COUNT_CAP if cap is None else cap
    return db.scalar(select(func.count()).select_from(_rows_only(stmt).limit(cap + 1).subquery())) or 0


def _rows_only(stmt: Select) -> Select:
    """`stmt` unordered, and without its columns unless DISTINCT needs them: they do not
    matter to the number of rows."""
    counted = stmt.order_by(None)
    if not counted._distinct:
        counted = counted.with_only_columns(literal_column("1"), maintain_column_froms=True)
    return counted


def paginate(stmt: Select, number: int | None = None, per_page: int = 25, scalars: bool = True) -> Page:
    number = number or requested_page()
    cap = COUNT_CAP
    counted = count_rows(stmt, cap + 1)
    if counted.estimated:
        return _estimated_page(stmt, number, per_page, scalars, counted.n)
    capped = counted.n > cap
    total = min(counted.n, cap)
    pages = max(1, ceil(total / per_page))
    number = min(number, pages)
    items = _rows(stmt, number, per_page, scalars)
    return Page(items=items, number=number, per_page=per_page, total=total, capped=capped)


def _rows(stmt: Select, number: int, per_page: int, scalars: bool, extra: int = 0) -> list:
    result = db.execute(stmt.limit(per_page + extra).offset((number - 1) * per_page))
    return list(result.scalars().unique()) if scalars else list(result)


def _estimated_page(stmt: Select, number: int, per_page: int, scalars: bool, estimate: int) -> Page:
    """A page of a list known by its estimate only: one row more than the page tells whether a
    next page exists, and a page that is not full gives the exact total (an estimate may be
    well off where filters go together). A page past the end is a hand-edited address: the
    list is counted after all and its last page shown."""
    number = min(number, ceil(COUNT_CAP / per_page))
    rows = _rows(stmt, number, per_page, scalars, extra=1)
    items, more = rows[:per_page], len(rows) > per_page
    if more:
        return Page(items=items, number=number, per_page=per_page, total=COUNT_CAP, capped=True,
                    estimate=estimate, more=True)
    if items or number == 1:
        total = (number - 1) * per_page + len(items)
        return Page(items=items, number=number, per_page=per_page, total=total, more=False)
    counted = capped_count(stmt)
    total = min(counted, COUNT_CAP)
    number = max(1, ceil(total / per_page))
    return Page(items=_rows(stmt, number, per_page, scalars), number=number, per_page=per_page,
                total=total, capped=counted > COUNT_CAP)
