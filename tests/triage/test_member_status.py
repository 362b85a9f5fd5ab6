"""What a member sees of their own submission comes from one place: its triage status, or the
outcome of a linked improvement item once that is done or verified - never a stale copy."""
from __future__ import annotations

import re

from flask import render_template_string

from portal.gaps.models import ServiceGapReport
from portal.improvements.models import ImprovementItem
from tests.conftest import login
from tests.factories import make_consultation, make_gap_submission, make_item, make_submission
from tests.improvements.helpers import item_form
from tests.opinions.helpers import make_opinion


def _move(office_client, dbs, item_id, status):
    dbs.expire_all()
    item = dbs.get(ImprovementItem, item_id)
    response = office_client.post(f"/staff/improvements/{item_id}/edit",
                                  data=item_form(item, status=status, resolution_note="Done."))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _report_status(member_client, title: str) -> str:
    """The status cell of the report's row on the member's own list."""
    html = member_client.get("/reports").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if title in r)
    last_cell = re.findall(r"<td[^>]*>.*?</td>", row, re.S)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", last_cell)).strip()


def test_member_list_follows_the_item_to_its_outcome(app, dbs, office_client, member):
    submission = make_gap_submission(dbs, member, title="Counter closed at lunch")
    item = make_item(dbs, status="in_progress")
    assert office_client.post(f"/staff/inbox/{submission.id}/items",
                              data={"item_number": str(item.id)}).status_code == 302
    member_client = app.test_client()
    member_client.language("en")
    login(member_client, member)
    assert _report_status(member_client, "Counter closed at lunch") == "Linked to an improvement"
    _move(office_client, dbs, item.id, "done")
    assert _report_status(member_client, "Counter closed at lunch") == "Improvement done"
    _move(office_client, dbs, item.id, "verified")
    assert _report_status(member_client, "Counter closed at lunch") == "Improvement verified"
    # the staff side keeps the triage status
    dbs.expire_all()
    assert dbs.get(ServiceGapReport, submission.gap_report_id).status == "linked"


def test_member_status_rule_for_every_kind_of_source(app, dbs, member):
    """The template helper the member pages use: one query per member whatever the rows."""
    report_sub = make_gap_submission(dbs, member)
    consultation = make_consultation(dbs)
    opinion = make_opinion(dbs, consultation, member)
    opinion_sub = make_submission(dbs, member, kind="opinion", opinion_id=opinion.id,
                                  consultation_id=consultation.id, status="linked")
    make_item(dbs, status="done", submissions=[opinion_sub])
    make_item(dbs, status="rejected", submissions=[report_sub])
    report_sub.status = "linked"
    dbs.commit()
    with app.test_request_context():
        from portal.db import db

        report = db.get(ServiceGapReport, report_sub.gap_report_id)
        shown = render_template_string(
            "{{ member_status(report) }} {{ member_status(opinion) }}", report=report,
            opinion=db.get(type(opinion), opinion.id))
    assert shown == "linked done"  # a rejected item is no outcome; a done one is
