"""Improvement items: list and filters, creating (also from a submission), editing with status
transitions and optimistic locking, the timeline, roles and hostile input."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import domain
from portal.audit.models import AuditEntry
from portal.gaps.models import ServiceGapReport
from portal.improvements.models import ImprovementItem
from portal.triage.models import Submission
from tests.audit.helpers import history_text
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_department, make_item, make_user
from tests.improvements.helpers import count_queries, gap_submission, item_form

TODAY = domain.shanghai_today()


# --- roles -----------------------------------------------------------------------------------


def test_members_get_403_everywhere(member_client, dbs):
    item = make_item(dbs)
    for url in ("/staff/improvements", "/staff/improvements/new", f"/staff/improvements/{item.id}",
                f"/staff/improvements/{item.id}/edit", "/staff/supervision", "/admin/departments"):
        assert member_client.get(url).status_code == 403, url
    assert member_client.post("/staff/improvements/new", data={"title": "x"}).status_code == 403
    assert member_client.post(f"/staff/improvements/{item.id}/edit",
                              data=item_form(item, title="hack")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    for url in ("/staff/improvements", "/staff/improvements/new", "/staff/supervision"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_product_may_view_but_not_edit(product_client, dbs, member):
    sub = gap_submission(dbs, member, title="Secret gap title")
    item = make_item(dbs, title="Visible item", submissions=[sub])
    listing = product_client.get("/staff/improvements").get_data(as_text=True)
    assert "Visible item" in listing and "New improvement item</a>" not in listing
    detail = product_client.get(f"/staff/improvements/{item.id}")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    assert "Secret gap title" not in html  # product staff do not read gap reports
    assert f"/staff/improvements/{item.id}/edit" not in html
    assert product_client.get("/staff/improvements/new").status_code == 403
    assert product_client.get(f"/staff/improvements/{item.id}/edit").status_code == 403
    assert product_client.post(f"/staff/improvements/{item.id}/edit",
                               data=item_form(item, title="x")).status_code == 403
    assert product_client.get("/staff/supervision").status_code == 403
    assert product_client.get("/admin/departments").status_code == 403


# --- list ------------------------------------------------------------------------------------


def test_list_newest_first_with_counts_department_and_overdue(office_client, dbs, member):
    dep = make_department(dbs, name="Stores dept")
    now = datetime.now(UTC)
    subs = [gap_submission(dbs, member) for _ in range(3)]
    make_item(dbs, title="Older item", created_at=now - timedelta(days=5), submissions=subs[:2],
              department_id=dep.id, due_on=TODAY - timedelta(days=1), status="in_progress")
    make_item(dbs, title="Newer item", created_at=now - timedelta(days=1), priority="urgent",
              due_on=TODAY - timedelta(days=3), status="done")
    html = office_client.get("/staff/improvements").get_data(as_text=True)
    assert html.index("Newer item") < html.index("Older item")
    assert "Stores dept" in html and "Urgent" in html and "In progress" in html
    assert '<td class="count">2</td>' in html and '<td class="count">0</td>' in html
    assert html.count("badge-overdue") == 1  # done items are never overdue


def test_export_links_carry_the_filters_for_office_only(request, dbs):
    make_item(dbs, title="Exported", priority="high")
    office = request.getfixturevalue("office_client")
    html = office.get("/staff/improvements?priority=high&q=Exp").get_data(as_text=True)
    assert "/staff/exports/improvements.csv?" in html and "/staff/exports/improvements.xlsx?" in html
    links = [part for part in html.split('"') if part.startswith("/staff/exports/improvements.")]
    assert all("priority=high" in link and "q=Exp" in link for link in links)
    office.post("/logout")
    login(office, make_user(dbs, role="product"))
    assert "/staff/exports/" not in office.get("/staff/improvements").get_data(as_text=True)


@pytest.fixture
def varied(dbs):
    dep = make_department(dbs, name="Billing dept")
    make_item(dbs, title="Fix roaming bill", description="Charged 100% more.", commitment="roaming",
              priority="high", status="approved", department_id=dep.id,
              due_on=TODAY - timedelta(days=2))
    make_item(dbs, title="Faster counters", description="Open more WINDOWS.",
              commitment="counter_service", status="in_progress", due_on=TODAY + timedelta(days=10))
    make_item(dbs, title="Old coverage", commitment="network_quality", status="verified",
              due_on=TODAY - timedelta(days=30))
    return dep


@pytest.mark.parametrize("query, shown", [
    ("", {"Fix roaming bill", "Faster counters", "Old coverage"}),
    ("status=approved", {"Fix roaming bill"}),
    ("commitment=counter_service", {"Faster counters"}),
    ("priority=high", {"Fix roaming bill"}),
    ("overdue=y", {"Fix roaming bill"}),
    (f"due_from={TODAY.isoformat()}", {"Faster counters"}),
    (f"due_to={(TODAY - timedelta(days=5)).isoformat()}", {"Old coverage"}),
    ("q=windows", {"Faster counters"}),
    ("q=roaming", {"Fix roaming bill"}),
    ("q=100%25", {"Fix roaming bill"}),
    ("q=_", set()),
    ("status=gone&priority=x&commitment=mars&due_from=notadate&department_id=abc",
     {"Fix roaming bill", "Faster counters", "Old coverage"}),
])
def test_list_filters(office_client, varied, query, shown):
    response = office_client.get(f"/staff/improvements?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = {t for t in ("Fix roaming bill", "Faster counters", "Old coverage") if t in html}
    assert found == shown
    if not shown:
        assert "No improvement item matches." in html


def test_list_filters_by_department(office_client, varied):
    html = office_client.get(f"/staff/improvements?department_id={varied.id}").get_data(as_text=True)
    assert "Fix roaming bill" in html and "Faster counters" not in html
    assert f'<option selected value="{varied.id}">' in html


def test_list_is_paginated(office_client, dbs):
    for n in range(27):
        make_item(dbs, title=f"Paged item {n:02d}")
    first = office_client.get("/staff/improvements").get_data(as_text=True)
    assert first.count("Paged item") == 25 and "page=2" in first
    second = office_client.get("/staff/improvements?page=2").get_data(as_text=True)
    assert second.count("Paged item") == 2


def test_list_query_count_is_fixed(app, office_client, dbs, member):
    def add(n):
        for _ in range(n):
            dep = make_department(dbs)
            make_item(dbs, department_id=dep.id, submissions=[gap_submission(dbs, member)])

    add(3)
    with_3, _ = count_queries(app, office_client, "/staff/improvements")
    add(27)
    with_30, _ = count_queries(app, office_client, "/staff/improvements")
    assert with_3 == with_30


# --- creating --------------------------------------------------------------------------------


def test_office_creates_an_item_audited(office_client, office_user, dbs):
    dep = make_department(dbs)
    response = office_client.post("/staff/improvements/new", data={
        "title": "  Shorter queues ", "description": "Add a ticket machine.",
        "commitment": "counter_service", "department_id": str(dep.id), "priority": "high",
        "due_on": "2030-01-31", "dmaic_phase": "measure", "resolution_note": "",
    })
    assert response.status_code == 302
    item = dbs.scalar(select(ImprovementItem))
    assert (item.title, item.status, item.priority, item.department_id, item.due_on,
            item.dmaic_phase, item.created_by_id) == (
        "Shorter queues", "proposed", "high", dep.id, date(2030, 1, 31), "measure", office_user.id)
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.object_type == "item"))
    assert entry.action == "create" and entry.actor_id == office_user.id
    assert entry.after["title"] == "Shorter queues"


def test_bad_values_are_refused_with_input_kept(office_client, dbs):
    response = office_client.post("/staff/improvements/new", data={
        "title": "", "description": "Kept text", "priority": "extreme", "due_on": "31/01/2030",
        "dmaic_phase": "define", "department_id": "999",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please give a title." in html and "Kept text" in html
    assert "Please give a date such as 2024-05-31." in html
    assert dbs.scalar(select(ImprovementItem)) is None


def test_new_item_from_a_submission_is_prefilled_and_linked(office_client, dbs, member):
    sub = gap_submission(dbs, member, title="No signal in the lift", commitment="network_quality",
                         description="Calls drop.")
    page = office_client.get(f"/staff/improvements/new?submission={sub.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="No signal in the lift"' in html and "Calls drop." in html
    assert '<option selected value="network_quality">' in html
    response = office_client.post(f"/staff/improvements/new?submission={sub.id}", data={
        "submission": str(sub.id), "title": "Lift coverage", "description": "Calls drop.",
        "commitment": "network_quality", "department_id": "", "priority": "normal",
        "due_on": "", "dmaic_phase": "define", "resolution_note": "",
    })
    assert response.status_code == 302
    dbs.expire_all()
    item = dbs.scalar(select(ImprovementItem))
    sub = dbs.get(Submission, sub.id)
    assert [s.id for s in item.submissions] == [sub.id]
    assert sub.status == "linked"
    assert dbs.get(ServiceGapReport, sub.gap_report_id).status == "linked"
    assert office_client.get("/staff/improvements/new?submission=99999").status_code == 404


# --- editing ---------------------------------------------------------------------------------


def test_status_moves_along_the_transitions(office_client, dbs):
    item = make_item(dbs)
    for status in ("approved", "in_progress", "done", "verified"):
        dbs.expire_all()
        item = dbs.get(ImprovementItem, item.id)
        response = office_client.post(f"/staff/improvements/{item.id}/edit",
                                      data=item_form(item, status=status, resolution_note="Fixed."))
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    dbs.expire_all()
    item = dbs.get(ImprovementItem, item.id)
    assert item.status == "verified" and item.closed_at is not None


def test_a_skipped_transition_is_refused(office_client, dbs):
    item = make_item(dbs, title="Stays proposed")
    response = office_client.post(f"/staff/improvements/{item.id}/edit",
                                  data=item_form(item, status="done", title="Changed title"))
    assert response.status_code == 422
    assert 'value="Changed title"' in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).status == "proposed"
    assert dbs.get(ImprovementItem, item.id).title == "Stays proposed"


def test_rejecting_needs_a_reason(office_client, dbs):
    item = make_item(dbs, status="approved")
    refused = office_client.post(f"/staff/improvements/{item.id}/edit",
                                 data=item_form(item, status="rejected", rejection_reason=" "))
    assert refused.status_code == 422
    assert "Please give the reason for rejecting the item." in refused.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).status == "approved"
    ok = office_client.post(f"/staff/improvements/{item.id}/edit",
                            data=item_form(item, status="rejected", rejection_reason="Out of scope."))
    assert ok.status_code == 302
    dbs.expire_all()
    item = dbs.get(ImprovementItem, item.id)
    assert item.status == "rejected" and item.rejection_reason == "Out of scope."
    assert "Out of scope." in office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True)


def test_done_sets_closed_at_and_leaving_done_clears_it(office_client, dbs):
    item = make_item(dbs, status="in_progress")
    office_client.post(f"/staff/improvements/{item.id}/edit",
                       data=item_form(item, status="done", resolution_note="Fixed."))
    dbs.expire_all()
    item = dbs.get(ImprovementItem, item.id)
    assert item.status == "done" and item.closed_at is not None
    office_client.post(f"/staff/improvements/{item.id}/edit",
                       data=item_form(item, status="in_progress"))
    dbs.expire_all()
    item = dbs.get(ImprovementItem, item.id)
    assert item.status == "in_progress" and item.closed_at is None


@pytest.mark.parametrize("start,status", [("in_progress", "done"), ("done", "verified")])
def test_closing_without_a_resolution_note_is_refused(office_client, dbs, start, status):
    item = make_item(dbs, status=start, title="Needs a note")
    response = office_client.post(f"/staff/improvements/{item.id}/edit",
                                  data=item_form(item, status=status, resolution_note="  ",
                                                 title="Changed title"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please write the resolution note members will see before closing the item." in page
    assert 'value="Changed title"' in page
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).status == start
    ok = office_client.post(f"/staff/improvements/{item.id}/edit",
                            data=item_form(item, status=status, resolution_note="Signs were added."))
    assert ok.status_code == 302
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).status == status


def test_edit_page_offers_only_allowed_statuses(office_client, dbs):
    item = make_item(dbs, status="approved")
    html = office_client.get(f"/staff/improvements/{item.id}/edit").get_data(as_text=True)
    assert 'value="in_progress"' in html and 'value="rejected"' in html
    assert 'value="verified"' not in html and 'value="done"' not in html


def test_two_staff_saving_at_once_the_later_is_refused_with_input_kept(app, dbs, office_user):
    item = make_item(dbs, title="Original title")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.language("en")
        login(c, make_user(dbs, role="office"))
    # both open the form at the same version
    form_a = item_form(item, title="Saved by A")
    form_b = item_form(item, title="Typed by B", resolution_note="B's careful note")
    assert first.post(f"/staff/improvements/{item.id}/edit", data=form_a).status_code == 302
    response = second.post(f"/staff/improvements/{item.id}/edit", data=form_b)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this while you were editing." in html
    assert 'data-testid="conflict"' in html
    assert 'value="Typed by B"' in html and "B&#39;s careful note" in html   # input kept
    assert "Saved by A" in html                                               # current values shown
    dbs.expire_all()
    current = dbs.get(ImprovementItem, item.id)
    assert current.title == "Saved by A"
    # the form now carries the current version: saving again is a deliberate overwrite
    assert f'name="version" type="hidden" value="{current.version}"' in html
    assert second.post(f"/staff/improvements/{item.id}/edit",
                       data=dict(form_b, version=str(current.version))).status_code == 302
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).title == "Typed by B"


def test_stale_data_error_is_a_conflict_too(app, office_client, dbs, monkeypatch):
    """A save slipping in between the version check and the UPDATE is caught at flush."""
    from portal.improvements import services

    item = make_item(dbs, title="Race")
    real_record = services.audit.record

    def record_then_race(*args, **kwargs):
        with app.extensions["portal.engine"].begin() as conn:
            conn.exec_driver_sql(
                f"UPDATE improvement_items SET version = version + 1, title = 'Other' WHERE id = {item.id:d}")
        monkeypatch.setattr(services.audit, "record", real_record)
        return real_record(*args, **kwargs)

    monkeypatch.setattr(services.audit, "record", record_then_race)
    response = office_client.post(f"/staff/improvements/{item.id}/edit",
                                  data=item_form(item, title="Mine"))
    assert response.status_code == 409
    assert 'value="Mine"' in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).title == "Other"


def test_missing_csrf_is_refused(office_client, dbs):
    item = make_item(dbs, title="Untouched")
    response = office_client.post(f"/staff/improvements/{item.id}/edit",
                                  data=item_form(item, title="x"), csrf=False)
    assert response.status_code == 400
    assert office_client.post("/staff/improvements/new", data={"title": "x"}, csrf=False).status_code == 400
    dbs.expire_all()
    assert dbs.get(ImprovementItem, item.id).title == "Untouched"


def test_unknown_item_is_404(office_client):
    assert office_client.get("/staff/improvements/9999").status_code == 404
    assert office_client.get("/staff/improvements/9999/edit").status_code == 404


# --- detail and timeline ---------------------------------------------------------------------


def test_detail_shows_fields_submissions_and_readable_timeline(office_client, office_user, dbs, member):
    dep_a, dep_b = make_department(dbs, name="Dept A"), make_department(dbs, name="Dept B")
    sub = gap_submission(dbs, member, title="Queue at Xujiahui")
    item = make_item(dbs, title="Queues", department_id=dep_a.id, submissions=[sub],
                     status="approved")
    office_client.post(f"/staff/improvements/{item.id}/edit", data=item_form(
        item, department_id=str(dep_b.id), priority="urgent", status="in_progress",
        dmaic_phase="analyse", due_on="2031-03-01"))
    html = office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert "Queue at Xujiahui" in html and "Dept B" in html
    assert f'href="/staff/inbox/{sub.id}"' in html
    history = history_text(html)
    assert "Changed" in history and office_user.name in history
    assert "Department: Dept A → Dept B" in history
    assert "Status: Approved → In progress" in history
    assert "Priority: Normal → Urgent" in history
    assert "DMAIC phase: Define → Analyse" in history
    assert "Due date: — → Mar 1, 2031" in history


def test_timeline_is_newest_first(office_client, dbs):
    item = make_item(dbs, title="T0")
    for n in (1, 2):
        dbs.expire_all()
        item = dbs.get(ImprovementItem, item.id)
        office_client.post(f"/staff/improvements/{item.id}/edit", data=item_form(item, title=f"Title{n}x"))
    history = history_text(office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True))
    assert history.index("→ Title2x") < history.index("→ Title1x")
    assert len(dbs.scalars(select(AuditEntry).where(AuditEntry.object_type == "item")).all()) == 2


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_text_is_escaped_everywhere(office_client, dbs, payload):
    dep = make_department(dbs, name=payload[:100])
    item = make_item(dbs, title=payload, description=payload, resolution_note=payload,
                     department_id=dep.id)
    office_client.post(f"/staff/improvements/{item.id}/edit",
                       data=item_form(item, title=payload + "!", status="approved"))
    for url in ("/staff/improvements", f"/staff/improvements/{item.id}",
                f"/staff/improvements/{item.id}/edit", "/staff/supervision"):
        html = office_client.get(url).get_data(as_text=True)
        assert payload not in html, url


def test_item_pages_render_in_chinese(office_client, dbs, member):
    item = make_item(dbs, title="排队太久", department_id=make_department(dbs).id,
                     submissions=[gap_submission(dbs, member)])
    office_client.language("zh_Hans")
    for url in ("/staff/improvements", "/staff/improvements/new", f"/staff/improvements/{item.id}",
                f"/staff/improvements/{item.id}/edit", "/staff/supervision"):
        assert office_client.get(url).status_code == 200, url
