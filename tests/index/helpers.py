"""Builders for the index tests."""
from __future__ import annotations

from datetime import date

from portal.index.models import IndexFigure, IndexPeriod

GOOD_CSV = (
    "component,commitment,own_value,competitor_value\n"
    "satisfaction,network_quality,80,\n"
    "satisfaction,billing_reminders,70,\n"
    "satisfaction,roaming,90,\n"
    "satisfaction_benchmark,overall,84,80\n"
    "word_of_mouth,,30,10\n"
)


def make_period(s, label="2026-10", starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31),
                figures=(), **fields) -> IndexPeriod:
    """A period (weights 40/30/30 unless given) with `figures`: (component, commitment, own,
    competitor) tuples; commitment "" is overall."""
    values = dict(label=label, kind="month", starts_on=starts_on, ends_on=ends_on,
                  weight_satisfaction=40, weight_benchmark=30, weight_word_of_mouth=30)
    values.update(fields)
    period = IndexPeriod(**values)
    period.figures = [IndexFigure(component=c, commitment=a, own_value=o, competitor_value=v)
                      for c, a, o, v in figures]
    s.add(period)
    s.commit()
    return period


# The fixed data set of the formula tests: S = 80, B = 60, W = 60, index = 68 (weights 40/30/30).
FIXED = [
    ("satisfaction", "network_quality", 80, None),
    ("satisfaction", "billing_reminders", 70, None),
    ("satisfaction", "roaming", 90, None),
    ("satisfaction_benchmark", "", 84, 80),
    # Ignored: the overall benchmark figure is there.
    ("satisfaction_benchmark", "e_channels", 70, 90),
    ("word_of_mouth", "", 30, 10),
]
