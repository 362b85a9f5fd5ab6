"""Recounting the health page's maintained counts from their source rows.

The triggers of migration 0020 keep `panel_member_counts`, `panel_registration_months` and
`panel_active_month_counts` in step with every write to `users` and `member_active_months`, so
this is not needed in normal running. It is the repair (`rebuild()`, after rows were copied in by
hand with the triggers off, say) and the proof: the tests compare the maintained rows with
`recount()` after a mix of writes.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, func, insert, select, text

from portal.accounts.models import User
from portal.db import db, shanghai_date, unit_of_work
from portal.panel.models import ActiveMonth, ActiveMonthCount, MemberCount, RegistrationMonth


def _key(value) -> str:
    return str(value)


def _recount_members() -> dict[tuple, int]:
    rows = db.execute(
        select(User.role, func.coalesce(User.segment, ""), func.coalesce(User.district, ""), User.status,
               func.count())
        .group_by(User.role, User.segment, User.district, User.status))
    return {tuple(_key(v) for v in row[:-1]): row[-1] for row in rows}


def _recount_registrations() -> dict[tuple, int]:
    # Grouped by Shanghai day in SQL, then by month here: a few thousand rows at most.
    day = shanghai_date(User.created_at)
    months: Counter = Counter()
    for role, when, n in db.execute(select(User.role, day, func.count()).group_by(User.role, day)):
        first = (when if isinstance(when, date) else date.fromisoformat(str(when)[:10])).replace(day=1)
        months[(role, first.isoformat())] += n
    return dict(months)


def _recount_active_months() -> dict[tuple, int]:
    rows = db.execute(select(ActiveMonth.month, func.count()).group_by(ActiveMonth.month))
    return {(_key(month),): n for month, n in rows}


# Each count: its model, its key columns, and how it is counted from scratch.
COUNTS = (
    (MemberCount, ("role", "segment", "district", "status"), _recount_members),
    (RegistrationMonth, ("role", "month"), _recount_registrations),
    (ActiveMonthCount, ("month",), _recount_active_months),
)


def recount() -> dict[str, dict[tuple, int]]:
    """What each count table would hold, counted from the source rows: {table: {key: n}}."""
    return {model.__tablename__: counts() for model, _keys, counts in COUNTS}


def maintained() -> dict[str, dict[tuple, int]]:
    """What each count table holds now: {table: {key: n}}."""
    return {
        model.__tablename__: {
            tuple(_key(v) for v in row[:-1]): row[-1]
            for row in db.execute(select(*(getattr(model, k) for k in keys), model.count))}
        for model, keys, _counts in COUNTS
    }


def rebuild() -> int:
    """Recount every count table from scratch, in one unit of work; how many keys were wrong or
    missing before."""
    with unit_of_work():
        if db.get_bind().dialect.name == "postgresql":
            # Writers of the source tables wait until the recount commits, so none of their
            # trigger updates lands between the delete and the recount.
            db.execute(text("LOCK TABLE users, member_active_months IN SHARE MODE"))
        before, fresh = maintained(), recount()
        for model, keys, _counts in COUNTS:
            db.execute(delete(model))
            rows = fresh[model.__tablename__]
            if rows:
                db.execute(insert(model), [
                    {**dict(zip(keys, _typed(model, keys, key), strict=True)), "count": n}
                    for key, n in rows.items()])
        return sum(1 for table, rows in fresh.items()
                   for key in rows.keys() | before[table].keys() if rows.get(key) != before[table].get(key))


def _typed(model, keys, key: tuple) -> tuple:
    return tuple(date.fromisoformat(v) if k == "month" else v for k, v in zip(keys, key, strict=True))
