"""One history for every object: a creation says what was set, a change says old -> new, values
and labels in words in the reader's language, never an empty "— → —" row nor a field's code name."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.improvements.models import Department, ImprovementItem
from tests.audit.helpers import history_text
from tests.factories import make_department, make_item, make_user
from tests.improvements.helpers import item_form

CODE_NAMES = ("department_id", "dmaic_phase", "due_on", "resolution_note", "rejection_reason",
              "a_contact_id", "b_contact_id", "closed_at", "assignee_id")


def _no_code_names_or_empty_rows(text: str) -> None:
    for name in CODE_NAMES:
        assert name not in text, name
    assert "— → —" not in text


def test_item_creation_lists_what_was_set(dbs, office_client):
    dep = make_department(dbs, name="Retail stores")
    assert office_client.post("/staff/improvements/new", data={
        "title": "Shorter queues", "description": "", "commitment": "counter_service",
        "department_id": str(dep.id), "priority": "high", "due_on": "2030-01-31",
        "dmaic_phase": "measure", "resolution_note": "",
    }).status_code == 302
    item = dbs.scalar(select(ImprovementItem))
    history = history_text(office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True))
    for line in ("Added", "Title: Shorter queues", "Service commitment: Counter service",
                 "Department: Retail stores", "Priority: High", "Due date: Jan 31, 2030",
                 "Status: Proposed", "DMAIC phase: Measure"):
        assert line in history, line
    # what was left empty is not listed
    assert "Description" not in history and "Resolution note" not in history
    _no_code_names_or_empty_rows(history)


def test_item_change_shows_old_and_new_in_both_languages(dbs, office_client):
    item = make_item(dbs, title="Queues", status="approved", priority="normal")
    assert office_client.post(f"/staff/improvements/{item.id}/edit", data=item_form(
        item, status="in_progress", priority="urgent")).status_code == 302
    english = history_text(office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True))
    assert "Changed" in english
    assert "Status: Approved → In progress" in english and "Priority: Normal → Urgent" in english
    _no_code_names_or_empty_rows(english)
    office_client.language("zh_Hans")
    chinese = history_text(office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True))
    assert "已修改" in chinese
    assert "状态：已批准 → 进行中" in chinese and "优先级：普通 → 紧急" in chinese


def test_department_history_names_its_contacts(dbs, admin_client):
    a, b = make_user(dbs, role="office", name="Zhang Wei"), make_user(dbs, role="office", name="Li Na")
    assert admin_client.post("/admin/departments", data={
        "name": "Billing", "a_contact_id": str(a.id), "b_contact_id": str(b.id)}).status_code == 302
    dep = dbs.scalar(select(Department))
    page = admin_client.get(f"/admin/audit?object_type=department&object_id={dep.id}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "A contact: Zhang Wei" in text and "B contact: Li Na" in text
    _no_code_names_or_empty_rows(text)


def test_an_entry_with_nothing_to_tell_shows_no_rows(dbs, office_client):
    item = make_item(dbs)
    dbs.add(AuditEntry(action="update", object_type="item", object_id=item.id,
                       before={"description": "", "due_on": None}, after={"description": None, "due_on": ""}))
    dbs.commit()
    history = history_text(office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True))
    assert "Changed" in history and "Description" not in history and "Due date" not in history


def test_submission_history_tells_notes_apart(dbs, office_client, member):
    from tests.factories import make_submission

    s = make_submission(dbs, member)
    office_client.post(f"/staff/inbox/{s.id}/notes", data={"text": "Call the store manager"})
    page = office_client.get(f"/staff/inbox/{s.id}").get_data(as_text=True)
    history = history_text(page)
    assert "Internal note added" in history and "Call the store manager" in history
    assert 'class="history-note"' in page
