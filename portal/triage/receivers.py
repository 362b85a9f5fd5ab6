"""What triage does when other areas report a moment (see portal.signals).

A member's evaluation, gap report or opinion arrives (or is re-submitted, or edited): its row in
the inbox is created or refreshed, inside the sender's unit of work. The member-side areas send
the signal and never import triage.
"""
from __future__ import annotations

from portal.gaps.models import ServiceGapReport
from portal.opinions.models import Opinion
from portal.signals import submission_received
from portal.triage import services
from portal.trials.models import Evaluation


@submission_received.connect
def _feed_the_inbox(source, answers=None, joins_item_id=None, **_extra) -> None:
    if isinstance(source, Evaluation):
        submission = services.record_evaluation(source, answers)
    elif isinstance(source, ServiceGapReport):
        submission = services.record_gap_report(source)
    elif isinstance(source, Opinion):
        submission = services.record_opinion(source)
    else:
        return
    if joins_item_id:  # "This is my problem too" on a suggested improvement item
        services.join_item(source.member, submission, joins_item_id)
