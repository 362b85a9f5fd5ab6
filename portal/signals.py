"""The moments other areas react to, as blinker signals (Flask already depends on blinker).

Senders do not know their receivers, so member-side areas (trials, opinions, gaps) never import
the staff-side ones (triage, improvements, notifications), and those never import each other
in a circle. Receivers run synchronously inside the sender's unit of work: what they write
commits or rolls back with it.

- `submission_received`: a member submitted (or re-submitted / edited) an evaluation, a gap
  report or an opinion. sender: the source row (Evaluation, ServiceGapReport or Opinion);
  keyword `answers`: the frozen answers of an evaluation (optional).
- `item_changed`: an improvement item changed status. sender: the ImprovementItem; keywords
  `actor` (the staff user), `old_status`, `new_status`.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

submission_received = _signals.signal("submission-received")
item_changed = _signals.signal("item-changed")
