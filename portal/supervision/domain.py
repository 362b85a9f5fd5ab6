"""The hotline's rules that need no database: response times, the life cycle's moves, routing.

- A request's response time runs from the moment it reaches a department (filed with one, or
  routed): 4 working hours when urgent, 2 working days when normal (workdays.py's clock). Not
  accepted by then, the B contact is told; one more such period later, the supervision office.
- The life cycle: new -> accepted -> answered -> confirmed (by the district, with a 1-5 rating)
  -> closed (by the office); an answer sent back by the district returns to accepted.
- Routing: the rule naming the request's category and commitment wins over one naming its
  category only, which wins over one naming its commitment only.
"""
from __future__ import annotations

from datetime import datetime

from portal.supervision import workdays

URGENT_HOURS = 4
NORMAL_DAYS = 2

TRANSITIONS = {
    "accept": ("new", "accepted"),
    "answer": ("accepted", "answered"),
    "send_back": ("answered", "accepted"),
    "confirm": ("answered", "confirmed"),
    "close": ("confirmed", "closed"),
}


def response_deadline(start: datetime, urgency: str) -> datetime:
    """When a request that reached its department at `start` must be accepted."""
    if urgency == "urgent":
        return workdays.add_working_hours(start, URGENT_HOURS)
    return workdays.add_working_days(start, NORMAL_DAYS)


def deadlines(start: datetime, urgency: str) -> tuple[datetime, datetime]:
    """(tell the B contact at, tell the supervision office at)."""
    b_due = response_deadline(start, urgency)
    return b_due, response_deadline(b_due, urgency)


def may_move(status: str, step: str) -> bool:
    return TRANSITIONS[step][0] == status


def pick_rule(rules, category: str, commitment: str | None):
    """The routing rule for a category (and its commitment), or None. `rules` have `category`,
    `commitment` and `department_id`."""
    def rank(rule) -> int | None:
        if rule.category == category and rule.commitment == commitment and rule.commitment:
            return 0
        if rule.category == category and rule.commitment is None:
            return 1
        if rule.category is None and commitment is not None and rule.commitment == commitment:
            return 2
        return None

    ranked = [(rank(r), r.id, r) for r in rules if rank(r) is not None]
    return min(ranked, key=lambda t: (t[0], t[1]))[2] if ranked else None


def median(values: list[int]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return float(values[mid]) if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
