"""Demo data for `make run`: staff, members of every segment, and some of everything.

Everything is built with the models directly and committed once: a failure leaves nothing behind.
Titles and texts are in Chinese, as the panel's members would write them.
"""
from __future__ import annotations

import io
import secrets
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from werkzeug.security import generate_password_hash

from portal import domain
from portal.accounts.models import Invitation, User
from portal.accounts.services import hash_token
from portal.db import db, utcnow
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.opinions.models import Consultation, Opinion
from portal.trials.evaluation_services import _store_answers, snapshot
from portal.trials.models import Enrollment, Evaluation, EvaluationVersion, Question, Trial, TrialSegment

DEMO_PASSWORD = "demo-pass-2026"

# (email, name, role, segment, district, organization) - the README lists the same logins.
STAFF = [
    ("admin@example.com", "王敏", "admin"),
    ("product@example.com", "李强", "product"),
    ("office@example.com", "陈静", "office"),
]
MEMBERS = [
    ("enterprise@example.com", "张伟", "enterprise", "pudong", "上海远航物流集团有限公司"),
    ("sme@example.com", "刘芳", "sme", "jingan", "静安小林咖啡有限公司"),
    ("mobile@example.com", "赵磊", "mobile", "xuhui", None),
    ("household@example.com", "孙丽", "household", "minhang", None),
    ("mobile2@example.com", "周杰", "mobile", "yangpu", None),
    ("household2@example.com", "吴霞", "household", "baoshan", None),
]

SIX_KINDS_QUESTIONS = [
    dict(kind="rating", prompt="一键开通的流程是否简单？", help_text="1 分表示很难，5 分表示非常简单。"),
    dict(kind="nps", prompt="您向亲友推荐这项服务的可能性有多大？"),
    dict(kind="single", prompt="这次试用中您主要在哪个地区漫游？", options=["亚洲", "欧洲", "北美", "其他"]),
    dict(kind="multiple", prompt="您用过哪些功能？", options=["一键开通", "流量提醒", "费用封顶", "在线客服"]),
    dict(kind="yesno", prompt="落地后是否能立即上网？"),
    dict(kind="text", prompt="其他意见和建议", required=False),
]


def _at(day: date, hour: int = 10) -> datetime:
    """A moment of a Shanghai day, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=domain.SHANGHAI)


def _photo_png() -> tuple[bytes, int, int]:
    """A small generated picture: a queue at a store counter, in blocks of colour."""
    width, height = 320, 200
    image = Image.new("RGB", (width, height), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 150, width, height), fill=(180, 186, 196))  # floor
    draw.rectangle((220, 60, 310, 150), fill=(0, 94, 170))  # the counter
    for i in range(6):  # people waiting
        x = 20 + i * 32
        draw.ellipse((x, 70, x + 20, 90), fill=(240, 200, 160))
        draw.rectangle((x - 2, 92, x + 22, 150), fill=(90 + i * 20, 80, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), width, height


def seed() -> None:
    """Load the demo data in one transaction."""
    try:
        _seed()
        db.commit()
    except Exception:
        db.rollback()
        raise


def _seed() -> None:
    today = domain.shanghai_today()
    password_hash = generate_password_hash(DEMO_PASSWORD)

    users: dict[str, User] = {}
    for email, name, role in STAFF:
        users[role] = User(email=email, name=name, role=role, password_hash=password_hash)
    for n, (email, name, segment, district, organization) in enumerate(MEMBERS):
        key = email.split("@")[0]
        users[key] = User(
            email=email, name=name, role="member", password_hash=password_hash, segment=segment,
            district=district, organization=organization, phone=f"1391234{5670 + n}",
            created_at=_at(today - timedelta(days=60 - n)),
        )
    db.add_all(users.values())
    product, office, admin = users["product"], users["office"], users["admin"]

    # --- trials, one in every status -------------------------------------------------------
    def trial(title, kind, status, segments, description, questions=(), **fields) -> Trial:
        t = Trial(title=title, kind=kind, status=status, description=description,
                  created_by=product, **fields)
        t.segments = [TrialSegment(segment=s) for s in segments]
        t.questions = [
            Question(position=i, **{"required": True, "options": [], "help_text": "", **q})
            for i, q in enumerate(questions)
        ]
        db.add(t)
        return t

    fttr = trial(
        "千兆宽带智能组网（FTTR）试用", "service", "draft", ["household"],
        "**全屋光纤组网**，每个房间都有千兆 Wi-Fi。\n\n- 免费上门安装\n- 试用期 2 个月",
        capacity=30, enrollment_opens_on=today + timedelta(days=10),
        enrollment_closes_on=today + timedelta(days=24), starts_on=today + timedelta(days=30),
        ends_on=today + timedelta(days=90),
    )
    plan = trial(
        "5G 畅享套餐 2026 版试用", "product", "recruiting", ["mobile", "household"],
        "新版 **5G 畅享套餐**：流量不限速档位更高，家庭成员共享。\n\n"
        "1. 报名后由产品团队审核\n2. 入选者免费体验三个月\n\n详情见 [套餐说明](https://example.com/5g)。",
        capacity=50, enrollment_opens_on=today - timedelta(days=5),
        enrollment_closes_on=today + timedelta(days=14), starts_on=today + timedelta(days=21),
        ends_on=today + timedelta(days=111),
    )
    cloud_pc = trial(
        "云电脑企业版试用", "business", "recruiting", ["enterprise", "sme"],
        "为企业员工提供**云端办公电脑**，随时随地登录，数据不落地。报名即入选，名额有限。",
        capacity=20, auto_accept=True, enrollment_opens_on=today - timedelta(days=3),
        enrollment_closes_on=today + timedelta(days=20), starts_on=today + timedelta(days=25),
        ends_on=today + timedelta(days=85),
    )
    roaming = trial(
        "国际漫游一键开通服务试用", "service", "running",
        ["mobile", "enterprise", "sme", "household"],
        "出境前在手机客户端**一键开通**国际漫游，落地即用，并可设置*费用封顶*。\n\n"
        "> 试用期间请至少出境一次，回国后填写评价问卷。",
        capacity=40, enrollment_opens_on=today - timedelta(days=40),
        enrollment_closes_on=today - timedelta(days=20), starts_on=today - timedelta(days=15),
        ends_on=today + timedelta(days=45), questions=SIX_KINDS_QUESTIONS,
    )
    cloud_storage = trial(
        "家庭云存储服务试用", "service", "closed", ["household", "mobile"],
        "家庭照片和视频自动备份到**天翼云盘**，全家共享 1 TB 空间。",
        capacity=25, enrollment_opens_on=today - timedelta(days=120),
        enrollment_closes_on=today - timedelta(days=100), starts_on=today - timedelta(days=95),
        ends_on=today - timedelta(days=5),
        questions=[
            dict(kind="rating", prompt="备份速度是否令您满意？"),
            dict(kind="yesno", prompt="试用结束后您愿意付费继续使用吗？"),
            dict(kind="text", prompt="您最希望改进的地方", required=False),
        ],
    )
    db.flush()  # question ids, for the evaluations' answers and snapshots

    def enroll(t: Trial, key: str, status: str, days_ago: int) -> None:
        decided = status in ("accepted", "declined")
        db.add(Enrollment(
            trial_id=t.id, member_id=users[key].id, status=status,
            motivation="我经常出差，很想体验新服务。" if status != "withdrawn" else "",
            created_at=_at(today - timedelta(days=days_ago)),
            decided_at=_at(today - timedelta(days=days_ago - 1)) if decided else None,
            decided_by_id=product.id if decided else None,
        ))

    enroll(plan, "mobile", "applied", 3)
    enroll(plan, "household", "applied", 2)
    enroll(plan, "mobile2", "declined", 4)
    enroll(cloud_pc, "enterprise", "accepted", 2)
    for key, days_ago in (("mobile", 35), ("enterprise", 33), ("sme", 30), ("household2", 28)):
        enroll(roaming, key, "accepted", days_ago)
    enroll(roaming, "mobile2", "withdrawn", 32)
    enroll(cloud_storage, "household", "accepted", 110)
    enroll(cloud_storage, "mobile", "accepted", 108)

    def evaluate(t: Trial, key: str, versions: list[list], submit: bool = True,
                 days_ago: int = 5, triage: str = "new") -> None:
        questions = t.questions
        evaluation = Evaluation(trial_id=t.id, member_id=users[key].id, status="draft", version=0,
                                triage_status=triage, created_at=_at(today - timedelta(days=days_ago)))
        evaluation.answers = []
        db.add(evaluation)
        for n, values in enumerate(versions, start=1):
            clean = {q.id: v for q, v in zip(questions, values)}
            _store_answers(evaluation, questions, clean)
            if submit:
                when = _at(today - timedelta(days=days_ago - n + 1), 20)
                evaluation.status, evaluation.version, evaluation.submitted_at = "submitted", n, when
                evaluation.updated_at = when
                evaluation.versions.append(EvaluationVersion(
                    version=n, submitted_at=when, answers=snapshot(questions, clean),
                ))

    evaluate(roaming, "mobile", [
        [4, 8, "亚洲", ["一键开通", "流量提醒"], "yes", "开通很快，但流量提醒短信来得有点晚。"],
        [5, 9, "亚洲", ["一键开通", "流量提醒", "费用封顶"], "yes", "第二次出境体验更好，费用封顶很实用。"],
    ], days_ago=8, triage="in_review")
    evaluate(roaming, "enterprise", [
        [2, 5, "欧洲", ["一键开通", "在线客服"], "no", "在德国落地后两个小时都无法上网，客服排队太久。"],
    ], days_ago=4)
    evaluate(roaming, "sme", [[4, None, "北美", ["一键开通"], None, None]], submit=False, days_ago=1)
    evaluate(cloud_storage, "household", [[5, "yes", "希望支持按文件夹共享。"]], days_ago=20,
             triage="linked")
    evaluate(cloud_storage, "mobile", [[3, "no", "夜间备份太慢。"]], days_ago=18, triage="no_action")

    # --- an invitation nobody has used yet ---------------------------------------------------
    db.add(Invitation(
        token_hash=hash_token(secrets.token_urlsafe(32)), segment="sme",
        email="new.member@example.com", created_by_id=admin.id,
        expires_at=utcnow() + timedelta(days=14),
    ))

    # --- consultations: open, closed and a draft ---------------------------------------------
    def consultation(title, subject, status, opens, closes, body, by) -> Consultation:
        c = Consultation(title=title, subject=subject, status=status, opens_on=opens,
                         closes_on=closes, body=body, created_by=by)
        db.add(c)
        return c

    queue = consultation(
        "营业厅排队等候时间服务标准（征求意见稿）", "service_standard", "published",
        today - timedelta(days=5), today + timedelta(days=20),
        "拟规定：\n\n1. 营业厅**平均等候时间不超过 10 分钟**；\n2. 高峰时段开放全部窗口；\n"
        "3. 等候超过 20 分钟的客户可获得积分补偿。\n\n欢迎您提出意见。",
        office,
    )
    reminder = consultation(
        "流量超额提醒规则调整", "product_policy", "published",
        today - timedelta(days=2), today + timedelta(days=12),
        "流量使用达到套餐的 **80%、100%** 时发送短信提醒，并新增手机客户端推送。", product,
    )
    install = consultation(
        "家庭宽带上门装维预约时段政策", "business_policy", "published",
        today - timedelta(days=40), today - timedelta(days=10),
        "上门装维预约时段由半天缩短为**两小时**，晚间 18:00-21:00 可预约。", office,
    )
    consultation(
        "国际漫游费用封顶政策", "product_policy", "draft",
        today + timedelta(days=7), today + timedelta(days=30),
        "出境漫游每日费用封顶，超过封顶后**降速不停网**。", product,
    )
    db.flush()

    def opinion(c: Consultation, key: str, stance: str, text: str, days_ago: int,
                triage: str = "new") -> None:
        when = _at(today - timedelta(days=days_ago), 15)
        db.add(Opinion(consultation_id=c.id, member_id=users[key].id, stance=stance, text=text,
                       triage_status=triage, created_at=when, updated_at=when))

    opinion(queue, "mobile", "support_with_changes", "支持，但希望在手机客户端显示实时排队人数。", 3)
    opinion(queue, "enterprise", "support", "集团客户经理也应遵守同样的响应时限。", 2)
    opinion(queue, "household", "oppose", "积分补偿意义不大，更希望增加窗口。", 1)
    opinion(reminder, "sme", "support", "提醒及时对小企业控制成本很重要。", 1)
    opinion(install, "mobile", "oppose", "两小时的时段经常不准时，应先提高准点率。", 20, triage="linked")
    opinion(install, "household", "support", "晚间时段很方便上班族。", 25, triage="in_review")

    # --- service-gap reports across commitments, channels, districts and severities ---------
    def report(key, title, commitment, channel, district, place, severity, days_ago, description,
               status="new") -> ServiceGapReport:
        when = _at(today - timedelta(days=days_ago), 18)
        r = ServiceGapReport(
            member_id=users[key].id, title=title, commitment=commitment, channel=channel,
            district=district, place=place, severity=severity, status=status,
            occurred_at=when - timedelta(hours=3), description=description,
            created_at=when, updated_at=when,
        )
        db.add(r)
        return r

    queue_report = report(
        "household", "莘庄营业厅排队超过 40 分钟", "counter_service", "store", "minhang",
        "莘庄营业厅", 2, 2, "周六上午只开了两个窗口，取号后等了 40 多分钟才办理业务。",
    )
    data, width, height = _photo_png()
    queue_report.photos = [GapPhoto(content_type="image/png", filename="排队.png", size=len(data),
                                    width=width, height=height, data=data)]
    report("mobile", "徐家汇地铁站内 5G 信号频繁中断", "network_quality", "other", "xuhui",
           "地铁 9 号线徐家汇站站台", 3, 6, "站台上 5G 信号时有时无，视频通话多次掉线。",
           status="in_review")
    report("mobile", "流量提醒短信滞后一天", "billing_reminders", "sms_bill", "xuhui", "",
           2, 12, "流量超出套餐后第二天才收到提醒短信，已产生额外费用。", status="linked")
    report("enterprise", "日本漫游开通后无法上网", "roaming", "hotline", "pudong",
           "东京羽田机场", 4, 3, "已开通国际漫游，落地后无法上网，拨打热线等待 30 分钟无人接听。")
    report("sme", "网上营业厅发票下载页面报错", "e_channels", "website", "jingan", "",
           1, 9, "下载电子发票时页面提示系统繁忙，重试多次仍失败。", status="duplicate")
    report("household", "未订购的增值业务被扣费", "value_added_services", "mobile_app", "minhang",
           "", 3, 15, "账单中出现每月 10 元的视频会员费，本人从未订购。", status="no_action")
    report("mobile2", "上门装维人员迟到两小时", "counter_service", "field_technician", "yangpu",
           "五角场某小区", 2, 7, "预约上午 9-11 点安装宽带，技术人员 13 点才到。")
