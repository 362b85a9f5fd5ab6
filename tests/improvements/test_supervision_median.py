"""The supervision board's median days to close: the database picks each department's middle
one or two closed items, and the median of those equals the median of all its closed items."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from portal.improvements import services
from tests.factories import make_department, make_item
from tests.queries import sql_statements


def test_the_median_of_the_middle_items_is_the_median_of_all(app, dbs):
    rng = random.Random(7)
    t0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    closed: dict[int | None, list] = {}
    departments = [make_department(dbs).id for _ in range(5)] + [None]
    # 1, 2, 3, 4, 7 and 10 closed items: odd and even counts, one of them without a department.
    for dep_id, n in zip(departments, (1, 2, 3, 4, 7, 10), strict=True):
        for _ in range(n):
            created = t0 + timedelta(hours=rng.randint(0, 500))
            # Down to the microsecond, and ties: whole days come up more than once.
            took = (timedelta(days=rng.randint(0, 3)) if rng.random() < 0.3 else
                    timedelta(seconds=rng.randint(60, 40 * 86400), microseconds=rng.randint(0, 999999)))
            status = rng.choice(("done", "verified"))
            make_item(dbs, department_id=dep_id, status=status, created_at=created,
                      closed_at=created + took)
            closed.setdefault(dep_id, []).append((created, created + took))
        # Neither rejected nor open items count, even with a closed_at.
        make_item(dbs, department_id=dep_id, status="rejected", created_at=t0,
                  closed_at=t0 + timedelta(days=99))
        make_item(dbs, department_id=dep_id, status="in_progress", created_at=t0)
    quiet = make_department(dbs).id  # nothing closed: no median
    with app.test_request_context(), sql_statements(app) as statements:
        stats, _overdue = services.supervision()
    medians = {(s.department.id if s.department else None): s.median_days for s in stats}
    expected = {dep_id: services.median_days_to_close(pairs) for dep_id, pairs in closed.items()}
    assert medians == {**expected, quiet: None}
    assert len(statements) == 4
