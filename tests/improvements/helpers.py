"""Helpers for the improvement and notification tests."""
from __future__ import annotations

# A member's service-gap report with its triage submission row (re-exported for the area's tests).
from tests.factories import make_gap_submission as gap_submission  # noqa: F401
from tests.queries import count_queries  # noqa: F401  (re-exported for the area's tests)


def item_form(item, **changes) -> dict:
    """The edit form as the page would post it, with `changes`."""
    data = dict(
        version=str(item.version), title=item.title, description=item.description or "",
        commitment=item.commitment or "", department_id=str(item.department_id or ""),
        priority=item.priority, due_on=item.due_on.isoformat() if item.due_on else "",
        status=item.status, rejection_reason=item.rejection_reason or "",
        dmaic_phase=item.dmaic_phase, resolution_note=item.resolution_note or "",
    )
    data.update({k: ("" if v is None else v) for k, v in changes.items()})
    return data
