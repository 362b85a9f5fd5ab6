"""The demo data `make run` loads: every demo login works and finds its data."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Invitation, User
from portal.demo import DEMO_PASSWORD, MEMBERS, STAFF
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.opinions.models import Consultation
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
    assert dbs.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.status == "submitted")) >= 3
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
