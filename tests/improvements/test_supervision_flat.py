"""The supervision board at any size: it lists the most overdue items only, with a link to all of
them, and the escalation every view runs reads only the items still to be told."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from portal import domain
from portal.improvements import services
from portal.improvements.models import ImprovementItem
from tests.factories import make_department, make_item
from tests.improvements.helpers import gap_submission
from tests.queries import sql_statements

TODAY = domain.shanghai_today()


def _overdue_table(html: str) -> str:
    section = html[html.index("Overdue items</h2>"):]
    return section[:section.index("</table>")]


def test_the_board_lists_the_most_overdue_and_links_to_all(office_client, dbs, member):
    dep = make_department(dbs, name="Network")
    shown = services.OVERDUE_SHOWN
    # Two more than are shown, due 1 .. shown + 2 days ago; the two due most recently are left out.
    items = [make_item(dbs, title=f"Late {days:02d}", department_id=dep.id, status="in_progress",
                       due_on=TODAY - timedelta(days=days))
             for days in range(1, shown + 3)]
    oldest = items[-1]
    oldest.submissions = [gap_submission(dbs, member) for _ in range(3)]
    items[-2].submissions = [gap_submission(dbs, member)]
    dbs.commit()
    make_item(dbs, title="Closed late", department_id=dep.id, status="done",
              due_on=TODAY - timedelta(days=99))
    html = office_client.get("/staff/supervision").get_data(as_text=True)
    table = _overdue_table(html)
    titles = re.findall(r">(Late \d\d)</span>", table)
    # The longest overdue first, and no more than are shown.
    assert titles == [f"Late {days:02d}" for days in range(shown + 2, 2, -1)]
    assert "Late 01" not in table and "Late 02" not in table and "Closed late" not in table
    counts = re.findall(r'<td class="count">(\d+)</td>', table)
    assert counts[:3] == ["3", "1", "0"]
    note = html[html.index('data-testid="overdue-shown"'):]
    note = note[:note.index("</p>")]
    assert f"The {shown} most overdue" in note
    assert '<a href="/staff/improvements?overdue=y">All 12 overdue items</a>' in note


def test_every_overdue_item_shown_needs_no_link(office_client, dbs):
    make_item(dbs, title="Only late one", department_id=make_department(dbs).id,
              due_on=TODAY - timedelta(days=1))
    html = office_client.get("/staff/supervision").get_data(as_text=True)
    assert "Only late one" in _overdue_table(html)
    assert "overdue-shown" not in html and "overdue=y" not in html


def test_the_all_overdue_link_lists_every_overdue_item(office_client, dbs):
    dep = make_department(dbs)
    for days in range(1, services.OVERDUE_SHOWN + 3):
        make_item(dbs, title=f"Late {days:02d}", department_id=dep.id, due_on=TODAY - timedelta(days=days))
    make_item(dbs, title="Due later", department_id=dep.id, due_on=TODAY + timedelta(days=1))
    html = office_client.get("/staff/improvements?overdue=y").get_data(as_text=True)
    assert "Late 01" in html and "Late 12" in html and "Due later" not in html
    assert re.search(r'<input[^>]*name="overdue"[^>]*checked', html) or \
        re.search(r'<input[^>]*checked[^>]*name="overdue"', html)


def test_the_board_reads_linked_counts_for_the_items_shown_only(app, office_client, dbs, member):
    dep = make_department(dbs)
    for days in range(1, 30):
        make_item(dbs, department_id=dep.id, due_on=TODAY - timedelta(days=days),
                  submissions=[gap_submission(dbs, member)])
    with sql_statements(app) as statements:
        assert office_client.get("/staff/supervision").status_code == 200
    counting = [s for s in statements if "submission_items" in s]
    assert len(counting) == 1 and "GROUP BY" in counting[0]
    assert len(re.findall(r"\?|%\(", counting[0].split("IN", 1)[1])) <= services.OVERDUE_SHOWN


# --- escalation: only the items still to be told -----------------------------------------------


def _escalation_select(app) -> tuple[str, dict | tuple]:
    """The statement escalate_overdue reads its candidates with, and its parameters."""
    engine = app.extensions["portal.engine"]
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", before)
    try:
        with app.app_context():
            services.escalate_overdue(TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return next((s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT"))


def test_a_view_with_nobody_to_tell_reads_no_item(app, dbs):
    dep = make_department(dbs)
    for days in range(1, 6):
        make_item(dbs, department_id=dep.id, status="in_progress", due_on=TODAY - timedelta(days=days))
    with app.app_context():
        assert services.escalate_overdue(TODAY) == 5
    statement, parameters = _escalation_select(app)
    with app.extensions["portal.engine"].connect() as conn:
        assert conn.exec_driver_sql(statement, parameters).all() == []


def test_the_escalation_reads_its_partial_index(app, dbs):
    """The query repeats the index's predicate, so the database may answer it from the index
    (a planner proves that; on a few rows it would rather scan, so scans are put off here)."""
    make_item(dbs, department_id=make_department(dbs).id, due_on=TODAY - timedelta(days=1))
    statement, parameters = _escalation_select(app)
    engine = app.extensions["portal.engine"]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_improvement_items_escalation" in plan, plan


def test_told_before_the_due_date_began_is_told_again(app, dbs):
    """The database's "told for the current due date" is the Python rule to the microsecond:
    told at or after the Shanghai midnight the due date starts counts, a moment before does not."""
    dep = make_department(dbs)
    due = TODAY - timedelta(days=3)
    start = domain.shanghai_midnight(due)
    before = make_item(dbs, department_id=dep.id, due_on=due,
                       overdue_notified_at=start - timedelta(microseconds=1))
    at = make_item(dbs, department_id=dep.id, due_on=due, overdue_notified_at=start)
    assert start.tzinfo is not None and start.astimezone(UTC).hour == 16
    with app.app_context():
        assert services.escalate_overdue(TODAY) == 1
    dbs.expire_all()
    assert dbs.get(ImprovementItem, before.id).overdue_notified_at > start
    assert dbs.get(ImprovementItem, at.id).overdue_notified_at == start


def test_an_item_given_a_department_later_is_escalated(app, dbs):
    item = make_item(dbs, due_on=TODAY - timedelta(days=2))
    with app.app_context():
        assert services.escalate_overdue(TODAY) == 0
    item.department_id = make_department(dbs).id
    dbs.commit()
    with app.app_context():
        assert services.escalate_overdue(TODAY) == 1
        assert services.escalate_overdue(TODAY + timedelta(days=5)) == 0
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).overdue_notified_at <= datetime.now(UTC)
