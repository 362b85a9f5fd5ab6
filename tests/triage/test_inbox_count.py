"""The inbox counts its rows no further than COUNT_CAP: beyond, it says "more than"."""
from __future__ import annotations

import re

from portal.triage import services
from tests.factories import make_submission


def _total(client) -> str:
    page = client.get("/staff/inbox").get_data(as_text=True)
    return re.search(r'data-testid="inbox-total">([^<]*)<', page).group(1)


def test_the_inbox_total_is_exact_up_to_the_cap_then_more_than(office_client, dbs, member, monkeypatch):
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    office_client.language("en")
    for n in range(2):
        make_submission(dbs, member, title=f"Queue {n}")
    assert _total(office_client) == "2 in all"
    for n in range(2, 5):
        make_submission(dbs, member, title=f"Queue {n}")
    assert _total(office_client) == "More than 3 in all"
    office_client.language("zh_Hans")
    assert _total(office_client) == "超过 3 条"


def test_counts_use_digit_grouping(app):
    with app.test_request_context("/"):
        assert app.jinja_env.filters["number"](10_000) == "10,000"
