"""What notifications do when other areas report a moment (see portal.signals).

Receivers run inside the sender's unit of work: the notices commit or roll back with the change.
Each one hands over to a `services.notify_*` function, which decides who hears of it.
"""
from __future__ import annotations

from portal import domain
from portal.notifications import services
from portal.signals import (
    consultation_published,
    enrollment_decided,
    item_changed,
    item_department_set,
    submission_assigned,
    trial_status_changed,
)


@item_changed.connect
def _tell_members_of_the_outcome(item, old_status=None, new_status=None, **_extra) -> None:
    """An item reached done or verified: the members whose submissions it answers hear of it
    (once when done, once more when verified; `notify_item_outcome` skips those already told)."""
    if new_status != old_status and new_status in domain.ITEM_OUTCOME_STATUSES:
        services.notify_item_outcome(item, new_status)
    if new_status != old_status and new_status == "done":
        # Done again: those who had answered "Is it fixed for you?" are asked once more (the
        # first time, the outcome notice above asks).
        from portal.improvements import confirmations

        confirmations.ask_again(item)


@item_department_set.connect
def _tell_the_departments_a_contact(item, actor=None, old_department_id=None, new_department_id=None,
                                    **_extra) -> None:
    if new_department_id is not None and new_department_id != old_department_id:
        services.notify_item_for_department(item, actor)


@submission_assigned.connect
def _tell_the_assignee(submission, actor=None, old_assignee_id=None, new_assignee_id=None,
                       **_extra) -> None:
    if new_assignee_id != old_assignee_id:
        services.notify_submission_assigned(submission, new_assignee_id, actor)


@enrollment_decided.connect
def _tell_the_applicant(enrollment, old_status=None, new_status=None, **_extra) -> None:
    if new_status != old_status:
        services.notify_enrollment_decided(enrollment, new_status)


@trial_status_changed.connect
def _tell_members_of_the_trial(trial, old_status=None, new_status=None, **_extra) -> None:
    if new_status == old_status:
        return
    if new_status == "recruiting":
        services.notify_trial_open(trial)
    elif new_status == "running":
        services.notify_trial_started(trial)


@consultation_published.connect
def _tell_members_of_the_consultation(consultation, **_extra) -> None:
    services.notify_consultation_open(consultation)
