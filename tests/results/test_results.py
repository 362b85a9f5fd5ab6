"""The trial results page and the raw responses export on a fixed data set:
4 submitted evaluations over two segments and two districts (plus a draft that must not count)."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.triage.models import Submission
from portal.trials.models import Answer, Evaluation
from tests.conftest import login
from tests.factories import make_enrollment, make_trial, make_user
from tests.queries import page_statements

BASE = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
QUESTIONS = [
    dict(kind="rating", prompt="Ease of setup"),
    dict(kind="nps", prompt="Recommend?"),
    dict(kind="single", prompt="Best part", options=["Speed", "Price"]),
    dict(kind="multiple", prompt="Used where", options=["Home", "Office", "Metro"]),
    dict(kind="yesno", prompt="Keep it?"),
    dict(kind="text", prompt="Comments", required=False),
]
# segment, district, rating, nps, single, multiple, yesno, text
DATA = [
    ("mobile", "xuhui", 5, 10, "Speed", ["Home", "Office"], 1, "=SUM(A1) great"),
    ("mobile", "pudong", 4, 9, "Price", ["Home"], 1, "信号很好"),
    ("household", "xuhui", 2, 6, "Speed", ["Metro"], 0, None),
    ("household", "pudong", 3, 8, "Speed", ["Home", "Metro"], 1, "<script>alert(1)</script> slow"),
]


def _evaluation(dbs, trial, member, values, status="submitted", minutes=0):
    q = trial.questions
    ev = Evaluation(trial_id=trial.id, member_id=member.id, status=status,
                    version=1 if status == "submitted" else 0,
                    submitted_at=BASE + timedelta(minutes=minutes) if status == "submitted" else None)
    rating, nps, single, multiple, yesno, text = values
    ev.answers = [
        Answer(question_id=q[0].id, number=rating), Answer(question_id=q[1].id, number=nps),
        Answer(question_id=q[2].id, text=single), Answer(question_id=q[3].id, choices=multiple),
        Answer(question_id=q[4].id, number=yesno),
    ]
    if text:
        ev.answers.append(Answer(question_id=q[5].id, text=text))
    dbs.add(ev)
    dbs.commit()
    return ev


@pytest.fixture
def fixed(dbs, product_user):
    trial = make_trial(dbs, segments=("mobile", "household"), status="running",
                       questions=QUESTIONS, created_by_id=product_user.id, title="5G 套餐")
    evaluations = []
    for i, (segment, district, *values) in enumerate(DATA):
        m = make_user(dbs, segment=segment, district=district)
        make_enrollment(dbs, trial, m, "accepted")
        ev = _evaluation(dbs, trial, m, values, minutes=i)
        evaluations.append(ev)
        if i != 2:
            dbs.add(Submission(kind="evaluation", member_id=m.id, segment=segment, district=district,
                               evaluation_id=ev.id, trial_id=trial.id, title=trial.title,
                               description=values[-1] or "", status="new", tags=[],
                               submitted_at=ev.submitted_at))
            dbs.commit()
    drafter = make_user(dbs, segment="mobile", district="xuhui")
    make_enrollment(dbs, trial, drafter, "accepted")
    _evaluation(dbs, trial, drafter, (1, 0, "Price", ["Office"], 0, "draft text"), status="draft")
    make_enrollment(dbs, trial, make_user(dbs), "applied")
    make_enrollment(dbs, trial, make_user(dbs), "declined")
    return trial, evaluations


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _section(html: str, question) -> str:
    start = html.index(f'id="question-{question.id}"')
    end = html.find('<section', start)
    return html[start:end if end > 0 else len(html)]


def url(trial, suffix=""):
    return f"/staff/trials/{trial.id}/results{suffix}"


def test_counts_and_overall_statistics(fixed, product_client):
    trial, _ = fixed
    r = product_client.get(url(trial))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert re.search(r'class="count-invited">7<', html)   # 5 accepted + applied + declined
    assert re.search(r'class="count-enrolled">5<', html)
    assert re.search(r'class="count-evaluated">4<', html)  # the draft does not count
    assert re.search(r'class="count-completion">80%<', html)
    q = trial.questions
    rating = _section(html, q[0])
    assert 'class="stat-mean">3.50<' in rating and 'class="stat-median">3.5<' in rating
    assert '<svg' in rating and 'role="img"' in rating
    nps = _section(html, q[1])
    assert 'class="stat-nps">25<' in nps
    text = _text(nps)
    assert "Promoters (9-10) 2 50%" in text
    assert "Passives (7-8) 1 25%" in text
    assert "Detractors (0-6) 1 25%" in text
    single = _text(_section(html, q[2]))
    assert "Speed 3" in single and "Price 1" in single
    multiple = _text(_section(html, q[3]))
    assert "Home 3" in multiple and "Office 1" in multiple and "Metro 2" in multiple
    yesno = _text(_section(html, q[4]))
    assert "Yes 3" in yesno and "No 1" in yesno
    assert "4 answers" in _text(_section(html, q[0]))
    assert "3 answers" in _text(_section(html, q[5]))


def test_breakdowns_by_segment_and_district(fixed, office_client):
    trial, _ = fixed
    html = office_client.get(url(trial)).get_data(as_text=True)
    q = trial.questions
    rating = _text(_section(html, q[0]))
    assert "Mobile / 3G subscriber 2 4.50 4.5" in rating
    assert "Household customer 2 2.50 2.5" in rating
    assert "Xuhui 2 3.50 3.5" in rating and "Pudong 2 3.50 3.5" in rating
    nps = _text(_section(html, q[1]))
    assert "Mobile / 3G subscriber 2 100 9.50" in nps
    assert "Household customer 2 -50 7.00" in nps
    assert "Xuhui 2 0 8.00" in nps and "Pudong 2 50 8.50" in nps
    single = _text(_section(html, q[2]))
    assert "Mobile / 3G subscriber 2 Speed (1)" in single
    assert "Household customer 2 Speed (2)" in single


def test_free_text_listed_escaped_with_links_and_filters(fixed, office_client, dbs):
    trial, evaluations = fixed
    html = office_client.get(url(trial)).get_data(as_text=True)
    assert "信号很好" in html and "=SUM(A1) great" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; slow" in html
    assert "draft text" not in html
    sub = dbs.scalar(select(Submission).where(Submission.evaluation_id == evaluations[1].id))
    assert f'href="/staff/submissions/{sub.id}"' in html or f"/{sub.id}\"" in html

    def texts(**args):
        page = office_client.get(url(trial), query_string=args).get_data(as_text=True)
        start = page.index('id="free-text"')
        return page[start:]

    only_household = texts(segment="household")
    assert "slow" in only_household and "信号很好" not in only_household and "great" not in only_household
    only_pudong = texts(district="pudong")
    assert "信号很好" in only_pudong and "slow" in only_pudong and "great" not in only_pudong
    search = texts(q="信号")
    assert "信号很好" in search and "slow" not in search
    none = texts(q="nothing like this")
    assert "No free-text answers match." in none
    by_question = texts(question=str(trial.questions[5].id), segment="mobile")
    assert "信号很好" in by_question and "great" in by_question
    assert office_client.get(url(trial),
                             query_string={"question": "abc", "segment": "bogus"}).status_code == 200


def test_link_points_to_the_triage_detail(fixed, office_client, dbs, app):
    trial, evaluations = fixed
    from flask import url_for
    sub = dbs.scalar(select(Submission).where(Submission.evaluation_id == evaluations[0].id))
    with app.test_request_context():
        link = url_for("triage.detail", submission_id=sub.id)
    html = office_client.get(url(trial)).get_data(as_text=True)
    assert f'href="{link}"' in html
    assert office_client.get(link).status_code == 200


def test_empty_trial_says_no_evaluations_yet(dbs, office_client):
    trial = make_trial(dbs)
    r = office_client.get(url(trial))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "No evaluations yet" in html
    assert re.search(r'class="count-evaluated">0<', html)
    assert "no data" in _text(html)  # completion rate with nobody accepted


def test_question_without_answers_and_trial_without_questions(dbs, admin_client):
    trial = make_trial(dbs, questions=[])
    assert admin_client.get(url(trial)).status_code == 200
    trial2 = make_trial(dbs, questions=[dict(kind="rating", prompt="R"),
                                        dict(kind="nps", prompt="N", required=False)])
    m = make_user(dbs)
    ev = Evaluation(trial_id=trial2.id, member_id=m.id, status="submitted", version=1, submitted_at=BASE)
    ev.answers = [Answer(question_id=trial2.questions[0].id, number=4)]
    dbs.add(ev)
    dbs.commit()
    html = admin_client.get(url(trial2)).get_data(as_text=True)
    assert "No answers to this question yet." in html


def test_page_runs_a_fixed_number_of_queries(dbs, office_client, app):
    trial = make_trial(dbs, questions=QUESTIONS)

    def count():
        return len(page_statements(app, office_client, url(trial)))

    def add(n):
        for i in range(n):
            m = make_user(dbs, segment="mobile" if i % 2 else "household")
            _evaluation(dbs, trial, m, (3, 7, "Speed", ["Home"], 1, f"text {i}"), minutes=i)

    add(3)
    three = count()
    add(27)
    assert count() == three


def test_chinese_page_renders(fixed, office_client):
    trial, _ = fixed
    office_client.language("zh_Hans")
    r = office_client.get(url(trial))
    assert r.status_code == 200
    assert "信号很好" in r.get_data(as_text=True)


def test_staff_detail_links_to_results(fixed, product_client):
    trial, _ = fixed
    html = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert f'href="{url(trial)}"' in html


# --- roles -----------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(fixed, client):
    trial, _ = fixed
    for suffix in ("", ".csv"):
        r = client.get(url(trial, suffix))
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_member_gets_403(fixed, member_client):
    trial, _ = fixed
    assert member_client.get(url(trial)).status_code == 403
    assert member_client.get(url(trial, ".csv")).status_code == 403


def test_unknown_trial_and_format_are_404(fixed, office_client):
    trial, _ = fixed
    assert office_client.get("/staff/trials/999999/results").status_code == 404
    assert office_client.get("/staff/trials/999999/results.csv").status_code == 404
    assert office_client.get(url(trial, ".pdf")).status_code == 404


def test_product_of_another_trial_gets_404_on_results_and_export(fixed, client, dbs):
    trial, _ = fixed
    other = make_user(dbs, role="product")
    login(client, other)
    r = client.get(url(trial))
    assert r.status_code == 404
    assert "信号很好" not in r.get_data(as_text=True)
    assert client.get(url(trial, ".csv")).status_code == 404
    assert client.get(url(trial, ".xlsx")).status_code == 404
    assert dbs.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all() == []


def test_export_links_shown_to_whoever_may_export(fixed, product_client):
    trial, _ = fixed
    html = product_client.get(url(trial)).get_data(as_text=True)
    assert url(trial, ".csv") in html and url(trial, ".xlsx") in html


# --- segment and district as recorded at submission -------------------------------------------------

def test_a_member_who_moves_is_still_counted_where_they_were(fixed, office_client, dbs):
    """The first member (mobile, Xuhui) moves to Minhang and becomes a household customer after
    submitting: their answers stay under Mobile / Xuhui, as their submission recorded."""
    trial, evaluations = fixed
    mover = dbs.get(User, evaluations[0].member_id)
    mover.district = "minhang"
    mover.segment = "household"
    dbs.commit()
    html = office_client.get(url(trial)).get_data(as_text=True)
    rating = _text(_section(html, trial.questions[0]))
    assert "Xuhui 2 3.50 3.5" in rating and "Minhang" not in rating
    assert "Mobile / 3G subscriber 2 4.50 4.5" in rating and "Household customer 2 2.50 2.5" in rating
    free_text = office_client.get(url(trial), query_string={"district": "xuhui"}).get_data(as_text=True)
    assert "great" in free_text[free_text.index('id="free-text"'):]
    rows = list(csv.reader(io.StringIO(
        office_client.get(url(trial, ".csv")).get_data().decode("utf-8-sig"))))
    assert rows[1][1:3] == ["Mobile / 3G subscriber", "Xuhui"]


def test_a_member_who_moves_after_submitting_through_the_form(dbs, client, product_user):
    """End to end: the member submits on the questionnaire page, then moves district."""
    trial = make_trial(dbs, status="running", questions=QUESTIONS, created_by_id=product_user.id)
    member = make_user(dbs, segment="mobile", district="xuhui")
    make_enrollment(dbs, trial, member, "accepted")
    login(client, member)
    q = trial.questions
    response = client.post(f"/trials/{trial.id}/evaluation", data={
        f"q-{q[0].id}": "4", f"q-{q[1].id}": "9", f"q-{q[2].id}": "Speed", f"q-{q[3].id}": ["Home"],
        f"q-{q[4].id}": "yes", f"q-{q[5].id}": "Moved later", "action": "submit",
    })
    assert response.status_code == 302
    client.post("/logout")
    client._token = None
    stored = dbs.get(User, member.id)
    stored.district = "pudong"
    dbs.commit()
    login(client, product_user)
    client.language("en")
    html = client.get(url(trial)).get_data(as_text=True)
    rating = _text(_section(html, q[0]))
    assert "Xuhui 1 4.00 4.0" in rating and "Pudong" not in rating


# --- export -----------------------------------------------------------------------------------------

HEADER = ["Evaluation", "Segment", "District", "Submitted at", "Version",
          "1. Ease of setup", "2. Recommend?", "3. Best part", "4. Used where", "5. Keep it?",
          "6. Comments"]


def test_csv_export_content_and_audit(fixed, product_client, dbs):
    trial, evaluations = fixed
    r = product_client.get(url(trial, ".csv"))
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert len(rows) == 5  # the draft is not exported
    first = rows[1]
    assert first[0] == str(evaluations[0].id)
    assert first[1:3] == ["Mobile / 3G subscriber", "Xuhui"]
    assert first[3] == "2026-05-01 10:00"  # Shanghai time
    assert first[5:] == ["5", "10", "Speed", "Home; Office", "Yes", "'=SUM(A1) great"]
    assert rows[2][10] == "信号很好"
    assert rows[3][9] == "No" and rows[3][10] == ""
    entries = dbs.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert len(entries) == 1
    assert entries[0].after["trial_id"] == trial.id and entries[0].after["rows"] == 4
    assert entries[0].after["format"] == "csv"


def test_xlsx_export_content(fixed, office_client):
    trial, evaluations = fixed
    r = office_client.get(url(trial, ".xlsx"))
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.get_data())).active
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert len(rows) == 5
    assert rows[1][0] == evaluations[0].id
    assert rows[1][5:] == [5, 10, "Speed", "Home; Office", "Yes", "'=SUM(A1) great"]
    assert rows[2][10] == "信号很好"
    assert rows[4][10] == "<script>alert(1)</script> slow"


def test_export_of_an_empty_trial_has_the_header_only(dbs, admin_client):
    trial = make_trial(dbs)
    rows = list(csv.reader(io.StringIO(admin_client.get(url(trial, ".csv")).get_data().decode("utf-8-sig"))))
    assert rows == [["Evaluation", "Segment", "District", "Submitted at", "Version",
                     "1. How easy was it to set up?", "2. How likely are you to recommend it?",
                     "3. Anything else?"]]


def test_nps_chart_by_segment(fixed, office_client):
    trial, _ = fixed
    html = office_client.get(url(trial)).get_data(as_text=True)
    nps = _section(html, trial.questions[1])
    assert "Promoters, passives and detractors by segment" in nps
    assert "Mobile / 3G subscriber: Promoters (9-10) 2, Passives (7-8) 0, Detractors (0-6) 0" in nps
    assert "Household customer: Promoters (9-10) 0, Passives (7-8) 1, Detractors (0-6) 1" in nps
    assert "style=" not in nps
