"""Helpers shared by the opinions tests."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.domain import shanghai_today
from portal.opinions.models import Consultation, Opinion
from tests.factories import make_consultation
from tests.queries import sql_statements as count_queries  # noqa: F401  (re-exported for the area's tests)


def days(n: int):
    """Shanghai's today plus `n` days: windows are compared with Shanghai's date."""
    return shanghai_today() + timedelta(days=n)


def open_consultation(dbs, **fields) -> Consultation:
    return make_consultation(dbs, **{"opens_on": days(-2), "closes_on": days(5), **fields})


def closed_consultation(dbs, **fields) -> Consultation:
    return make_consultation(dbs, **{"opens_on": days(-20), "closes_on": days(-1), **fields})


def upcoming_consultation(dbs, **fields) -> Consultation:
    return make_consultation(dbs, **{"opens_on": days(3), "closes_on": days(10), **fields})


def make_opinion(dbs, consultation, member, stance="support", text="Sounds right.",
                 triage_status="new") -> Opinion:
    opinion = Opinion(consultation_id=consultation.id, member_id=member.id, stance=stance,
                      text=text, triage_status=triage_status)
    dbs.add(opinion)
    dbs.commit()
    return opinion


def opinions_of(dbs, consultation, member=None) -> list[Opinion]:
    dbs.expire_all()
    stmt = select(Opinion).where(Opinion.consultation_id == consultation.id)
    if member is not None:
        stmt = stmt.where(Opinion.member_id == member.id)
    return list(dbs.scalars(stmt))
