"""The export endpoints: who may export, what the files hold, filters, audit entries."""
from __future__ import annotations

import csv
import gc
import io
import re
import tracemalloc
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from portal.audit.models import AuditEntry
from portal.domain import shanghai_today
from portal.triage.models import Submission
from tests import factories
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_department, make_item, make_user

URLS = ["/staff/exports/submissions.csv", "/staff/exports/submissions.xlsx",
        "/staff/exports/improvements.csv", "/staff/exports/improvements.xlsx"]
SUBMISSION_HEADER = ["ID", "Kind", "Submitted at", "Status", "Title", "Description", "Segment",
                     "District", "Channel", "Commitment area", "Severity", "Low score", "Assignee",
                     "Tags", "Linked items"]
SEGMENT_LABEL = "Mobile / 3G subscriber"
ITEM_HEADER = ["ID", "Title", "Commitment area", "Department", "Priority", "Status", "DMAIC phase",
               "Due date", "Overdue", "Linked submissions", "Created", "Closed at", "Resolution note",
               "Fix answers", "Fixed: yes", "Fixed: not yet", "Average handling rating"]


# The shared builder, with a Chinese title and text the exports must keep as they are.
make_submission = partial(factories.make_submission, title="排队太久 Long queue",
                          description="等了四十分钟。")


def read_csv(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def read_xlsx(response):
    return load_workbook(io.BytesIO(response.get_data())).active


def fetch(client, url, **kwargs):
    """The file an export link gives: at once (a small CSV), or through its export job (a large
    CSV, any XLSX; immediate mode: the job is done when the redirect comes back)."""
    response = client.get(url, **kwargs)
    if response.status_code != 303:
        return response
    job_page = response.headers["Location"]
    assert re.search(r"/staff/exports/\d+$", job_page), job_page
    return client.get(job_page + "/download")


def xlsx_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


# --- who may export -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", URLS)
def test_members_cannot_export(member_client, url):
    assert member_client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_product_cannot_export(product_client, dbs, url):
    assert product_client.get(url).status_code == 403
    assert dbs.scalars(select(AuditEntry)).all() == []


@pytest.mark.parametrize("url", URLS)
def test_office_can_export(office_client, url):
    response = fetch(office_client, url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", URLS)
def test_admin_can_export(admin_client, url):
    assert fetch(admin_client, url).status_code == 200


@pytest.mark.parametrize("url", ["/staff/exports/submissions.pdf", "/staff/exports/improvements.html",
                                 "/staff/exports/submissions.", "/staff/exports/items.csv"])
def test_unknown_format_is_404(office_client, url):
    assert office_client.get(url).status_code == 404


def test_export_is_get_only(office_client):
    assert office_client.post("/staff/exports/submissions.csv").status_code == 405


# --- submissions ------------------------------------------------------------------------------------

def test_submissions_csv_content(office_client, dbs, member, office_user):
    item = make_item(dbs, title="Faster counters")
    sub = make_submission(dbs, member, status="linked", assignee_id=office_user.id,
                          tags=["排队", "store"], low_score=True,
                          submitted_at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    item.submissions = [sub]
    dbs.commit()
    response = office_client.get("/staff/exports/submissions.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="submissions-')
    assert ".csv\"; filename*=UTF-8''submissions-" in response.headers["Content-Disposition"]
    table = read_csv(response)
    assert table[0] == SUBMISSION_HEADER
    assert table[1] == [
        str(sub.id), "Service-gap report", "2026-03-02 00:30", "Linked to an improvement",
        "排队太久 Long queue", "等了四十分钟。", SEGMENT_LABEL, "Xuhui",
        "Store", "Counter service", "2 - Moderate", "Yes", office_user.name, "排队, store", str(item.id),
    ]


def test_submissions_xlsx_content(office_client, dbs, member):
    sub = make_submission(dbs, member, submitted_at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    ws = read_xlsx(fetch(office_client, "/staff/exports/submissions.xlsx"))
    assert ws.title == "Submissions"
    assert ws.freeze_panes == "A2"
    header = next(ws.iter_rows(max_row=1))
    assert [c.value for c in header] == SUBMISSION_HEADER
    assert all(c.font.b for c in header)
    assert 60 <= ws.column_dimensions["F"].width < 61  # the description is wide
    row = next(ws.iter_rows(min_row=2, max_row=2))
    assert row[0].value == sub.id
    assert row[2].is_date and row[2].value == datetime(2026, 3, 2, 0, 30)
    assert row[4].value == "排队太久 Long queue"
    assert row[5].value == "等了四十分钟。"
    assert ws.max_row == 2


def test_submission_export_neutralizes_formulas_and_keeps_text_verbatim(office_client, dbs, member):
    payload = XSS_PAYLOADS[0]
    make_submission(dbs, member, title='=HYPERLINK("http://evil.example","click")',
                    description=payload, tags=["@SUM(1+1)", "+86"])
    make_submission(dbs, member, title="-2+3", description="\t=cmd|' /C calc'!A0")
    csv_rows = read_csv(office_client.get("/staff/exports/submissions.csv"))[1:]
    ws = read_xlsx(fetch(office_client, "/staff/exports/submissions.xlsx"))
    xlsx = xlsx_rows(ws)[1:]
    for rows in (csv_rows, xlsx):
        newest, older = rows
        assert newest[4] == "'-2+3"
        assert newest[5] == "'\t=cmd|' /C calc'!A0"
        assert older[4] == '\'=HYPERLINK("http://evil.example","click")'
        assert older[5] == payload  # not a formula: exported exactly as typed
        assert older[13] == "'@SUM(1+1), +86"
    assert all(c.data_type == "s" for c in next(ws.iter_rows(min_row=2, max_row=2))[4:6])


def _ids_csv(response) -> list[int]:
    return [int(r[0]) for r in read_csv(response)[1:]]


def _ids_xlsx(response) -> list[int]:
    return [r[0] for r in xlsx_rows(read_xlsx(response))[1:]]


def test_submission_export_follows_the_list_filters(app, office_client, dbs, member, other_member,
                                                    office_user):
    wanted = [
        make_submission(dbs, other_member, district="pudong", title="slow 宽带 broadband", severity=3,
                        submitted_at=datetime.now(UTC) - timedelta(hours=h))
        for h in (5, 3, 1)
    ]
    make_submission(dbs, other_member, district="pudong", title="other text", severity=3)
    make_submission(dbs, member, district="xuhui", title="slow 宽带 broadband", severity=3)
    make_submission(dbs, other_member, district="pudong", title="slow 宽带 broadband", kind="opinion")
    make_submission(dbs, other_member, district="pudong", title="slow 宽带 broadband", status="no_action")
    old = make_submission(dbs, other_member, district="pudong", title="slow 宽带 broadband",
                          submitted_at=datetime.now(UTC) - timedelta(days=40))
    query = {"kind": "gap_report", "district": "pudong", "q": "宽带", "status": "new",
             "date_from": (shanghai_today() - timedelta(days=10)).isoformat()}
    expected = [s.id for s in reversed(wanted)]  # newest first, as the inbox
    assert _ids_csv(office_client.get("/staff/exports/submissions.csv", query_string=query)) == expected
    assert _ids_xlsx(fetch(office_client, "/staff/exports/submissions.xlsx", query_string=query)) == expected

    # The same filters give the inbox's own rows.
    from portal.triage.services import InboxFilters, inbox_query

    with app.test_request_context("/"):
        from portal.db import db

        listed = db.scalars(inbox_query(db.get(type(office_user), office_user.id),
                                        InboxFilters.from_args(query))).all()
        assert [s.id for s in listed] == expected
    assert old.id not in expected

    # An unknown filter value is ignored, as on the list.
    everything = _ids_csv(office_client.get("/staff/exports/submissions.csv?kind=nonsense"))
    assert len(everything) == 8


def test_submission_export_records_an_audit_entry(office_client, dbs, member, office_user):
    for _ in range(3):
        make_submission(dbs, member)
    make_submission(dbs, member, kind="opinion")
    response = fetch(office_client, "/staff/exports/submissions.xlsx?kind=gap_report&q=queue&junk=1")
    assert response.status_code == 200
    entry = dbs.scalars(select(AuditEntry)).one()
    assert entry.actor_id == office_user.id
    assert entry.action == "export" and entry.object_type == "export" and entry.object_id is None
    assert entry.before is None
    assert entry.after == {"list": "submissions", "format": "xlsx",
                           "filters": {"kind": "gap_report", "q": "queue"}, "rows": 3}


def test_export_in_chinese(office_client, dbs, member):
    make_submission(dbs, member)
    office_client.language("zh_Hans")
    response = office_client.get("/staff/exports/submissions.csv")
    assert response.status_code == 200
    table = read_csv(response)
    assert table[1][4] == "排队太久 Long queue"
    response = fetch(office_client, "/staff/exports/improvements.xlsx")
    assert response.status_code == 200


# --- improvement items ------------------------------------------------------------------------------

def test_items_csv_and_xlsx_content(office_client, dbs, member):
    department = make_department(dbs, name="客户服务部 Customer service")
    today = shanghai_today()
    subs = [make_submission(dbs, member) for _ in range(2)]
    late = make_item(dbs, title="缩短排队 Shorter queues", department_id=department.id,
                     priority="high", status="in_progress", dmaic_phase="improve",
                     due_on=today - timedelta(days=2), submissions=subs,
                     created_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    done = make_item(dbs, title="Clear bills", status="done", due_on=today - timedelta(days=2),
                     resolution_note="账单已改 =SUM(1)", closed_at=datetime(2026, 2, 1, 1, 0, tzinfo=UTC),
                     created_at=datetime(2026, 1, 6, 2, 0, tzinfo=UTC))
    # The members' answers to "Is it fixed for you?" on the done item.
    factories.make_fix_confirmation(dbs, done, subs[0], fixed=True, rating=5)
    factories.make_fix_confirmation(dbs, done, subs[1], fixed=False, rating=2)

    table = read_csv(office_client.get("/staff/exports/improvements.csv"))
    assert table[0] == ITEM_HEADER
    assert table[1][13:] == ["2", "1", "1", "3.5"]
    assert [int(r[0]) for r in table[1:]] == [done.id, late.id]
    assert table[2] == [str(late.id), "缩短排队 Shorter queues", "Counter service",
                        "客户服务部 Customer service", "High", "In progress", "Improve",
                        (today - timedelta(days=2)).isoformat(), "Yes", "2", "2026-01-05 10:00", "", "",
                        "0", "0", "0", ""]
    assert table[1][8] == ""  # done is not overdue
    assert table[1][11] == "2026-02-01 09:00"
    assert table[1][12] == "账单已改 =SUM(1)"  # no formula at the start: left as written

    ws = read_xlsx(fetch(office_client, "/staff/exports/improvements.xlsx"))
    assert ws.title == "Improvement items"
    header = next(ws.iter_rows(max_row=1))
    assert [c.value for c in header] == ITEM_HEADER and all(c.font.b for c in header)
    assert ws.freeze_panes == "A2"
    row = next(ws.iter_rows(min_row=3, max_row=3))
    assert row[1].value == "缩短排队 Shorter queues"
    assert row[7].is_date and row[7].value == datetime.combine(today - timedelta(days=2), datetime.min.time())
    assert row[7].number_format == "yyyy-mm-dd"
    assert row[9].value == 2 and row[9].data_type == "n"
    assert row[10].is_date and row[10].value == datetime(2026, 1, 5, 10, 0)
    assert row[11].value is None


def test_item_export_follows_the_list_filters(office_client, dbs):
    today = shanghai_today()
    department = make_department(dbs)
    wanted = [make_item(dbs, title=f"网络 {n}", department_id=department.id, priority="urgent",
                        due_on=today - timedelta(days=1), status="approved") for n in range(3)]
    make_item(dbs, title="网络 done", department_id=department.id, priority="urgent",
              due_on=today - timedelta(days=1), status="done")                       # not overdue
    make_item(dbs, title="网络 later", department_id=department.id, priority="urgent",
              due_on=today + timedelta(days=5), status="approved")                   # not overdue
    make_item(dbs, title="网络 other", priority="urgent", due_on=today - timedelta(days=1))  # department
    make_item(dbs, title="网络 low", department_id=department.id, priority="low",
              due_on=today - timedelta(days=1))
    query = {"department_id": department.id, "priority": "urgent", "overdue": "y", "q": "网络"}
    expected = sorted((i.id for i in wanted), reverse=True)
    assert _ids_csv(office_client.get("/staff/exports/improvements.csv", query_string=query)) == expected
    assert _ids_xlsx(fetch(office_client, "/staff/exports/improvements.xlsx", query_string=query)) == expected
    entry = dbs.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.after["list"] == "improvements" and entry.after["format"] == "xlsx"
    assert entry.after["rows"] == 3
    assert entry.after["filters"]["department_id"] == department.id
    assert entry.after["filters"]["priority"] == "urgent"
    assert entry.after["filters"]["overdue"] is True


def test_item_export_neutralizes_formulas(admin_client, dbs):
    make_item(dbs, title="=1+1", resolution_note="@evil", description="x")
    row = read_csv(admin_client.get("/staff/exports/improvements.csv"))[1]
    assert row[1] == "'=1+1" and row[12] == "'@evil"
    xrow = xlsx_rows(read_xlsx(fetch(admin_client, "/staff/exports/improvements.xlsx")))[1]
    assert xrow[1] == "'=1+1" and xrow[12] == "'@evil"


# --- streaming from the database ---------------------------------------------------------------------

def _bulk_submissions(dbs, member, n: int) -> None:
    now = datetime.now(UTC)
    dbs.execute(insert(Submission), [
        dict(kind="gap_report", member_id=member.id, segment="mobile", district="xuhui",
             title=f"排队 {i}", description="x" * 200, submitted_at=now - timedelta(seconds=i),
             updated_at=now, tags=["a"], low_score=False, status="new", version=1)
        for i in range(n)
    ])
    dbs.commit()


def _export_peak(client, url: str) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        response = client.get(url, buffered=False)
        size = 0
        for chunk in response.response:
            size += len(chunk)
        response.close()
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_csv_export_streams_from_the_database(app, dbs, member):
    office = make_user(dbs, role="office")
    client = app.test_client()
    login(client, office)
    _bulk_submissions(dbs, member, 500)
    client.get("/staff/exports/submissions.csv")  # warm up
    small, small_size = _export_peak(client, "/staff/exports/submissions.csv")
    _bulk_submissions(dbs, member, 4000)  # still under the job's 5,000 rows: streamed
    large, large_size = _export_peak(client, "/staff/exports/submissions.csv")
    assert large_size > 8 * small_size
    # Ten times the rows, read 500 at a time: the memory needed stays about the same.
    assert large < 2 * small, (small, large)


# --- from the lists' own export links ----------------------------------------------------------------

def _link(page: str, label: str) -> str:
    import html
    import re

    match = re.search(r'<a class="button" href="([^"]+)">' + re.escape(label) + "</a>", page)
    assert match, label
    return html.unescape(match.group(1))


def test_inbox_export_links_export_what_the_inbox_shows(office_client, dbs, member, other_member):
    import re

    for n in range(4):
        make_submission(dbs, other_member, district="pudong", title=f"宽带 {n}")
    make_submission(dbs, member, district="xuhui", title="宽带 x")
    make_submission(dbs, other_member, district="pudong", title="other")
    page = office_client.get("/staff/inbox?district=pudong&q=宽带").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'data-submission="(\d+)"', page)]
    assert len(shown) == 4
    assert _ids_csv(office_client.get(_link(page, "Export CSV"))) == shown
    assert _ids_xlsx(fetch(office_client, _link(page, "Export XLSX"))) == shown


def test_item_list_export_links_export_what_the_list_shows(office_client, dbs):
    import re

    for n in range(3):
        make_item(dbs, title=f"网络 {n}", priority="high")
    make_item(dbs, title="网络 low", priority="low")
    page = office_client.get("/staff/improvements?priority=high").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'href="/staff/improvements/(\d+)"', page)]
    assert len(shown) == 3
    assert _ids_csv(office_client.get(_link(page, "Export CSV"))) == shown
    assert _ids_xlsx(fetch(office_client, _link(page, "Export XLSX"))) == shown
