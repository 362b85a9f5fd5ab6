"""How the audit entries of improvement items and departments are told in their History (see
portal.audit.history). An item's History also shows the submissions linked to it: those links
are recorded on the submission (by triage), and read here."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from portal import domain
from portal.audit import Field, Related, describe
from portal.audit.history import (
    Change,
    HistoryEntry,
    action_label,
    as_date,
    as_datetime,
    as_number,
    user_names,
)
from portal.audit.models import AuditEntry
from portal.db import db
from portal.improvements.models import Department
from portal.triage.models import submission_items


def department_names(ids: set) -> dict:
    """Names of departments by id (one query)."""
    return dict(db.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all())


def _link_entries(item_id: int):
    """The link and unlink entries of the submissions linked to the item."""
    linked = select(submission_items.c.submission_id).where(submission_items.c.item_id == item_id)
    return and_(AuditEntry.object_type == "submission", AuditEntry.object_id.in_(linked.scalar_subquery()),
                AuditEntry.action.contains("link"))


def _link_entry(entry: AuditEntry, item_id: int) -> HistoryEntry | None:
    """A submission's link entry as the item's: "Linked submissions: — → #12" (or back)."""
    before = set((entry.before or {}).get("items") or [])
    after = set((entry.after or {}).get("items") or [])
    if item_id not in before ^ after:
        return None  # the entry linked or unlinked other items
    linked = item_id in after
    number = as_number(entry.object_id)
    change = Change(str(_l("Linked submissions")), "—" if linked else number, number if linked else "—")
    return HistoryEntry(at=entry.created_at, actor=entry.actor.name if entry.actor else None,
                        action=action_label("link" if linked else "unlink"), changes=[change])


describe(
    "item",
    actions={"escalate": _l("Overdue notice sent"),
             "verify_override": _l("Verified although members say it is not fixed")},
    related=Related(condition=_link_entries, present=_link_entry),
    title=Field(_l("Title")),
    description=Field(_l("Description")),
    commitment=Field(_l("Service commitment"), domain.COMMITMENTS),
    department_id=Field(_l("Department"), lookup=department_names),
    priority=Field(_l("Priority"), domain.PRIORITIES),
    due_on=Field(_l("Due date"), format=as_date),
    status=Field(_l("Status"), domain.ITEM_STATUSES),
    rejection_reason=Field(_l("Reason for rejection")),
    dmaic_phase=Field(_l("DMAIC phase"), domain.DMAIC_PHASES),
    resolution_note=Field(_l("Resolution note")),
    closed_at=Field(_l("Closed at"), format=as_datetime),
    overdue_notified_at=Field(_l("Overdue notice sent"), format=as_datetime),
    submissions=Field(_l("Linked submissions"), format=as_number),
    open_not_yet=Field(_l("Open “not yet” answers"), format=as_number),
    reason=Field(_l("Reason")),
)
describe(
    "fix_confirmation",
    actions={"fix.answer": _l("Answer: is it fixed?")},
    item=Field(_l("Improvement item"), format=as_number),
    submission=Field(_l("Submission"), format=as_number),
    fixed=Field(_l("Fixed for the member"), {True: _l("Yes"), False: _l("Not yet")}),
    rating=Field(_l("Rating of how it was handled")),
    comment=Field(_l("Comment")),
)
describe(
    "department",
    name=Field(_l("Name")),
    a_contact_id=Field(_l("A contact"), lookup=user_names),
    b_contact_id=Field(_l("B contact"), lookup=user_names),
)
