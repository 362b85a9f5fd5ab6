"""Overdue escalation to the department's B contact, and the supervision board."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import domain
from portal.improvements import services
from portal.improvements.models import ImprovementItem
from portal.notifications.models import Notification, OutboxEmail
from tests.factories import make_department, make_item, make_user
from tests.improvements.helpers import count_queries

TODAY = domain.shanghai_today()


def escalate(app, today=TODAY):
    with app.app_context():
        return services.escalate_overdue(today)


def test_overdue_item_notifies_the_b_contact_once(app, dbs):
    b = make_user(dbs, role="office", name="Backup Bo", locale="en")
    dep = make_department(dbs, name="Stores", b_contact=b)
    item = make_item(dbs, title="Late fix", department_id=dep.id, status="in_progress",
                     due_on=TODAY - timedelta(days=1))
    make_item(dbs, title="Not yet due", department_id=dep.id, due_on=TODAY)
    make_item(dbs, title="Done late", department_id=dep.id, status="done",
              due_on=TODAY - timedelta(days=9))
    assert escalate(app) == 1
    notes = dbs.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind, n.item_id) for n in notes] == [(b.id, "item_overdue", item.id)]
    mail = dbs.scalars(select(OutboxEmail)).all()
    assert len(mail) == 1 and mail[0].to_address == b.email
    assert "Late fix" in mail[0].subject and "Overdue" in mail[0].subject
    assert "Stores" in mail[0].body and f"/notifications/{notes[0].id}/open" in mail[0].body
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).overdue_notified_at is not None
    # not twice for the same due date, whichever day it runs
    assert escalate(app) == 0
    escalate(app, TODAY + timedelta(days=3))  # only "Not yet due" is new then
    assert len(dbs.scalars(select(Notification).where(Notification.item_id == item.id)).all()) == 1


def test_a_new_due_date_is_escalated_again(app, dbs):
    dep = make_department(dbs)
    item = make_item(dbs, department_id=dep.id, status="approved", due_on=TODAY - timedelta(days=10),
                     overdue_notified_at=datetime.now(UTC) - timedelta(days=9))
    assert escalate(app) == 0
    item.due_on = TODAY - timedelta(days=1)  # extended, and missed again
    dbs.commit()
    assert escalate(app, TODAY + timedelta(days=1)) == 1


def test_email_is_in_the_b_contacts_language(app, dbs):
    b = make_user(dbs, role="office", locale=None)
    dep = make_department(dbs, name="网络部", b_contact=b)
    make_item(dbs, title="基站", department_id=dep.id, due_on=TODAY - timedelta(days=2))
    escalate(app)
    mail = dbs.scalar(select(OutboxEmail))
    # default: Simplified Chinese (dates formatted the Chinese way; texts once translated)
    assert "基站" in mail.subject and "年" in mail.body


def test_items_without_b_contact_wait(app, dbs):
    make_item(dbs, due_on=TODAY - timedelta(days=2))  # no department
    dep = make_department(dbs)
    dep.b_contact_id = None
    dbs.commit()
    make_item(dbs, department_id=dep.id, due_on=TODAY - timedelta(days=2))
    assert escalate(app) == 0
    assert dbs.scalar(select(OutboxEmail)) is None


def test_escalation_is_audited_as_system(app, dbs, office_client):
    dep = make_department(dbs)
    item = make_item(dbs, department_id=dep.id, due_on=TODAY - timedelta(days=2))
    escalate(app)
    html = office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert "Overdue notice sent" in html and "System" in html


def test_cli_escalates(app, dbs):
    dep = make_department(dbs)
    make_item(dbs, department_id=dep.id, due_on=TODAY - timedelta(days=2))
    result = app.test_cli_runner().invoke(args=["escalate-overdue"])
    assert result.exit_code == 0, result.output
    assert "Escalated 1" in result.output
    assert dbs.scalar(select(Notification)) is not None


def test_opening_the_board_escalates(office_client, dbs):
    dep = make_department(dbs)
    make_item(dbs, department_id=dep.id, due_on=TODAY - timedelta(days=2))
    assert office_client.get("/staff/supervision").status_code == 200
    assert dbs.scalar(select(Notification)).kind == "item_overdue"


def test_board_counts_and_median_days_to_close(office_client, dbs):
    a = make_user(dbs, role="office", name="Anna Alpha")
    b = make_user(dbs, role="office", name="Ben Beta")
    dep = make_department(dbs, name="Network", a_contact=a, b_contact=b)
    other = make_department(dbs, name="Quiet dept")
    t0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    # closed: 2, 4 and 10 days -> median 4.0; rejected and open items do not count
    for days, status in ((2, "done"), (4, "verified"), (10, "done")):
        make_item(dbs, department_id=dep.id, status=status, created_at=t0,
                  closed_at=t0 + timedelta(days=days))
    make_item(dbs, department_id=dep.id, status="rejected", created_at=t0)
    make_item(dbs, department_id=dep.id, status="in_progress", due_on=TODAY - timedelta(days=1),
              title="Overdue one")
    make_item(dbs, department_id=dep.id, status="proposed", due_on=TODAY + timedelta(days=1))
    make_item(dbs, department_id=dep.id, status="approved")
    make_item(dbs, department_id=other.id, status="done", created_at=t0,
              closed_at=t0 + timedelta(hours=36))
    html = office_client.get("/staff/supervision").get_data(as_text=True)
    row = html[html.index(">Network<"):]
    row = row[:row.index("</tr>")]
    assert "Anna Alpha" in row and "Ben Beta" in row
    assert '<td class="count">3</td>' in row                       # open
    assert '<span class="badge badge-overdue">1</span>' in row     # overdue
    assert '<td class="count">4.0</td>' in row                     # median days to close
    quiet = html[html.index(">Quiet dept<"):]
    quiet = quiet[:quiet.index("</tr>")]
    assert '<td class="count">1.5</td>' in quiet
    overdue_list = html[html.index("Overdue items</h2>"):]
    assert "Overdue one" in overdue_list


def test_median_helper_by_hand():
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    pairs = [(t0, t0 + timedelta(days=d)) for d in (1, 3, 8, 20)]
    assert services.median_days_to_close(pairs) == 5.5
    assert services.median_days_to_close([]) is None


def test_board_query_count_is_fixed(app, office_client, dbs):
    def add(n):
        for _ in range(n):
            dep = make_department(dbs)
            make_item(dbs, department_id=dep.id, status="in_progress",
                      due_on=TODAY - timedelta(days=1),
                      overdue_notified_at=datetime.now(UTC))
            make_item(dbs, department_id=dep.id, status="done",
                      closed_at=datetime.now(UTC))

    add(3)
    with_3, _ = count_queries(app, office_client, "/staff/supervision")
    add(27)
    with_30, _ = count_queries(app, office_client, "/staff/supervision")
    assert with_3 == with_30


@pytest.mark.parametrize("role_client", ["member_client", "product_client"])
def test_board_is_for_office_and_admin(request, role_client):
    assert request.getfixturevalue(role_client).get("/staff/supervision").status_code == 403


def test_board_renders_in_chinese(admin_client, dbs):
    make_item(dbs, department_id=make_department(dbs).id, due_on=TODAY - timedelta(days=1))
    admin_client.language("zh_Hans")
    assert admin_client.get("/staff/supervision").status_code == 200


def test_escalation_does_not_break_an_open_edit_form(app, office_client, dbs):
    from tests.improvements.helpers import item_form

    item = make_item(dbs, title="Being edited", department_id=make_department(dbs).id,
                     status="in_progress", due_on=TODAY - timedelta(days=1))
    form = item_form(item, title="Edited after escalation")
    assert escalate(app) == 1
    assert office_client.post(f"/staff/improvements/{item.id}/edit", data=form).status_code == 302
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).title == "Edited after escalation"
