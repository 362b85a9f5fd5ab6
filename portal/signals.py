"""The moments other areas react to, as blinker signals (Flask already depends on blinker).

Senders do not know their receivers, so member-side areas (trials, opinions, gaps) never import
the staff-side ones (triage, improvements, notifications), and those never import each other
in a circle. Receivers run synchronously inside the sender's unit of work: what they write
commits or rolls back with it.

- `submission_received`: a member submitted (or re-submitted / edited) an evaluation, a gap
  report or an opinion. sender: the source row (Evaluation, ServiceGapReport or Opinion);
  keyword `answers`: the frozen answers of an evaluation (optional); keyword `joins_item_id`:
  the open improvement item the member said "This is my problem too" on (optional).
- `item_changed`: an improvement item changed status. sender: the ImprovementItem; keywords
  `actor` (the staff user), `old_status`, `new_status`.

Lifecycle moments the members and staff hear of (receivers in `notifications/receivers.py`, which
write the in-app notice and, per the recipient's choice, the email):

- `enrollment_decided`: an application to a trial was decided. sender: the Enrollment (its new
  status set); keywords `actor` (the staff user, None when automatic), `old_status`,
  `new_status` ('accepted', 'declined' or 'waitlisted').
- `trial_status_changed`: a trial moved. sender: the Trial; keywords `actor`, `old_status`,
  `new_status`. Reaching 'recruiting' tells the members of its segments; 'running' tells its
  accepted members (with the link to evaluate).
- `consultation_published`: a consultation was published. sender: the Consultation; keyword
  `actor`. Every active member hears of it once.
- `submission_assigned`: a submission's assignee changed. sender: the Submission (new assignee
  set); keywords `actor`, `old_assignee_id`, `new_assignee_id`. The new assignee hears of it
  unless they assigned it to themselves.
- `item_department_set`: an improvement item got an owner department (on creation or when it
  changes). sender: the ImprovementItem; keywords `actor`, `old_department_id`,
  `new_department_id`. The department's A contact hears of it unless they did it themselves.
- `fix_answered`: a member answered "Is it fixed for you?" about an item (or changed their answer).
  sender: the FixConfirmation; keywords `member_id`, `first` (True for the first answer). The
  panel records the "fix confirmed" activity once per question.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

submission_received = _signals.signal("submission-received")
item_changed = _signals.signal("item-changed")
enrollment_decided = _signals.signal("enrollment-decided")
trial_status_changed = _signals.signal("trial-status-changed")
consultation_published = _signals.signal("consultation-published")
submission_assigned = _signals.signal("submission-assigned")
item_department_set = _signals.signal("item-department-set")
fix_answered = _signals.signal("fix-answered")
