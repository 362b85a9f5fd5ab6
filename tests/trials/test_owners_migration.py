"""Migration 0005 gives each existing trial its creator as owner, and every trial, question,
consultation and department version 1."""
from __future__ import annotations

from datetime import date, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, select

from portal.migrate import alembic_config, upgrade


def test_existing_trials_are_owned_by_their_creators(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision("0005").down_revision
    upgrade(url, before)
    engine = create_engine(url)
    try:
        old = MetaData()
        old.reflect(engine)
        t = old.tables
        moment = datetime(2024, 3, 1, 8, 0)  # SQLite keeps no zone: UTC, as the app writes it
        day = date(2024, 3, 1)
        with engine.begin() as conn:
            conn.execute(t["users"].insert(), [
                dict(id=id_, email=f"u{id_}@example.com", password_hash="x", name=f"User {id_}",
                     role=role, status="active", created_at=moment)
                for id_, role in ((1, "product"), (2, "product"), (3, "office"), (4, "office"))
            ])
            trial = dict(kind="product", description="", auto_accept=False, enrollment_opens_on=day,
                         enrollment_closes_on=day, starts_on=day, ends_on=day, status="draft",
                         created_at=moment, updated_at=moment)
            conn.execute(t["trials"].insert(), [
                dict(trial, id=10, title="Made by 1", created_by_id=1),
                dict(trial, id=11, title="Made by 2", created_by_id=2),
                dict(trial, id=12, title="Made by nobody", created_by_id=None),
            ])
            conn.execute(t["questions"].insert(), [dict(
                id=20, trial_id=10, position=0, kind="rating", prompt="How?", help_text="",
                required=True, options=[])])
            conn.execute(t["consultations"].insert(), [dict(
                id=30, subject="service_standard", title="Hours", body="", opens_on=day,
                closes_on=day, status="draft", created_at=moment, updated_at=moment)])
            conn.execute(t["departments"].insert(), [dict(
                id=40, name="Billing", a_contact_id=3, b_contact_id=4, created_at=moment)])
        upgrade(url, "head")
        new = MetaData()
        new.reflect(engine)
        with engine.connect() as conn:
            owners = conn.execute(select(new.tables["trial_owners"].c["trial_id", "user_id", "added_by_id"])
                                  .order_by("trial_id")).all()
            versions = {name: conn.execute(select(new.tables[name].c.version)).scalars().all()
                        for name in ("trials", "questions", "consultations", "departments")}
    finally:
        engine.dispose()
    assert [tuple(row) for row in owners] == [(10, 1, 1), (11, 2, 2)]
    assert versions == {"trials": [1, 1, 1], "questions": [1], "consultations": [1], "departments": [1]}
