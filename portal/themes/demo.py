"""Demo data of "What members are saying": the demo texts' themes counted.

The demo writes its submissions through triage's record functions, not through the signal, so
the counts are taken from the inbox's rows once everything is in (`services.rebuild`). The
states then show by themselves: themes on the dashboard over each period, a commitment with no
gap reports (the empty box), trials with free-text answers and trials without any.
"""
from __future__ import annotations

from portal.themes import services


def seed_demo() -> None:
    services.rebuild()
