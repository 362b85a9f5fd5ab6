"""Demo data for `make run`: a few staff, members of every segment, and some of everything."""
from __future__ import annotations

from portal.accounts.services import create_staff_user

DEMO_PASSWORD = "demo-pass-2026"


def seed() -> None:
    create_staff_user("admin@example.com", "Admin", "admin", DEMO_PASSWORD)
