"""Demo data for `make run`: staff, members of every segment, and some of everything.

Everything is built with the models directly and committed once: a failure leaves nothing behind.
Titles and texts are in Chinese, as the panel's members would write them.

Every submitted evaluation, gap report and opinion has its row in the triage inbox (through the
same `record_*` functions the member pages call), some triaged; departments with real A and B
contacts own improvement items in every status, linked to submissions, with audit entries for
their timelines; the members whose submissions an item closed have their notification and email.
"""
from __future__ import annotations

import io
import secrets
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal import domain
from portal.accounts.models import Invitation, User
from portal.accounts.services import hash_token
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.improvements.models import Department, ImprovementItem
from portal.improvements.services import ITEM_FIELDS
from portal.notifications import services as notices
from portal.notifications.models import Notification
from portal.opinions.models import Consultation, Opinion
from portal.permissions import ADMIN, MEMBER, OFFICE, PRODUCT
from portal.triage import services as triage
from portal.triage.models import InternalNote, Submission
from portal.trials.evaluation_services import _store_answers, snapshot
from portal.trials.models import Enrollment, Evaluation, EvaluationVersion, Question, Trial, TrialSegment

DEMO_PASSWORD = "demo-pass-2026"

# (email, name, role, segment, district, organization) - the README lists the same logins.
STAFF = [
    ("admin@example.com", "王敏", ADMIN),
    ("product@example.com", "李强", PRODUCT),
    ("office@example.com", "陈静", OFFICE),
    # the A and B contacts of the departments (service-office role)
    ("a.contact@example.com", "黄涛", OFFICE),
    ("b.contact@example.com", "马丽", OFFICE),
    ("a.stores@example.com", "何军", OFFICE),
    ("b.stores@example.com", "林雪", OFFICE),
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
    dict(kind="multiple", prompt="您用过哪些功能？",
         options=["一键开通", "流量提醒", "费用封顶", "在线客服"]),
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


def _seed_index(today: date) -> None:
    """Three quarters of survey figures, improving, so the index page has a trend to show."""
    from portal.index.models import IndexFigure, IndexPeriod

    areas = list(domain.COMMITMENTS)
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarters = []
    for back in (3, 2, 1):
        q, y = quarter - back, year
        while q < 1:
            q, y = q + 4, y - 1
        quarters.append((y, q))
    for step, (y, q) in enumerate(quarters):
        starts = date(y, 3 * q - 2, 1)
        ends = date(y + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
        period = IndexPeriod(label=f"{y}-Q{q}", kind="quarter", starts_on=starts, ends_on=ends)
        period.figures = [
            IndexFigure(component="satisfaction", commitment=area,
                        own_value=round(76 + 2.5 * step + 1.5 * (n % 3), 1))
            for n, area in enumerate(areas)
        ] + [
            IndexFigure(component="satisfaction_benchmark", own_value=80 + 2 * step,
                        competitor_value=82 - step),
            IndexFigure(component="word_of_mouth", own_value=18 + 6 * step,
                        competitor_value=24),
        ]
        db.add(period)


def seed() -> None:
    """Load the demo data in one transaction."""
    with unit_of_work():
        _seed()
        _seed_index(domain.shanghai_today())
        from portal.trials.logistics import seed_demo as seed_logistics

        seed_logistics(domain.shanghai_today())  # terminal / SIM shipments in every state
        from portal.improvements.confirmation_demo import seed_demo as seed_fix_answers

        seed_fix_answers()  # members' answers to "Is it fixed for you?" in every state
        from portal.panel.demo import seed_demo as seed_panel

        seed_panel(DEMO_PASSWORD)  # panel health: points, ledger, lapsing members
        from portal.trials.sampling import seed_demo as seed_samples

        seed_samples(domain.shanghai_today())  # targeting, quotas, invitations from a sample
        from portal.accounts.demo_data import seed_demo as seed_privacy

        seed_privacy()  # privacy notice and consents, member profiles, an erased account
        from portal.trials.questionnaire import seed_demo as seed_questionnaires

        seed_questionnaires(domain.shanghai_today())  # show-if rules, library, bilingual text
        from portal.similarity import seed_demo as seed_similar

        seed_similar()  # "This is my problem too", reports for "Likely duplicates"
        from portal.supervision.demo import seed_demo as seed_supervision

        seed_supervision(DEMO_PASSWORD)  # units (12 departments, 13 district branches), hotline
        from portal.letters.demo import seed_demo as seed_letters

        seed_letters(domain.shanghai_today())  # responsibility letters, scoreboard, stars, cases
        from portal.themes.demo import seed_demo as seed_themes

        # Last: it counts the themes of every demo text there is (after every seed that adds some).
        seed_themes()  # "What members are saying"


def _seed() -> None:
    today = domain.shanghai_today()
    password_hash = generate_password_hash(DEMO_PASSWORD)

    users: dict[str, User] = {}
    for email, name, role in STAFF:
        users[email.split("@")[0]] = User(email=email, name=name, role=role, password_hash=password_hash)
    for n, (email, name, segment, district, organization) in enumerate(MEMBERS):
        key = email.split("@")[0]
        users[key] = User(
            email=email, name=name, role=MEMBER, password_hash=password_hash, segment=segment,
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

    trial(
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
                 days_ago: int = 5) -> Evaluation:
        questions = t.questions
        evaluation = Evaluation(trial_id=t.id, member_id=users[key].id, status="draft", version=0,
                                created_at=_at(today - timedelta(days=days_ago)))
        evaluation.answers = []
        db.add(evaluation)
        for n, values in enumerate(versions, start=1):
            clean = {q.id: v for q, v in zip(questions, values, strict=False)}
            _store_answers(evaluation, questions, clean)
            if submit:
                when = _at(today - timedelta(days=days_ago - n + 1), 20)
                evaluation.status, evaluation.version, evaluation.submitted_at = "submitted", n, when
                evaluation.updated_at = when
                frozen = snapshot(questions, clean)
                evaluation.versions.append(EvaluationVersion(
                    version=n, submitted_at=when, answers=frozen,
                ))
        if submit:  # its row in the inbox, as submit_evaluation writes it
            inbox[("evaluation", t.id, key)] = triage.record_evaluation(evaluation, frozen)
        return evaluation

    inbox: dict[tuple, Submission] = {}
    evaluate(roaming, "mobile", [
        [4, 8, "亚洲", ["一键开通", "流量提醒"], "yes", "开通很快，但流量提醒短信来得有点晚。"],
        [5, 9, "亚洲", ["一键开通", "流量提醒", "费用封顶"], "yes", "第二次出境体验更好，费用封顶很实用。"],
    ], days_ago=8)
    evaluate(roaming, "enterprise", [
        [2, 5, "欧洲", ["一键开通", "在线客服"], "no", "在德国落地后两个小时都无法上网，客服排队太久。"],
    ], days_ago=4)
    evaluate(roaming, "sme", [[4, None, "北美", ["一键开通"], None, None]], submit=False, days_ago=1)
    evaluate(roaming, "household2", [
        [1, 3, "欧洲", ["一键开通", "费用封顶"], "no", "在法国开通后一直显示无服务，费用封顶也没有生效。"],
    ], days_ago=2)
    evaluate(cloud_storage, "household", [[5, "yes", "希望支持按文件夹共享。"]], days_ago=20)
    evaluate(cloud_storage, "mobile", [[2, "no", "夜间备份太慢。"]], days_ago=18)

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

    def opinion(c: Consultation, key: str, stance: str, text: str, days_ago: int) -> None:
        when = _at(today - timedelta(days=days_ago), 15)
        o = Opinion(consultation_id=c.id, member_id=users[key].id, stance=stance, text=text,
                    created_at=when, updated_at=when)
        db.add(o)
        inbox[("opinion", c.id, key)] = triage.record_opinion(o)

    opinion(queue, "mobile", "support_with_changes", "支持，但希望在手机客户端显示实时排队人数。", 3)
    opinion(queue, "enterprise", "support", "集团客户经理也应遵守同样的响应时限。", 2)
    opinion(queue, "household", "oppose", "积分补偿意义不大，更希望增加窗口。", 1)
    opinion(reminder, "sme", "support", "提醒及时对小企业控制成本很重要。", 1)
    opinion(install, "mobile", "oppose", "两小时的时段经常不准时，应先提高准点率。", 20)
    opinion(install, "household", "support", "晚间时段很方便上班族。", 25)

    # --- service-gap reports across commitments, channels, districts and severities ---------
    def report(ref, key, title, commitment, channel, district, place, severity, days_ago,
               description) -> ServiceGapReport:
        when = _at(today - timedelta(days=days_ago), 18)
        r = ServiceGapReport(
            member_id=users[key].id, title=title, commitment=commitment, channel=channel,
            district=district, place=place, severity=severity, status="new",
            occurred_at=when - timedelta(hours=3), description=description,
            created_at=when, updated_at=when,
        )
        db.add(r)
        inbox[("gap_report", ref)] = triage.record_gap_report(r)
        return r

    queue_report = report(
        "queue", "household", "莘庄营业厅排队超过 40 分钟", "counter_service", "store", "minhang",
        "莘庄营业厅", 2, 26, "周六上午只开了两个窗口，取号后等了 40 多分钟才办理业务。",
    )
    data, width, height = _photo_png()
    queue_report.photos = [GapPhoto(content_type="image/png", filename="排队.png", size=len(data),
                                    width=width, height=height, data=data)]
    report("5g", "mobile", "徐家汇地铁站内 5G 信号频繁中断", "network_quality", "other", "xuhui",
           "地铁 9 号线徐家汇站站台", 3, 6, "站台上 5G 信号时有时无，视频通话多次掉线。")
    report("sms", "mobile", "流量提醒短信滞后一天", "billing_reminders", "sms_bill", "xuhui", "",
           2, 12, "流量超出套餐后第二天才收到提醒短信，已产生额外费用。")
    report("japan", "enterprise", "日本漫游开通后无法上网", "roaming", "hotline", "pudong",
           "东京羽田机场", 4, 3, "已开通国际漫游，落地后无法上网，拨打热线等待 30 分钟无人接听。")
    report("invoice", "enterprise", "网上营业厅无法下载电子发票", "e_channels", "website", "pudong", "",
           2, 11, "月初集中下载电子发票时页面一直转圈，二十多张发票只下载成功了三张。")
    report("invoice_again", "sme", "网上营业厅发票下载页面报错", "e_channels", "website", "jingan", "",
           1, 9, "下载电子发票时页面提示系统繁忙，重试多次仍失败。")
    report("charge", "household", "未订购的增值业务被扣费", "value_added_services", "mobile_app",
           "minhang", "", 3, 15, "账单中出现每月 10 元的视频会员费，本人从未订购。")
    report("late", "mobile2", "上门装维人员迟到两小时", "counter_service", "field_technician", "yangpu",
           "五角场某小区", 2, 7, "预约上午 9-11 点安装宽带，技术人员 13 点才到。")

    _triage_and_improve(users, inbox, today, trials={"roaming": roaming, "storage": cloud_storage},
                        consultations={"queue": queue, "reminder": reminder, "install": install})


# (name, A contact, B contact): keys of STAFF users (the part of the email before the @).
DEPARTMENTS = [
    ("网络运维部", "a.contact", "b.contact"),
    ("计费中心", "a.contact", "b.contact"),
    ("国际业务部", "a.contact", "b.contact"),
    ("营业厅管理部", "a.stores", "b.stores"),
    ("电子渠道中心", "a.stores", "b.stores"),
]


def _triage_and_improve(users: dict[str, User], inbox: dict[tuple, Submission], today: date, *,
                        trials: dict[str, Trial], consultations: dict[str, Consultation]) -> None:
    """Departments, triage on some submissions, improvement items in every status with their
    audit trail, and the notices closing the loop - as the staff pages would have written them."""
    db.flush()  # submission ids, for links and audit entries
    office, admin = users["office"], users["admin"]

    def when(days_ago: int, hour: int) -> datetime:
        return _at(today - timedelta(days=days_ago), hour)

    def at(entry, moment: datetime):
        entry.created_at = moment
        return entry

    def evaluation(trial: str, key: str) -> Submission:
        return inbox[("evaluation", trials[trial].id, key)]

    def opinion(consultation: str, key: str) -> Submission:
        return inbox[("opinion", consultations[consultation].id, key)]

    def gap(ref: str) -> Submission:
        return inbox[("gap_report", ref)]

    # --- departments, each with a real A and B contact ----------------------------------------
    departments: dict[str, Department] = {}
    for n, (name, a, b) in enumerate(DEPARTMENTS):
        moment = when(50 - n, 9)
        dep = Department(name=name, a_contact=users[a], b_contact=users[b], created_at=moment)
        db.add(dep)
        db.flush()
        at(audit.record(admin, "create", "department", dep.id, None,
                        {"name": name, "a_contact_id": users[a].id, "b_contact_id": users[b].id}),
           moment)
        departments[name] = dep

    # --- triage, as the inbox's forms write it -------------------------------------------------
    def triage_save(sub: Submission, moment: datetime, *, status: str | None = None,
                    assignee: User | None = None, tags=None, reason: str | None = None,
                    original: Submission | None = None) -> None:
        before = audit.snapshot(sub, triage.TRIAGE_FIELDS)
        if assignee is not None:
            sub.assignee_id = assignee.id
        if tags is not None:
            sub.tags = list(tags)
        if status and status != sub.status:
            triage.set_status(sub, status)
        if reason:
            sub.no_action_reason = reason
        if original is not None:
            sub.duplicate_of_id = original.id
        after = audit.snapshot(sub, triage.TRIAGE_FIELDS)
        at(audit.record(office, "submission.triage", "submission", sub.id, before, after), moment)

    def note(sub: Submission, text: str, moment: datetime, author: User = office) -> None:
        db.add(InternalNote(submission_id=sub.id, author_id=author.id, text=text, created_at=moment))
        at(audit.record(author, "submission.note", "submission", sub.id, None, {"note": text}),
           moment)

    linked_at: dict[tuple[int, int], datetime] = {}

    def link(sub: Submission, it: ImprovementItem, moment: datetime) -> None:
        """What triage.services.link_items writes, at a moment of the past."""
        before = {"items": sorted(i.id for i in sub.items), "status": sub.status}
        sub.items.append(it)
        if sub.status != "linked":
            triage.set_status(sub, "linked")
        after = {"items": sorted(i.id for i in sub.items), "status": sub.status}
        at(audit.record(office, "submission.link", "submission", sub.id, before, after), moment)
        linked_at[(sub.id, it.id)] = moment

    triage_save(evaluation("roaming", "mobile"), when(7, 10), status="in_review", assignee=office,
                tags=["漫游", "短信提醒"])
    triage_save(gap("5g"), when(5, 9), status="in_review", assignee=users["a.contact"],
                tags=["5G", "地铁", "室内覆盖"])
    note(gap("5g"), "已请网络运维部周四晚间到徐家汇站台测试信号，结果出来后再决定是否立项。",
         when(5, 10))
    triage_save(opinion("queue", "mobile"), when(2, 11), status="in_review",
                assignee=users["a.stores"], tags=["排队", "手机客户端"])
    note(opinion("queue", "mobile"), "可以和营业厅叫号系统改造一起考虑，先问电子渠道中心接口是否现成。",
         when(2, 14), author=users["a.stores"])
    triage_save(opinion("install", "household"), when(22, 10), status="in_review", assignee=office,
                tags=["装维", "预约时段"])
    triage_save(gap("japan"), when(2, 8), status="in_review", assignee=users["a.contact"],
                tags=["漫游", "重大"])
    triage_save(gap("invoice_again"), when(8, 10), status="duplicate", original=gap("invoice"))
    triage_save(gap("charge"), when(13, 15), status="no_action", reason=(
        "经核查为会员家人在手机客户端自助订购，已协助退订并退还两个月费用；"
        "不属于服务缺口，无需立改进项。"))
    triage_save(evaluation("storage", "mobile"), when(4, 16), status="no_action", reason=(
        "试用已结束；夜间备份速度的意见已转给产品团队，在正式版的评估中处理。"))

    # --- improvement items in every status ----------------------------------------------------
    def item(title: str, description: str, department: str, commitment: str | None,
             priority: str, created: datetime, steps=(), links=(), due_in: int | None = None,
             ) -> ImprovementItem:
        it = ImprovementItem(
            title=title, description=description, commitment=commitment,
            department=departments[department], priority=priority, status="proposed",
            dmaic_phase="define", resolution_note="", created_by=office,
            due_on=today + timedelta(days=due_in) if due_in is not None else None,
            created_at=created, updated_at=created,
        )
        db.add(it)
        db.flush()
        at(audit.record(office, "create", "item", it.id, None, audit.snapshot(it, ITEM_FIELDS)),
           created)
        for n, sub in enumerate(links):
            link(sub, it, created + timedelta(minutes=5 + n))
        for moment, changes in steps:
            if isinstance(changes, Submission):  # a submission linked later
                link(changes, it, moment)
                continue
            before = audit.snapshot(it, ITEM_FIELDS)
            for name, value in changes.items():
                setattr(it, name, value)
            if changes.get("status") == "done":
                it.closed_at = moment
            after = audit.snapshot(it, ITEM_FIELDS)
            at(audit.record(office, "update", "item", it.id, before, after), moment)
            it.updated_at = moment
        return it

    roaming = item(
        "国际漫游落地后无法上网的排查与优化",
        "会员反映在欧洲、日本落地后长时间无法上网，热线排队过久。排查漫游伙伴网络的签约数据，"
        "缩短漫游开通生效时间，并为漫游热线增设专席。",
        "国际业务部", "roaming", "urgent", when(2, 9), due_in=-1,
        links=[evaluation("roaming", "enterprise"), gap("japan")],
        steps=[(when(2, 14), {"status": "approved", "dmaic_phase": "measure"}),
               (when(1, 10), {"status": "in_progress", "dmaic_phase": "analyse"})],
    )
    item(
        "晚高峰家庭宽带降速排查（闵行区）",
        "闵行区部分小区 20:00-23:00 宽带速率明显下降，测量各 OLT 上联带宽利用率，确定扩容点。",
        "网络运维部", "network_quality", "high", when(9, 10), due_in=25,
        steps=[(when(8, 15), {"status": "approved"}),
               (when(6, 11), {"status": "in_progress", "dmaic_phase": "measure"})],
    )
    stores = item(
        "莘庄营业厅周末高峰增开窗口",
        "周六上午客流高峰只开两个窗口，等候超过 40 分钟。调整排班，高峰时段开放全部窗口并增派引导员。",
        "营业厅管理部", "counter_service", "high", when(25, 10), due_in=-10,
        links=[gap("queue")],
        steps=[(when(24, 15), {"status": "approved", "dmaic_phase": "measure"}),
               (when(21, 10), {"status": "in_progress", "dmaic_phase": "improve"}),
               (when(12, 17), {"status": "done", "resolution_note": (
                   "莘庄营业厅已调整排班：周六、周日上午开放全部 6 个窗口，并增派两名引导员；"
                   "近四周周末平均等候时间降至 12 分钟。")}),
               (when(5, 11), {"status": "verified", "dmaic_phase": "control"}),
               (when(1, 17), opinion("queue", "household"))],
    )
    sms = item(
        "流量提醒短信实时发送",
        "流量提醒短信由每日批量改为实时计算发送，避免会员在不知情时产生超额费用。",
        "计费中心", "billing_reminders", "normal", when(11, 10), due_in=5,
        links=[gap("sms")],
        steps=[(when(10, 16), {"status": "approved", "dmaic_phase": "measure"}),
               (when(8, 10), {"status": "in_progress", "dmaic_phase": "analyse"}),
               (when(4, 10), {"dmaic_phase": "improve"}),
               (when(1, 16), {"status": "done", "resolution_note": (
                   "流量提醒已改为实时计算：用量达到套餐的 80% 和 100% 时一分钟内发送短信；"
                   "因提醒滞后产生的超额费用已退还。")})],
    )
    item(
        "上门装维准时到达率提升",
        "预约两小时时段后迟到投诉增多。统计各片区准时到达率，优化派单和路线，迟到时提前短信告知。",
        "网络运维部", "counter_service", "normal", when(6, 10), due_in=40,
        links=[opinion("install", "mobile"), gap("late")],
        steps=[(when(5, 15), {"status": "approved"})],
    )
    item(
        "电子发票批量下载扩容",
        "月初集中下载电子发票时网上营业厅繁忙报错。评估发票服务扩容，并提供批量打包下载。",
        "电子渠道中心", "e_channels", "normal", when(8, 11),
        links=[gap("invoice")],
    )
    item(
        "家庭云盘按文件夹共享",
        "试用会员希望按文件夹与家人共享，而不是整个空间共享。",
        "电子渠道中心", "value_added_services", "low", when(15, 10),
        links=[evaluation("storage", "household")],
    )
    item(
        "营业厅等候超 20 分钟给予积分补偿",
        "征求意见稿第 3 条：等候超过 20 分钟的客户获得积分补偿。",
        "营业厅管理部", "counter_service", "low", when(4, 10),
        steps=[(when(1, 11), {"status": "rejected", "rejection_reason": (
            "征求意见中会员普遍认为积分补偿意义不大，改为高峰时段增开窗口"
            "（见“莘庄营业厅周末高峰增开窗口”）。")})],
    )

    # --- closing the loop: the members of closed items are told -------------------------------
    for closed in (stores, sms):
        notices.notify_item_closed(closed)
    db.flush()
    for n in db.scalars(select(Notification).where(Notification.kind == notices.KIND_CLOSED)):
        n.created_at = max(db.get(ImprovementItem, n.item_id).closed_at,
                           linked_at[(n.submission_id, n.item_id)])

    # --- the overdue item was escalated to its department's B contact --------------------------
    roaming.overdue_notified_at = utcnow()
    notices.notify_item_overdue(roaming, roaming.department.b_contact)
    audit.record(None, "escalate", "item", roaming.id, None,
                 {"overdue_notified_at": roaming.overdue_notified_at})
