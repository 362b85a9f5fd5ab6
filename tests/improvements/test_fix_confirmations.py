"""Members confirm fixes: once an item linked to a member's submission is done, the member is asked
"Is it fixed for you?" (home card and notice); "not yet" answers reach the item page and the
inbox, hold back verification unless overridden with a reason, and feed the rates of the
dashboard, the supervision board and the item export."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.improvements.confirmations import FixConfirmation
from portal.improvements.models import ImprovementItem
from portal.notifications.models import Notification
from portal.panel.models import PointsEntry
from tests.conftest import login
from tests.factories import (
    make_department,
    make_fix_confirmation,
    make_item,
    make_submission,
    make_user,
)
from tests.improvements.helpers import count_queries, gap_submission, item_form
from tests.queries import sql_statements

NOTE = "Two more counters open at lunch."


def move(client, dbs, item, status, expect=302, **changes):
    """Post the item's edit form with `status` (and `changes`); the item as stored afterwards."""
    dbs.expire_all()
    item = dbs.get(ImprovementItem, item.id)
    if status in ("done", "verified"):
        changes.setdefault("resolution_note", NOTE)
    response = client.post(f"/staff/improvements/{item.id}/edit",
                           data=item_form(item, status=status, **changes))
    assert response.status_code == expect, response.get_data(as_text=True)[:3000]
    dbs.expire_all()
    return response if expect != 302 else dbs.get(ImprovementItem, item.id)


def confirm_url(item, submission) -> str:
    return f"/improvements/{item.id}/confirm/{submission.id}"


def answer(client, item, submission, fixed="yes", rating="4", comment=""):
    return client.post(confirm_url(item, submission),
                       data={"fixed": fixed, "rating": rating, "comment": comment})


@pytest.fixture
def office(app, dbs):
    client = app.test_client()
    client.language("en")
    login(client, make_user(dbs, role="office", name="Office Lin"))
    return client


@pytest.fixture
def linked(dbs, member):
    """The member's gap report linked to an item in progress of a department."""
    sub = gap_submission(dbs, member, title="Queue at Xujiahui")
    dep = make_department(dbs, name="Store operations")
    item = make_item(dbs, title="Internal title", department_id=dep.id, status="in_progress",
                     submissions=[sub])
    return item, sub


# --- the question -----------------------------------------------------------------------------


def test_the_question_appears_once_the_item_is_done_and_not_before(member_client, office, dbs,
                                                                   member, linked):
    item, sub = linked
    home = member_client.get("/").get_data(as_text=True)
    assert 'data-testid="fix-question"' not in home
    assert member_client.get(confirm_url(item, sub)).status_code == 404  # not done yet
    move(office, dbs, item, "done")
    home = member_client.get("/").get_data(as_text=True)
    assert 'data-testid="fix-question"' in home and "Is it fixed for you?" in home
    assert "Queue at Xujiahui" in home and NOTE in home and confirm_url(item, sub) in home
    assert "Internal title" not in home
    # The notice asks too, and leads to the question.
    [notice] = dbs.scalars(select(Notification).where(Notification.user_id == member.id)).all()
    page = member_client.get("/notifications").get_data(as_text=True)
    assert "Is it fixed for you? Please tell us." in page
    opened = member_client.get(f"/notifications/{notice.id}/open")
    assert opened.headers["Location"] == confirm_url(item, sub)
    form = member_client.get(confirm_url(item, sub)).get_data(as_text=True)
    assert "Is it fixed for you?" in form and NOTE in form and "Store operations" in form
    assert "Internal title" not in form
    member_client.language("zh_Hans")
    assert member_client.get(confirm_url(item, sub)).status_code == 200


def test_answering_yes_then_not_yet_is_recorded_audited_and_earns_points_once(
        member_client, office, dbs, member, linked):
    item, sub = linked
    move(office, dbs, item, "done")
    response = answer(member_client, item, sub, "yes", "5", "Short queue now.")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert 'data-testid="fix-question"' not in member_client.get("/").get_data(as_text=True)
    row = dbs.scalar(select(FixConfirmation))
    assert (row.fixed, row.rating, row.comment, row.member_id) == (True, 5, "Short queue now.", member.id)
    assert row.answered_at is not None
    # Changed while the item is done: one answer per (item, submission).
    assert answer(member_client, item, sub, "not_yet", "2", "Queue is back.").status_code == 302
    dbs.expire_all()
    [row] = dbs.scalars(select(FixConfirmation)).all()
    assert (row.fixed, row.rating, row.comment) == (False, 2, "Queue is back.")
    page = member_client.get(confirm_url(item, sub)).get_data(as_text=True)
    assert "Not yet" in page and "Change my answer" in page
    entries = dbs.scalars(select(AuditEntry).where(AuditEntry.action == "fix.answer")
                          .order_by(AuditEntry.id)).all()
    assert [e.after["fixed"] for e in entries] == [True, False]
    assert entries[1].before == {"fixed": True, "rating": 5, "comment": "Short queue now."}
    points = dbs.scalars(select(PointsEntry).where(PointsEntry.kind == "fix_confirmed")).all()
    assert [(p.member_id, p.source_id) for p in points] == [(member.id, row.id)]
    from portal.panel import activity

    with member_client.application.app_context():
        assert [tuple(r)[:2] for r in activity.confirmed_fixes()] == [(row.id, member.id)]


def test_bad_input_comes_back_with_a_clear_message_and_what_was_typed(member_client, office, dbs,
                                                                      linked):
    item, sub = linked
    move(office, dbs, item, "done")
    response = answer(member_client, item, sub, "not_yet", "", "Still slow <b>here</b>")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please rate how it was handled, from 1 to 5." in html
    assert "Still slow &lt;b&gt;here&lt;/b&gt;" in html
    assert re.search(r'<input checked[^>]*value="not_yet"', html)
    response = answer(member_client, item, sub, "maybe", "9")
    assert response.status_code == 422
    assert "Please say whether it is fixed for you." in response.get_data(as_text=True)
    member_client.language("zh_Hans")
    response = answer(member_client, item, sub, "yes", "")
    assert response.status_code == 422 and '<html lang="zh' in response.get_data(as_text=True)
    assert dbs.scalar(select(FixConfirmation)) is None


def test_another_member_gets_404_and_staff_cannot_answer(app, office, dbs, member, other_member,
                                                         linked):
    item, sub = linked
    move(office, dbs, item, "done")
    theirs = app.test_client()
    login(theirs, other_member)
    assert theirs.get(confirm_url(item, sub)).status_code == 404
    assert answer(theirs, item, sub).status_code == 404
    assert office.get(confirm_url(item, sub)).status_code == 403
    assert answer(office, item, sub).status_code == 403
    assert dbs.scalar(select(FixConfirmation)) is None


def test_a_verified_item_keeps_the_answer(member_client, office, dbs, linked):
    item, sub = linked
    move(office, dbs, item, "done")
    answer(member_client, item, sub, "yes", "4")
    move(office, dbs, item, "verified")
    page = member_client.get(confirm_url(item, sub)).get_data(as_text=True)
    assert 'data-testid="fix-closed"' in page and "<form" not in page.split("<main", 1)[-1].split(
        'data-testid="fix-closed"')[0].split("fix-outcome")[-1]
    assert answer(member_client, item, sub, "not_yet", "1").status_code == 422
    dbs.expire_all()
    assert dbs.scalar(select(FixConfirmation)).fixed is True


# --- "not yet": the item page, the inbox, reopening --------------------------------------------


def test_not_yet_answers_show_on_the_item_with_names_only_for_who_may_see_them(
        app, member_client, office, dbs, member, linked):
    item, sub = linked
    move(office, dbs, item, "done")
    answer(member_client, item, sub, "not_yet", "2", "Queue is back.")
    page = office.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert "Queue is back." in page and "2 of 5" in page and member.name in page
    assert 'data-testid="open-not-yet"' in page and 'data-testid="reopen"' in page
    product = app.test_client()
    product.language("en")
    login(product, make_user(dbs, role="product"))
    page = product.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert "Queue is back." in page and member.name not in page
    assert 'data-testid="reopen"' not in page


def test_the_inbox_flags_and_filters_not_fixed_and_counts_them(app, member_client, office, dbs,
                                                               member, other_member, linked):
    from portal.triage import services as triage

    item, sub = linked
    for _ in range(3):
        make_submission(dbs, other_member)
    fine = gap_submission(dbs, other_member, title="Fixed one")
    other_item = make_item(dbs, status="done", resolution_note=NOTE, submissions=[fine],
                           closed_at=datetime.now(UTC))
    make_fix_confirmation(dbs, other_item, fine, fixed=True)
    move(office, dbs, item, "done")
    answer(member_client, item, sub, "not_yet", "2")
    page = office.get("/staff/inbox").get_data(as_text=True)
    flags = re.findall(r'data-testid="not-fixed" href="([^"]+)"', page)
    assert flags == [f"/staff/improvements/{item.id}"]
    page = office.get("/staff/inbox?not_fixed=y").get_data(as_text=True)
    assert re.findall(r'<tr data-submission="(\d+)"', page) == [str(sub.id)]
    assert re.search(r'data-testid="inbox-total">([^<]*)<', page).group(1) == "1 in all"
    assert 'name="not_fixed"' in page and "Not fixed for the member" in page
    with app.test_request_context():
        filters = triage.InboxFilters.from_args({"not_fixed": "y"})
        assert filters.to_args() == {"not_fixed": "y"}
        assert triage.facet_count(None, filters) is None
    # Verified (here with an override), the submission is no longer flagged.
    move(office, dbs, item, "verified", override_confirmations="y", override_reason="Checked on site.")
    assert "No submission matches." in office.get("/staff/inbox?not_fixed=y").get_data(as_text=True)


def test_the_inbox_statement_count_stays_fixed_with_the_flag(app, office, dbs, member):
    def fill(n):
        for _ in range(n):
            sub = make_submission(dbs, member)
            item = make_item(dbs, status="done", resolution_note=NOTE, submissions=[sub],
                             closed_at=datetime.now(UTC) - timedelta(days=1))
            make_fix_confirmation(dbs, item, sub, fixed=False)

    fill(2)
    office.get("/staff/inbox?not_fixed=y")
    with sql_statements(app) as few:
        office.get("/staff/inbox?per_page=200")
    with sql_statements(app) as few_filtered:
        office.get("/staff/inbox?not_fixed=y&per_page=200")
    fill(12)
    with sql_statements(app) as many:
        page = office.get("/staff/inbox?per_page=200").get_data(as_text=True)
    with sql_statements(app) as many_filtered:
        office.get("/staff/inbox?not_fixed=y&per_page=200")
    assert page.count('data-testid="not-fixed"') == 14
    assert len(few) == len(many), "\n".join(many)
    assert len(few_filtered) == len(many_filtered), "\n".join(many_filtered)


def test_staff_reopen_the_item_and_members_are_asked_again_once_done(member_client, office, dbs,
                                                                     member, linked):
    item, sub = linked
    move(office, dbs, item, "done")
    answer(member_client, item, sub, "not_yet", "2")
    dbs.expire_all()
    version = dbs.get(ImprovementItem, item.id).version
    response = office.post(f"/staff/improvements/{item.id}/reopen", data={"version": str(version)})
    assert response.status_code == 302
    page = office.get(response.headers["Location"]).get_data(as_text=True)
    assert "The item was reopened: it is in progress again." in page
    dbs.expire_all()
    item = dbs.get(ImprovementItem, item.id)
    assert item.status == "in_progress" and item.closed_at is None
    entry = dbs.scalars(select(AuditEntry).where(AuditEntry.object_type == "item",
                                                 AuditEntry.action == "update")).all()[-1]
    assert entry.before["status"] == "done" and entry.after["status"] == "in_progress"
    # A stale version is refused, nothing changes.
    response = office.post(f"/staff/improvements/{item.id}/reopen", data={"version": str(version)})
    assert response.status_code == 302
    # Done again: the member is asked once more (a notice and the home card).
    assert 'data-testid="fix-question"' not in member_client.get("/").get_data(as_text=True)
    item = move(office, dbs, item, "done")
    assert 'data-testid="fix-question"' in member_client.get("/").get_data(as_text=True)
    kinds = [n.kind for n in dbs.scalars(select(Notification).where(Notification.user_id == member.id)
                                         .order_by(Notification.id))]
    assert kinds == ["item_closed", "fix_question"]
    assert "Is it fixed for you now?" in member_client.get("/notifications").get_data(as_text=True)
    # The old "not yet" is no longer open: verifying needs no override.
    move(office, dbs, item, "verified")


# --- verifying ----------------------------------------------------------------------------------


def test_verifying_is_refused_with_open_not_yet_and_allowed_with_an_override_and_reason(
        member_client, office, dbs, linked):
    item, sub = linked
    move(office, dbs, item, "done")
    answer(member_client, item, sub, "not_yet", "2")
    html = move(office, dbs, item, "verified", expect=422).get_data(as_text=True)
    assert "1 member says it is not fixed yet. Reopen the item, or verify it anyway with a reason." in html
    assert NOTE in html  # what was typed is kept
    office.language("zh_Hans")
    html = move(office, dbs, item, "verified", expect=422).get_data(as_text=True)
    assert '<html lang="zh' in html and 'class="field has-error' in html
    office.language("en")
    html = move(office, dbs, item, "verified", expect=422, override_confirmations="y",
                override_reason="").get_data(as_text=True)
    assert "Please give the reason for verifying the item although members say it is not fixed." in html
    assert dbs.get(ImprovementItem, item.id).status == "done"
    item = move(office, dbs, item, "verified", override_confirmations="y",
                override_reason="Checked on site: queue under 5 minutes.")
    assert item.status == "verified"
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.action == "verify_override"))
    assert entry.object_id == item.id
    assert entry.after == {"open_not_yet": 1, "reason": "Checked on site: queue under 5 minutes."}
    page = office.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert "Verified although members say it is not fixed" in page


def test_a_yes_does_not_hold_verification_back(member_client, office, dbs, linked):
    item, sub = linked
    move(office, dbs, item, "done")
    answer(member_client, item, sub, "yes", "5")
    assert move(office, dbs, item, "verified").status == "verified"


# --- rates ---------------------------------------------------------------------------------------


@pytest.fixture
def rated(dbs):
    """Known answers: Network (xuhui) 2 yes + 1 not yet, ratings 5, 4, 1; Billing (pudong) 1 yes, 3."""
    network = make_department(dbs, name="Network")
    billing = make_department(dbs, name="Billing")
    closed = datetime.now(UTC) - timedelta(days=2)
    xuhui = make_user(dbs, district="xuhui")
    pudong = make_user(dbs, district="pudong")
    subs = [make_submission(dbs, xuhui) for _ in range(3)]
    a = make_item(dbs, title="Net A", department_id=network.id, commitment="network_quality",
                  status="done", resolution_note=NOTE, closed_at=closed, submissions=subs)
    for sub, fixed, rating in zip(subs, (True, True, False), (5, 4, 1), strict=True):
        make_fix_confirmation(dbs, a, sub, fixed=fixed, rating=rating)
    bsub = make_submission(dbs, pudong)
    b = make_item(dbs, title="Bill B", department_id=billing.id, commitment="billing_reminders",
                  status="done", resolution_note=NOTE, closed_at=closed, submissions=[bsub])
    make_fix_confirmation(dbs, b, bsub, fixed=True, rating=3)
    return network, billing, a, b


def _row(page: str, group: str, key) -> list[str]:
    table = page.split(f'data-group="{group}"', 1)[1].split("</table>", 1)[0]
    row = table.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def test_rates_on_the_dashboard(app, office, dbs, rated):
    network, billing, _, _ = rated
    page = office.get("/staff/dashboard").get_data(as_text=True)
    assert 'data-testid="dash-fixes"' in page
    assert _row(page, "department", network.id) == ["Network", "3", "2", "66.7%", "3.33"]
    assert _row(page, "department", billing.id) == ["Billing", "1", "1", "100.0%", "3.0"]
    assert _row(page, "commitment", "network_quality")[1:] == ["3", "2", "66.7%", "3.33"]
    assert _row(page, "district", "pudong") == ["Pudong", "1", "1", "100.0%", "3.0"]
    assert _row(page, "district", "xuhui")[0] == "Xuhui"
    office.language("zh_Hans")
    assert office.get("/staff/dashboard").status_code == 200


def test_rates_on_the_supervision_board(office, dbs, rated):
    page = office.get("/staff/supervision").get_data(as_text=True)
    rows = {name: row for name, row in re.findall(r">(Network|Billing)</a>(.*?)</tr>", page, re.S)}
    assert re.search(r'data-testid="fix-rate">66.7% of 3<', rows["Network"])
    assert re.search(r'data-testid="fix-rating">3.33<', rows["Network"])
    assert re.search(r'data-testid="fix-rate">100.0% of 1<', rows["Billing"])


def test_rates_in_the_item_export(office, dbs, rated):
    _, _, a, b = rated
    response = office.get("/staff/exports/improvements.csv")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = table[0]
    assert header[-4:] == ["Fix answers", "Fixed: yes", "Fixed: not yet", "Average handling rating"]
    by_id = {row[0]: row for row in table[1:]}
    assert by_id[str(a.id)][-4:] == ["3", "2", "1", "3.33"]
    assert by_id[str(b.id)][-4:] == ["1", "1", "0", "3.0"]
    from openpyxl import load_workbook

    from tests.exports.test_exports import fetch

    ws = load_workbook(io.BytesIO(fetch(office, "/staff/exports/improvements.xlsx").get_data())).active
    rows = list(ws.iter_rows(values_only=True))
    found = {r[0]: r[-4:] for r in rows[1:]}
    assert found[a.id] == (3, 2, 1, 3.33)


def test_the_dashboard_and_board_statement_counts_stay_fixed(app, office, dbs, rated):
    few, _ = count_queries(app, office, "/staff/dashboard")
    few_board, _ = count_queries(app, office, "/staff/supervision")
    for n in range(5):
        dep = make_department(dbs, name=f"Dep {n}")
        member = make_user(dbs, district="minhang")
        sub = make_submission(dbs, member)
        item = make_item(dbs, department_id=dep.id, status="done", resolution_note=NOTE,
                         closed_at=datetime.now(UTC), submissions=[sub])
        make_fix_confirmation(dbs, item, sub, fixed=bool(n % 2), rating=1 + n % 5)
    many, statements = count_queries(app, office, "/staff/dashboard")
    many_board, board_statements = count_queries(app, office, "/staff/supervision")
    assert few == many, statements
    assert few_board == many_board, board_statements


# --- demo data ------------------------------------------------------------------------------------


def test_the_demo_shows_every_state_of_an_answer(app, dbs):
    from tests.test_demo import _client, _seed_demo

    assert _seed_demo(app).exit_code == 0
    answers = dbs.scalars(select(FixConfirmation)).all()
    assert {a.fixed for a in answers} == {True, False}
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "verify_override")) is not None
    mobile_home = _client(app, "mobile@example.com").get("/").get_data(as_text=True)
    assert 'data-testid="fix-question"' in mobile_home
    office_client = _client(app, "office@example.com")
    page = office_client.get("/staff/inbox?not_fixed=y").get_data(as_text=True)
    assert 'data-testid="not-fixed"' in page
    assert 'data-testid="dash-fixes"' in office_client.get("/staff/dashboard").get_data(as_text=True)
    points = dbs.scalars(select(PointsEntry).where(PointsEntry.kind == "fix_confirmed")).all()
    assert len(points) == len(answers)
