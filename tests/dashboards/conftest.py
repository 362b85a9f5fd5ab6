"""Fixtures of the dashboard tests."""
from __future__ import annotations

import pytest

from portal import domain
from tests.dashboards.helpers import TODAY


@pytest.fixture
def fixed_today(monkeypatch):
    """The dashboards' "today" is TODAY (a Shanghai date)."""
    monkeypatch.setattr(domain, "shanghai_today", lambda: TODAY)
    return TODAY
