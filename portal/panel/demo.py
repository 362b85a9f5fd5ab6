"""Demo data of panel health and recognition (called by portal.demo.seed, in its unit of work):
the points rules with one audited change, the ledger of every demo activity (through the
backfill), members lapsing in each state (never asked back, asked back recently, asked back long
enough ago to be asked again), and the members asked per published consultation."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.accounts.models import User
from portal.db import db, utcnow
from portal.opinions.models import Consultation
from portal.panel import activity, points, services
from portal.panel.models import ConsultationReach, PointsRule

DEFAULT_POINTS = {"evaluation": 10, "opinion": 5, "gap_report": 5, "fix_confirmed": 3}

# (email, name, segment, district, joined days ago, re-engaged days ago or None)
QUIET_MEMBERS = [
    ("quiet1@example.com", "周婷", "household", "baoshan", 200, None),
    ("quiet2@example.com", "吴刚", "mobile", "songjiang", 400, 10),
    ("quiet3@example.com", "郑洁", "sme", "jiading", 150, 45),
]


def seed_demo(password: str) -> None:
    now = utcnow()
    for kind, value in DEFAULT_POINTS.items():
        if db.get(PointsRule, kind) is None:
            db.add(PointsRule(kind=kind, points=value))
    db.flush()
    admin = db.scalar(select(User).where(User.email == "admin@example.com"))
    if admin is not None:  # one audited change, for the rules page's history
        points.save_rules({**DEFAULT_POINTS, "opinion": 6}, admin)
    activity.backfill()

    password_hash = generate_password_hash(password)
    office = db.scalar(select(User).where(User.email == "office@example.com"))
    for email, name, segment, district, joined, asked in QUIET_MEMBERS:
        member = User(email=email, name=name, role="member", segment=segment, district=district,
                      password_hash=password_hash, created_at=now - timedelta(days=joined))
        db.add(member)
        db.flush()
        if asked is not None and office is not None:
            services.re_engage([member.id], office, now=now - timedelta(days=asked))
    # Members asked per consultation: every published one has its count (the receiver counts
    # those published from now on).
    counted = select(ConsultationReach.consultation_id)
    for consultation in db.scalars(select(Consultation).where(
            Consultation.status == "published", Consultation.id.not_in(counted))):
        services.count_consultation_reach(consultation, now)
    db.flush()
