"""A moment reads one way per use, in Beijing time and never with seconds: in text and on detail
pages the locale's date with the time (2026年5月31日 14:30), in dense tables 2026-05-31 14:30."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.factories import make_submission

SENT = datetime(2026, 5, 31, 6, 30, 15, tzinfo=UTC)  # 14:30:15 in Beijing
SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")


def test_inbox_table_shows_the_table_form(dbs, office_client, member):
    make_submission(dbs, member, submitted_at=SENT)
    office_client.language("zh_Hans")
    html = office_client.get("/staff/inbox").get_data(as_text=True)
    assert "2026-05-31 14:30" in html
    assert "2026/5/31" not in html and not SECONDS.search(html)


def test_detail_page_shows_the_text_form(dbs, office_client, member):
    submission = make_submission(dbs, member, submitted_at=SENT)
    office_client.language("zh_Hans")
    html = office_client.get(f"/staff/inbox/{submission.id}").get_data(as_text=True)
    assert "2026年5月31日 14:30" in html
    assert not SECONDS.search(html)


def test_english_text_form_has_no_seconds(dbs, office_client, member):
    submission = make_submission(dbs, member, submitted_at=SENT)
    html = office_client.get(f"/staff/inbox/{submission.id}").get_data(as_text=True)
    assert "May 31, 2026, 2:30\u202fPM" in html or "May 31, 2026, 2:30 PM" in html
    assert not SECONDS.search(html)
