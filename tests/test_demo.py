"""The demo data `make run` loads: every demo login works and finds its data."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import domain, permissions
from portal.accounts.models import Invitation, User
from portal.audit.models import AuditEntry
from portal.demo import DEMO_PASSWORD, MEMBERS, STAFF
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.improvements.models import Department, ImprovementItem
from portal.notifications.models import Notification, OutboxEmail
from portal.opinions.models import Consultation, Opinion
from portal.triage.models import InternalNote, Submission
from portal.trials.models import Evaluation, EvaluationVersion, Question, Trial
from tests.conftest import login

# What each demo member's home must show.
MEMBER_SEES = {
    "enterprise@example.com": ["云电脑企业版试用", "国际漫游一键开通服务试用", "日本漫游开通后无法上网",
                               "营业厅排队等候时间服务标准（征求意见稿）"],
    "sme@example.com": ["国际漫游一键开通服务试用", "网上营业厅发票下载页面报错", "流量超额提醒规则调整"],
    "mobile@example.com": ["5G 畅享套餐 2026 版试用", "家庭云存储服务试用", "徐家汇地铁站内 5G 信号频繁中断",
                           "家庭宽带上门装维预约时段政策"],
    "household@example.com": ["家庭云存储服务试用", "莘庄营业厅排队超过 40 分钟", "未订购的增值业务被扣费"],
}


def _seed_demo(app):
    """`flask --app portal seed-demo --if-empty`, as `make run` calls it."""
    with app.app_context():  # the real CLI pushes one for every command
        return app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])


@pytest.fixture
def seeded(app):
    result = _seed_demo(app)
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    return app


def test_seed_covers_every_status_and_kind(seeded, dbs):
    assert set(dbs.scalars(select(Trial.status))) == {"draft", "recruiting", "running", "closed"}
    running = dbs.scalar(select(Trial).where(Trial.status == "running"))
    kinds = set(dbs.scalars(select(Question.kind).where(Question.trial_id == running.id)))
    assert kinds == {"rating", "nps", "single", "multiple", "yesno", "text"}
    assert set(dbs.scalars(select(User.segment).where(User.role == "member"))) == {
        "enterprise", "sme", "mobile", "household"}
    assert dbs.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.status == "submitted")) >= 3
    # every submitted evaluation has its versions, the last one matching its version number
    for evaluation in dbs.scalars(select(Evaluation).where(Evaluation.status == "submitted")):
        numbers = list(dbs.scalars(select(EvaluationVersion.version)
                                   .where(EvaluationVersion.evaluation_id == evaluation.id)
                                   .order_by(EvaluationVersion.version)))
        assert numbers == list(range(1, evaluation.version + 1))
    assert {c.status for c in dbs.scalars(select(Consultation))} == {"published", "draft"}
    assert len(set(dbs.scalars(select(ServiceGapReport.commitment)))) == 6
    assert len(set(dbs.scalars(select(ServiceGapReport.severity)))) == 4
    photo = dbs.scalar(select(GapPhoto))
    assert photo.content_type == "image/png" and photo.data.startswith(b"\x89PNG")
    assert dbs.scalar(select(func.count()).select_from(Invitation).where(Invitation.used_at.is_(None))) == 1


def test_every_demo_login_signs_in(seeded):
    for email, *_rest in STAFF + MEMBERS:
        client = seeded.test_client()
        user = type("DemoUser", (), {"email": email})
        login(client, user, password=DEMO_PASSWORD)
        response = client.get("/")
        assert response.status_code == 200, email


@pytest.mark.parametrize("email", sorted(MEMBER_SEES))
def test_member_home_shows_the_demo_data(seeded, email):
    client = seeded.test_client()
    login(client, type("DemoUser", (), {"email": email}), password=DEMO_PASSWORD)
    page = client.get("/").get_data(as_text=True)
    for text in MEMBER_SEES[email]:
        assert text in page, (email, text)


def test_demo_evaluation_with_two_versions_opens(seeded, dbs):
    client = seeded.test_client()
    login(client, type("DemoUser", (), {"email": "mobile@example.com"}), password=DEMO_PASSWORD)
    running = dbs.scalar(select(Trial).where(Trial.status == "running"))
    response = client.get(f"/trials/{running.id}/evaluation")
    assert response.status_code == 200
    assert "费用封顶很实用" in response.get_data(as_text=True)


def test_seeding_twice_is_refused_with_if_empty(seeded, dbs):
    users = dbs.scalar(select(func.count()).select_from(User))
    result = _seed_demo(seeded)
    assert result.exit_code == 0
    assert "already has data" in result.output
    assert dbs.scalar(select(func.count()).select_from(User)) == users


def _client(app, email):
    client = app.test_client()
    client.language("en")
    login(client, type("DemoUser", (), {"email": email}), password=DEMO_PASSWORD)
    return client


def test_every_submission_is_in_the_office_inbox(seeded, dbs):
    sources = (
        [("evaluation", e.id)
         for e in dbs.scalars(select(Evaluation).where(Evaluation.status == "submitted"))]
        + [("gap_report", r.id) for r in dbs.scalars(select(ServiceGapReport))]
        + [("opinion", o.id) for o in dbs.scalars(select(Opinion))]
    )
    recorded = {(s.kind, s.evaluation_id or s.gap_report_id or s.opinion_id)
                for s in dbs.scalars(select(Submission))}
    assert recorded == set(sources)
    # the status members read matches the inbox's
    for s in dbs.scalars(select(Submission)):
        if s.kind == "gap_report":
            assert dbs.get(ServiceGapReport, s.gap_report_id).status == s.status
        elif s.kind == "opinion":
            assert dbs.get(Opinion, s.opinion_id).triage_status == s.status
        else:
            assert dbs.get(Evaluation, s.evaluation_id).triage_status == s.status
    page = _client(seeded, "office@example.com").get("/staff/inbox?per_page=100")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for kind in ("evaluation", "gap_report", "opinion"):
        assert str(domain.SUBMISSION_KINDS[kind]) in html, kind
    for title in set(dbs.scalars(select(Submission.title))):
        assert title in html, title
    assert "badge-low-score" in html
    assert dbs.scalar(select(func.count()).select_from(Submission).where(Submission.low_score)) >= 2


def test_triage_state_on_some_submissions(seeded, dbs):
    statuses = set(dbs.scalars(select(Submission.status)))
    assert statuses == set(domain.SUBMISSION_STATUSES)
    reviewed = dbs.scalars(select(Submission).where(Submission.status == "in_review")).all()
    assert any(s.assignee_id and s.tags for s in reviewed)
    duplicate = dbs.scalar(select(Submission).where(Submission.status == "duplicate"))
    assert duplicate.duplicate_of_id is not None
    assert all(s.no_action_reason for s in dbs.scalars(
        select(Submission).where(Submission.status == "no_action")))
    assert all(s.items for s in dbs.scalars(select(Submission).where(Submission.status == "linked")))
    noted = dbs.scalar(select(InternalNote))
    client = _client(seeded, "office@example.com")
    detail = client.get(f"/staff/inbox/{noted.submission_id}").get_data(as_text=True)
    assert noted.text in detail


def test_departments_have_real_a_and_b_contacts(seeded, dbs):
    from portal.supervision.demo import contact_emails

    staff = {email for email, *_ in STAFF} | contact_emails()
    departments = dbs.scalars(select(Department)).all()
    assert len(departments) >= 5
    for dep in departments:
        a, b = dbs.get(User, dep.a_contact_id), dbs.get(User, dep.b_contact_id)
        assert a.id != b.id and {a.email, b.email} <= staff
        # a district branch's contacts are its own staff (portal.supervision)
        roles = (permissions.BRANCH,) if dep.kind == "district_branch" else permissions.STAFF
        assert a.role in roles and b.role in roles
    page = _client(seeded, "admin@example.com").get("/admin/departments").get_data(as_text=True)
    for dep in departments:
        assert dep.name in page


def test_item_list_shows_every_status_and_timelines_are_not_empty(seeded, dbs):
    items = dbs.scalars(select(ImprovementItem)).all()
    assert {i.status for i in items} == set(domain.ITEM_STATUSES)
    assert {i.dmaic_phase for i in items} == set(domain.DMAIC_PHASES)
    assert {i.priority for i in items} == set(domain.PRIORITIES)
    assert all(i.resolution_note for i in items if i.status in domain.ITEM_OUTCOME_STATUSES)
    assert all(i.rejection_reason for i in items if i.status == "rejected")
    client = _client(seeded, "office@example.com")
    html = client.get("/staff/improvements").get_data(as_text=True)
    for status in domain.ITEM_STATUSES:
        assert f'class="badge badge-{status}"' in html, status
    office = dbs.scalar(select(User).where(User.email == "office@example.com"))
    for item in items:
        entries = dbs.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "item", AuditEntry.object_id == item.id)).all()
        assert entries and entries[0].actor_id == office.id
        page = client.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
        assert item.title in page and office.name in page


def test_supervision_board_shows_an_overdue_item(seeded, dbs):
    today = domain.shanghai_today()
    overdue = dbs.scalars(select(ImprovementItem).where(
        ImprovementItem.due_on < today,
        ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES))).all()
    assert overdue
    html = _client(seeded, "office@example.com").get("/staff/supervision").get_data(as_text=True)
    assert "badge-overdue" in html
    for item in overdue:
        assert item.title in html
    # its department's B contact was told
    b_contact = dbs.get(Department, overdue[0].department_id).b_contact_id
    assert dbs.scalar(select(Notification).where(
        Notification.user_id == b_contact, Notification.kind == "item_overdue"))


def test_demo_member_sees_the_outcome_and_a_notification(seeded, dbs):
    household = dbs.scalar(select(User).where(User.email == "household@example.com"))
    notice = dbs.scalar(select(Notification).where(Notification.user_id == household.id))
    assert notice.kind == "item_closed" and notice.read_at is None
    item = dbs.get(ImprovementItem, notice.item_id)
    assert item.status in domain.ITEM_OUTCOME_STATUSES
    assert dbs.scalar(select(OutboxEmail).where(OutboxEmail.to_address == household.email))
    submission = dbs.get(Submission, notice.submission_id)
    client = _client(seeded, household.email)
    home = client.get("/").get_data(as_text=True)
    assert 'class="badge badge-unread"' in home
    notifications = client.get("/notifications").get_data(as_text=True)
    assert item.resolution_note in notifications
    report = dbs.scalar(select(ServiceGapReport).where(ServiceGapReport.member_id == household.id,
                                                       ServiceGapReport.status == "linked"))
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "What became of it" in html and item.resolution_note in html
    assert submission.member_id == household.id
    # nothing internal reaches the member
    for note in dbs.scalars(select(InternalNote)):
        assert note.text not in html and note.text not in notifications


def test_a_failing_seed_leaves_nothing_behind(app, dbs, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # the very last step of the seed fails: everything before it must be rolled back
    monkeypatch.setattr("portal.demo.notices.notify_item_overdue", boom)
    result = _seed_demo(app)
    assert result.exit_code != 0
    for model in (User, Trial, Evaluation, ServiceGapReport, Opinion, Submission, Department,
                  ImprovementItem, AuditEntry, Notification, OutboxEmail, InternalNote):
        assert dbs.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def test_demo_index_has_a_trend_of_three_quarters(app):
    from portal.demo import seed
    from portal.index.services import index_series, latest_index

    with app.app_context():
        seed()
        series = index_series()
        assert len(series) == 3
        latest = latest_index()
        assert latest is not None and 0 <= latest.value <= 100
        values = [point.value for point in series]
        assert values == sorted(values)  # the demo quarters improve
