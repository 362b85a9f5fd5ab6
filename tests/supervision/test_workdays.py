"""Working time in Shanghai: weekends, public holidays and adjusted working days (调休) as
chinese_calendar publishes them for 2026."""
from __future__ import annotations

from datetime import datetime

import pytest

from portal.domain import SHANGHAI
from portal.supervision import domain, workdays


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


def test_hours_within_one_day_and_over_the_evening():
    assert workdays.add_working_hours(at("2026-06-02", "10:00"), 4) == at("2026-06-02", "14:00")
    # 16:00 Tuesday + 4h: 1.5h left on Tuesday, 2.5h from 09:00 Wednesday
    assert workdays.add_working_hours(at("2026-06-02", "16:00"), 4) == at("2026-06-03", "11:30")


def test_before_opening_and_after_closing_start_at_the_next_working_moment():
    assert workdays.add_working_hours(at("2026-06-02", "07:00"), 1) == at("2026-06-02", "10:00")
    assert workdays.add_working_hours(at("2026-06-02", "20:00"), 1) == at("2026-06-03", "10:00")


def test_weekend_is_skipped():
    # Friday 16:30 + 4h: 1h on Friday, Monday 09:00 + 3h
    assert workdays.add_working_hours(at("2026-06-05", "16:30"), 4) == at("2026-06-08", "12:00")
    assert workdays.add_working_hours(at("2026-06-06", "11:00"), 1) == at("2026-06-08", "10:00")


def test_national_day_holiday_is_skipped():
    # Wednesday 30 September 16:30 + 4h: 1h, then 1-7 October off, Thursday 8 October 09:00 + 3h
    assert workdays.add_working_hours(at("2026-09-30", "16:30"), 4) == at("2026-10-08", "12:00")
    assert not workdays.is_working_day(at("2026-10-05").date())  # a Monday, but a holiday


def test_adjusted_working_weekend_days_count():
    # Sunday 20 September and Saturday 10 October 2026 are working days (调休)
    assert workdays.is_working_day(at("2026-09-20").date())
    assert workdays.is_working_day(at("2026-10-10").date())
    assert workdays.add_working_hours(at("2026-09-19", "12:00"), 2) == at("2026-09-20", "11:00")
    # Friday 9 October 17:00 + 1h: 0.5h Friday, Saturday 10 October (working) 09:30
    assert workdays.add_working_hours(at("2026-10-09", "17:00"), 1) == at("2026-10-10", "09:30")


def test_two_working_days_and_the_minutes_between():
    start = at("2026-09-29", "15:00")  # Tuesday; 30 Sept works, 1-7 October off
    due = workdays.add_working_days(start, 2)
    assert due == at("2026-10-08", "15:00")
    assert workdays.working_minutes_between(start, due) == 2 * workdays.MINUTES_PER_DAY
    assert workdays.working_minutes_between(at("2026-06-05", "17:00"), at("2026-06-08", "09:30")) == 60
    assert workdays.working_minutes_between(at("2026-06-08", "10:00"), at("2026-06-08", "09:00")) == 0


@pytest.mark.parametrize("urgency, first, second", [
    ("urgent", at("2026-06-02", "14:00"), at("2026-06-03", "09:30")),
    ("normal", at("2026-06-04", "10:00"), at("2026-06-08", "10:00")),
])
def test_deadlines_for_b_contact_and_office(urgency, first, second):
    assert domain.deadlines(at("2026-06-02", "10:00"), urgency) == (first, second)
