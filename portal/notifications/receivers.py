"""What notifications do when other areas report a moment (see portal.signals).

Receivers run inside the sender's unit of work: the notices commit or roll back with the change.
"""
from __future__ import annotations

from portal import domain
from portal.notifications import services
from portal.signals import item_changed


@item_changed.connect
def _tell_members_of_the_outcome(item, old_status=None, new_status=None, **_extra) -> None:
    """An item reached done or verified: the members whose submissions it answers hear of it
    (once per submission and item; `notify_item_closed` skips those already told)."""
    if new_status != old_status and new_status in domain.ITEM_OUTCOME_STATUSES:
        services.notify_item_closed(item)
