"""Working time in Shanghai: the clock of the hotline's response times.

A working day is what `chinese_calendar` says (weekends and public holidays off, and the
adjusted working days 调休 on, as the State Council publishes them each year); working hours are
09:00-17:30 Beijing time. Instants are aware datetimes (stored UTC); the arithmetic is done in
Shanghai's wall time, which has no daylight saving.

Years `chinese_calendar` does not know yet (it raises NotImplementedError) fall back to Monday
to Friday, so a deadline is never lost for want of a published calendar.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar

from portal.domain import SHANGHAI

DAY_STARTS = time(9, 0)
DAY_ENDS = time(17, 30)
MINUTES_PER_DAY = (DAY_ENDS.hour * 60 + DAY_ENDS.minute) - (DAY_STARTS.hour * 60 + DAY_STARTS.minute)
# A long holiday is at most ~10 days off in a row; a bound keeps a bad calendar from looping.
_MAX_DAYS_OFF = 40


@lru_cache(maxsize=2048)
def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _next_working_day(day: date) -> date:
    for _ in range(_MAX_DAYS_OFF):
        day += timedelta(days=1)
        if is_working_day(day):
            return day
    raise ValueError("no working day within 40 days")  # pragma: no cover - calendar error


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def _clamp(local: datetime) -> datetime:
    """The first working instant at or after `local` (Shanghai wall time)."""
    day = local.date()
    if is_working_day(day):
        start = datetime.combine(day, DAY_STARTS, tzinfo=SHANGHAI)
        end = datetime.combine(day, DAY_ENDS, tzinfo=SHANGHAI)
        if local < start:
            return start
        if local < end:
            return local
    return datetime.combine(_next_working_day(day), DAY_STARTS, tzinfo=SHANGHAI)


def add_working_minutes(start: datetime, minutes: int) -> datetime:
    """The instant `minutes` working minutes after `start` (aware, in Shanghai's zone)."""
    current = _clamp(_local(start))
    remaining = minutes
    while True:
        end = datetime.combine(current.date(), DAY_ENDS, tzinfo=SHANGHAI)
        left_today = int((end - current).total_seconds() // 60)
        if remaining <= left_today:
            return current + timedelta(minutes=remaining)
        remaining -= left_today
        current = datetime.combine(_next_working_day(current.date()), DAY_STARTS, tzinfo=SHANGHAI)


def add_working_hours(start: datetime, hours: float) -> datetime:
    return add_working_minutes(start, round(hours * 60))


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` working days after `start`: the same working time of day, `days` working days on."""
    return add_working_minutes(start, days * MINUTES_PER_DAY)


def working_minutes_between(start: datetime, end: datetime) -> int:
    """Working minutes from `start` to `end` (0 when `end` is not after `start`)."""
    a, b = _clamp(_local(start)), _local(end)
    if b <= a:
        return 0
    total = 0
    while True:
        day_end = datetime.combine(a.date(), DAY_ENDS, tzinfo=SHANGHAI)
        if b <= day_end:
            return total + int((b - a).total_seconds() // 60)
        total += int((day_end - a).total_seconds() // 60)
        a = datetime.combine(_next_working_day(a.date()), DAY_STARTS, tzinfo=SHANGHAI)
        if b <= a:
            return total
