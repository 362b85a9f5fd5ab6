"""Helpers for the dashboard tests: a fixed "today", submissions at given instants, query counts."""
from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timezone

import pytest

from portal import domain
from portal.triage.models import Submission
from tests.queries import count_queries  # noqa: F401  (re-exported for the area's tests)

# The dashboards' "today" in these tests (a Shanghai date).
TODAY = date(2026, 3, 15)
_seq = itertools.count(1)


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr(domain, "shanghai_today", lambda: TODAY)
    return TODAY


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def make_submission(dbs, member, submitted_at: datetime, kind: str = "opinion", **fields) -> Submission:
    n = next(_seq)
    values = dict(kind=kind, member_id=member.id, segment=member.segment, district=member.district,
                  title=f"Submission {n}", description=f"Text {n}", status="new", tags=[],
                  submitted_at=submitted_at)
    values.update(fields)
    submission = Submission(**values)
    dbs.add(submission)
    dbs.commit()
    return submission


def day_counts(html: str) -> dict[str, int]:
    """The per-day table as {iso date: count}."""
    return {d: int(n) for d, n in re.findall(
        r'data-day="([0-9-]+)"><td>[^<]*</td><td class="num">(\d+)</td>', html)}


def cell(html: str, key: str) -> tuple[int, bool]:
    """A district x commitment cell: (count, highlighted)."""
    m = re.search(r'<td class="num([^"]*)" data-cell="%s">(?:<strong>)?(\d+)' % re.escape(key), html)
    assert m, key
    return int(m.group(2)), "cell-top" in m.group(1)


def total(html: str, key: str) -> int:
    m = re.search(r'data-total="%s"><strong>(\d+)</strong>' % re.escape(key), html)
    assert m, key
    return int(m.group(1))


def department_row(html: str, department_id) -> tuple[int, int]:
    m = re.search(r'data-department="%s">\s*<td>.*?</td>\s*<td class="num">(\d+)</td>\s*'
                  r'<td class="num[^"]*">(\d+)</td>' % (department_id or ""), html, re.S)
    assert m, department_id
    return int(m.group(1)), int(m.group(2))
