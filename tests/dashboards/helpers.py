"""Helpers for the dashboard tests: the fixed "today", submissions at given instants, query counts."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import partial

from tests import factories
from tests.queries import count_queries  # noqa: F401  (re-exported for the area's tests)

# The dashboards' "today" in these tests (a Shanghai date; the `fixed_today` fixture sets it).
TODAY = date(2026, 3, 15)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# The dashboards count opinions unless a test says otherwise: make_submission(dbs, member, at).
make_submission = partial(factories.make_submission, kind="opinion")


def day_counts(html: str) -> dict[str, int]:
    """The per-day table as {iso date: count}."""
    return {d: int(n) for d, n in re.findall(
        r'data-day="([0-9-]+)"><td>[^<]*</td><td class="num">(\d+)</td>', html)}


def cell(html: str, key: str) -> tuple[int, bool]:
    """A district x commitment cell: (count, highlighted)."""
    m = re.search(rf'<td class="num([^"]*)" data-cell="{re.escape(key)}">(?:<strong>)?(\d+)', html)
    assert m, key
    return int(m.group(2)), "cell-top" in m.group(1)


def total(html: str, key: str) -> int:
    m = re.search(rf'data-total="{re.escape(key)}"><strong>(\d+)</strong>', html)
    assert m, key
    return int(m.group(1))


def department_row(html: str, department_id) -> tuple[int, int]:
    m = re.search(r'data-department="%s">\s*<td>.*?</td>\s*<td class="num">(\d+)</td>\s*'
                  r'<td class="num[^"]*">(\d+)</td>' % (department_id or ""), html, re.S)
    assert m, department_id
    return int(m.group(1)), int(m.group(2))
