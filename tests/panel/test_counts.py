"""The health page's maintained counts (migration 0020's triggers) and the figures read from
them: kept in step through every kind of write, equal to a recount from scratch, and the page's
figures equal to what counting the rows one by one gives."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from portal import domain
from portal.accounts.models import User
from portal.panel import counts, services
from portal.panel.models import ActiveMonth, MemberActivity
from tests import factories
from tests.panel.helpers import NOW, days_ago, record
from tests.queries import sql_statements

TRIGGERS = {f"{table}_{what}" for table in ("panel_member_counts", "panel_registration_months",
                                            "panel_active_month_counts")
            for what in ("inserted", "deleted", "updated")}


def _in_step(app) -> dict:
    """The maintained rows, after checking that they equal a recount from scratch."""
    with app.app_context():
        maintained, fresh = counts.maintained(), counts.recount()
    assert maintained == fresh
    return maintained


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_triggers_are_there_at_the_head_of_the_migrations(app):
    engine = app.extensions["portal.engine"]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).all()
        else:
            names = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
    assert TRIGGERS <= set(names)


def test_counts_stay_equal_to_a_recount_through_every_kind_of_write(app, dbs):
    # ORM inserts on both sides of a Shanghai month's start (16:00 UTC the day before).
    a = factories.make_user(dbs, role="member", segment="mobile", district="xuhui",
                            created_at=utc(2026, 2, 28, 15, 59))
    b = factories.make_user(dbs, role="member", segment=None, district=None,
                            created_at=utc(2026, 2, 28, 16, 0))
    factories.make_user(dbs, role="office", created_at=utc(2026, 3, 2))
    got = _in_step(app)
    assert got["panel_member_counts"][("member", "mobile", "xuhui", "active")] == 1
    assert got["panel_member_counts"][("member", "", "", "active")] == 1
    assert got["panel_registration_months"][("member", "2026-02-01")] == 1
    assert got["panel_registration_months"][("member", "2026-03-01")] == 1

    # Core bulk insert (one statement, many rows), as the benches seed.
    dbs.execute(insert(User), [dict(email=f"bulk{n}@example.com", name="Bulk", role="member", status="active",
                                    segment="sme", district="pudong", password_hash="x",
                                    created_at=utc(2026, 1, 10), session_generation=0) for n in range(5)])
    dbs.commit()
    assert _in_step(app)["panel_member_counts"][("member", "sme", "pudong", "active")] == 5

    # Updates of each counted column, one row and many; and one that changes nothing counted.
    a.status = "paused"
    b.segment, b.district = "household", "minhang"
    dbs.commit()
    dbs.execute(update(User).where(User.email.like("bulk%")).values(created_at=utc(2025, 12, 31)))
    dbs.execute(update(User).where(User.email == "bulk0@example.com").values(role="product"))
    dbs.execute(update(User).values(last_login_at=utc(2026, 3, 3)))
    dbs.commit()
    got = _in_step(app)
    assert got["panel_member_counts"][("member", "mobile", "xuhui", "paused")] == 1
    assert ("member", "mobile", "xuhui", "active") not in got["panel_member_counts"]  # no zero rows
    assert got["panel_registration_months"][("member", "2025-12-01")] == 4

    # Activity months (through the code the receivers use), then deletes: a member's account
    # (its months go by ON DELETE CASCADE) and several accounts at once.
    record(app, "opinion", 1, a, utc(2026, 3, 5))
    record(app, "opinion", 2, b, utc(2026, 3, 6))
    record(app, "opinion", 3, b, utc(2026, 2, 6))
    assert _in_step(app)["panel_active_month_counts"] == {("2026-03-01",): 2, ("2026-02-01",): 1}
    dbs.delete(b)
    dbs.commit()
    dbs.execute(delete(User).where(User.email.like("bulk%")))
    dbs.commit()
    got = _in_step(app)
    assert got["panel_active_month_counts"] == {("2026-03-01",): 1}
    assert ("member", "2025-12-01") not in got["panel_registration_months"]


def test_rebuild_repairs_counts_that_drifted(app, dbs):
    factories.make_user(dbs, role="member", segment="sme", district="pudong")
    dbs.execute(text("UPDATE panel_member_counts SET count = 7"))
    dbs.commit()
    with app.app_context():
        assert counts.rebuild() == 1
    _in_step(app)


# --- the figures, against counting the rows one by one ------------------------------------------


def _by_join(dbs, condition, cap: int | None = None) -> int:
    """Active members' activity rows matching `condition`, joined to their accounts: what the
    health page showed before it read the indexes alone."""
    stmt = (select(MemberActivity.member_id).join(User, User.id == MemberActivity.member_id)
            .where(User.role == "member", User.status == "active", condition))
    n = dbs.scalar(select(func.count()).select_from(stmt.subquery()))
    return n if cap is None else min(n, cap + 1)


@pytest.fixture
def mixed(app, dbs):
    """Members active recently, long ago and never; paused and deleted ones in each state; and a
    member made staff, who keeps their activity row."""
    people = []
    for status in ("active", "active", "paused", "deleted"):
        for ago in (5, 45, 200, None):
            m = factories.make_user(dbs, role="member", status="active", created_at=days_ago(400))
            if ago is not None:
                record(app, "gap_report", 100 + len(people), m, days_ago(ago))
            m.status = status
            people.append(m)
    people[0].role = "office"
    people[2].role = "admin"
    dbs.commit()
    return people


@pytest.mark.parametrize("cap", [0, 1, 2, 3, 4, 100])
def test_the_figures_equal_counting_the_rows_one_by_one(app, dbs, mixed, cap):
    with app.test_request_context():
        got = services.engagement(cap=cap)
    recent = [_by_join(dbs, MemberActivity.last_activity_at >= NOW - timedelta(days=d))
              for d in services.ACTIVE_WINDOWS]
    assert [s.active for s in got.shares] == recent == [1, 3]
    assert {s.members for s in got.shares} == {6}  # two of the eight active accounts are staff
    lapsing = MemberActivity.quiet_since < NOW - timedelta(days=services.LAPSING_DAYS)
    assert got.lapsing == _by_join(dbs, lapsing, cap)
    assert _by_join(dbs, lapsing) == 3


def test_the_lapsing_list_leaves_out_paused_deleted_and_staff(app, dbs, mixed, office_client):
    page = office_client.get("/staff/panel/lapsing").get_data(as_text=True)
    shown = {int(n) for n in re.findall(r'data-member="(\d+)"', page)}
    lapsing = MemberActivity.quiet_since < NOW - timedelta(days=services.LAPSING_DAYS)
    expected = set(dbs.scalars(
        select(MemberActivity.member_id).join(User, User.id == MemberActivity.member_id)
        .where(User.role == "member", User.status == "active", lapsing)))
    assert shown == expected and len(shown) == 3


def test_the_health_page_reads_no_row_per_member(app, dbs, office_client, mixed):
    """Its statements read the count tables and the indexes: none joins member_activity to users
    (the join that read one account per member at 100,000 members)."""
    with sql_statements(app) as statements:
        assert office_client.get("/staff/panel").status_code == 200
    joined = [s for s in statements if re.search(r"member_activity JOIN users|users JOIN member_activity", s)]
    assert joined == []
    assert not any(re.search(r"FROM users\s+WHERE users.role IN", s) for s in statements)


def test_new_registrations_per_month_read_the_counts(app, dbs, office_client):
    this_month = domain.shanghai_today().replace(day=1)
    for _ in range(3):
        factories.make_user(dbs, role="member", created_at=NOW)
    factories.make_user(dbs, role="member", status="paused", created_at=NOW)
    factories.make_user(dbs, role="office", created_at=NOW)  # staff are not registrations
    page = office_client.get("/staff/panel").get_data(as_text=True)
    row = page[page.index(f'data-month="{this_month.isoformat()[:7]}"'):].split("</tr>")[0]
    assert re.sub(r"<[^>]+>", " ", row).split()[-1] == "4"
    with app.app_context():
        assert counts.maintained() == counts.recount()


def test_members_without_segment_or_district_show_as_not_given(app, dbs, office_client):
    factories.make_user(dbs, role="member", segment=None, district=None)
    page = office_client.get("/staff/panel").get_data(as_text=True)
    assert re.search(r'data-cell=":">1<', page)
    assert 'data-district=""' in page


def test_active_months_of_a_deleted_member_leave_the_counts(app, dbs):
    m = factories.make_user(dbs, role="member")
    record(app, "opinion", 9, m, days_ago(3))
    assert dbs.scalar(select(func.count()).select_from(ActiveMonth)) == 1
    dbs.delete(m)
    dbs.commit()
    assert _in_step(app)["panel_active_month_counts"] == {}
