"""Demo data of the internal supervision hotline (called by portal.demo.seed, in its unit of
work, after the departments): the operator's 12 departments and 13 district branches, each with
an A and a B contact who belong to it, the routing table, and support requests in every state
(new and routed by the table, then escalated; new without a rule; accepted; answered; sent back,
answered again and confirmed with a rating; confirmed and closed by the office).

The article names the counts (12 departments, 13 district branches), not the units: the
department names below are ours (the five the portal already had, plus seven); the branches are
13 of Shanghai's 16 districts (Jinshan, Fengxian and Chongming are served from neighbouring
branches in this demo). Names are stored in Chinese; a branch is shown from its district in the
viewer's language (portal.supervision.units.unit_label).
"""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db
from portal.improvements.models import Unit
from portal.permissions import BRANCH, OFFICE

# (name, A contact key, B contact key); the keys are the demo emails' local parts. The first
# five exist already (portal.demo.DEPARTMENTS); their contacts' home unit is set here.
DEPARTMENTS = [
    ("网络运维部", "a.contact", "b.contact"),
    ("计费中心", "a.contact", "b.contact"),
    ("国际业务部", "a.contact", "b.contact"),
    ("营业厅管理部", "a.stores", "b.stores"),
    ("电子渠道中心", "a.stores", "b.stores"),
    ("增值业务部", "a.vas", "b.vas"),
    ("信息化部", "a.it", "b.it"),
    ("物流中心", "a.logistics", "b.logistics"),
    ("客户服务部", "a.care", "b.care"),
    ("市场部", "a.marketing", "b.marketing"),
    ("集团客户部", "a.enterprise", "b.enterprise"),
    ("家庭客户部", "a.household", "b.household"),
]
# The home unit of the contacts who serve several departments.
HOME_UNITS = {"a.contact": "网络运维部", "b.contact": "网络运维部",
              "a.stores": "营业厅管理部", "b.stores": "营业厅管理部"}
NEW_CONTACTS = {
    "a.vas": "郑浩", "b.vas": "冯梅", "a.it": "蒋磊", "b.it": "韩冰",
    "a.logistics": "杨帆", "b.logistics": "朱琳", "a.care": "秦月", "b.care": "许亮",
    "a.marketing": "沈洁", "b.marketing": "吕斌", "a.enterprise": "曹刚", "b.enterprise": "彭燕",
    "a.household": "潘宁", "b.household": "袁芳",
}
BRANCH_DISTRICTS = [
    ("huangpu", "黄浦"), ("xuhui", "徐汇"), ("changning", "长宁"), ("jingan", "静安"),
    ("putuo", "普陀"), ("hongkou", "虹口"), ("yangpu", "杨浦"), ("minhang", "闵行"),
    ("baoshan", "宝山"), ("jiading", "嘉定"), ("pudong", "浦东新区"), ("songjiang", "松江"),
    ("qingpu", "青浦"),
]
# Given names of the branches' A and B contacts, by district (family name, given name).
_BRANCH_NAMES = ["周", "吴", "郑", "王", "冯", "陈", "褚", "卫", "蒋", "沈", "韩", "杨", "朱"]


def contact_emails() -> set[str]:
    """The demo logins of the units' contacts this module adds (tests/test_demo.py)."""
    return ({f"{key}@example.com" for key in NEW_CONTACTS}
            | {f"{ab}.{district}@example.com" for district, _ in BRANCH_DISTRICTS for ab in "ab"})


def _user(email: str, name: str, role: str, password_hash: str, unit: Unit) -> User:
    user = User(email=email, name=name, role=role, password_hash=password_hash, unit_id=unit.id)
    db.add(user)
    return user


def seed_units(password: str, admin: User | None) -> dict[str, Unit]:
    """The 12 departments and 13 district branches with their contacts; returns the units by
    name (departments) and district code (branches)."""
    password_hash = generate_password_hash(password)
    existing = {u.name: u for u in db.scalars(select(Unit))}
    users = {u.email.split("@")[0]: u for u in db.scalars(select(User).where(
        User.email.like("%@example.com")))}
    units: dict[str, Unit] = {}
    for name, a, b in DEPARTMENTS:
        unit = existing.get(name)
        if unit is None:
            unit = Unit(name=name, kind="department")
            db.add(unit)
            db.flush()
            for key in (a, b):
                if key not in users:
                    users[key] = _user(f"{key}@example.com", NEW_CONTACTS[key], OFFICE,
                                       password_hash, unit)
            unit.a_contact, unit.b_contact = users[a], users[b]
            db.flush()
            audit.record(admin, "create", "department", unit.id, None,
                         {"name": name, "a_contact_id": users[a].id, "b_contact_id": users[b].id})
        units[name] = unit
    for key, home in HOME_UNITS.items():
        if key in users:
            users[key].unit_id = units[home].id
    for n, (district, zh) in enumerate(BRANCH_DISTRICTS):
        unit = Unit(name=f"{zh}分公司", kind="district_branch", district=district)
        db.add(unit)
        db.flush()
        family = _BRANCH_NAMES[n]
        a = _user(f"a.{district}@example.com", f"{family}建国", BRANCH, password_hash, unit)
        b = _user(f"b.{district}@example.com", f"{family}晓红", BRANCH, password_hash, unit)
        db.flush()
        unit.a_contact, unit.b_contact = a, b
        audit.record(admin, "create", "department", unit.id, None,
                     {"name": unit.name, "a_contact_id": a.id, "b_contact_id": b.id})
        units[district] = unit
    db.flush()
    return units


# The routing table: each category with a commitment goes to its department; IT and logistics too.
ROUTES = [("network", "网络运维部"), ("billing", "计费中心"), ("roaming", "国际业务部"),
          ("e_channels", "电子渠道中心"), ("value_added_services", "增值业务部"),
          ("counter_service", "营业厅管理部"), ("it_systems", "信息化部"), ("logistics", "物流中心")]


def _requests(units: dict[str, Unit], office: User | None) -> None:
    """Requests in every state, filed over the last weeks (the services do each step)."""
    from datetime import timedelta

    from portal.db import utcnow
    from portal.supervision import services

    now = utcnow()

    def filed(district, days_ago, title, category, urgency="normal", department=None):
        branch = units[district]
        return services.file_request(branch.a_contact, services.Filing(
            title=title, description="", category=category, urgency=urgency,
            department_id=units[department].id if department else None,
            case_text="客户多次来电投诉"), now=now - timedelta(days=days_ago))

    def step(fn, request, actor, days_ago, *args):
        fn(actor, request, request.version, *args, now=now - timedelta(days=days_ago))

    filed("xuhui", 1, "徐家汇商圈5G信号弱，需网络部现场测试", "network", "urgent")  # new, by the table
    filed("pudong", 0, "企业客户专线开通进度无人答复", "other")                        # new, not routed
    accepted = filed("minhang", 6, "莘庄营业厅排队系统故障，需信息化部支持", "it_systems", "urgent")
    step(services.accept, accepted, units["信息化部"].a_contact, 6)
    answered = filed("jingan", 9, "客户对漫游扣费有异议，需国际业务部核实", "roaming")
    step(services.accept, answered, units["国际业务部"].a_contact, 9)
    step(services.answer, answered, units["国际业务部"].a_contact, 8, "已核实：按日套餐计费，已向客户解释。")
    sent_back = filed("yangpu", 15, "增值业务退订后仍扣费", "value_added_services")
    department = units["增值业务部"].a_contact
    step(services.accept, sent_back, department, 14)
    step(services.answer, sent_back, department, 13, "已退订。")
    step(services.send_back, sent_back, units["yangpu"].a_contact, 12, "客户本月账单仍有扣费，请核实退费。")
    step(services.answer, sent_back, department, 11, "已退还两个月费用并短信告知客户。")
    step(services.confirm, sent_back, units["yangpu"].a_contact, 10, 4)
    closed = filed("baoshan", 25, "账单提醒短信延迟，需计费中心排查", "billing", department="计费中心")
    step(services.accept, closed, units["计费中心"].a_contact, 23)
    step(services.answer, closed, units["计费中心"].a_contact, 22, "短信网关已扩容。")
    step(services.confirm, closed, units["baoshan"].a_contact, 21, 5)
    if office is not None:
        step(services.close, closed, office, 20)
    services.escalate_untouched(now + timedelta(days=5))  # the untouched one reaches B and the office


def seed_demo(password: str) -> None:
    from portal.supervision.models import RoutingRule

    admin = db.scalar(select(User).where(User.email == "admin@example.com"))
    office = db.scalar(select(User).where(User.email == "office@example.com"))
    units = seed_units(password, admin)
    for category, department in ROUTES:
        db.add(RoutingRule(category=category, department_id=units[department].id))
    db.flush()
    _requests(units, office)
    if office is not None:
        _bulletins(units, office)


def _bulletins(units: dict[str, Unit], office: User) -> None:
    """A published bulletin (last month's: a request filed 40 days ago, analysed) and this
    month's draft (one case, its analysis half written)."""
    from datetime import timedelta

    from portal.db import utcnow
    from portal.domain import SHANGHAI
    from portal.supervision import bulletin, services
    from portal.supervision.models import SupportRequest

    now = utcnow()
    old = services.file_request(units["songjiang"].a_contact, services.Filing(
        title="松江客户宽带迁移工单超时无人接单", description="", category="network",
        urgency="normal", case_text="客户搬家后一周仍未开通"), now=now - timedelta(days=40))
    handler = units["网络运维部"].b_contact
    services.escalate_untouched(now - timedelta(days=36))
    services.accept(handler, old, old.version, now=now - timedelta(days=35))
    services.answer(handler, old, old.version, "已派单并上门开通。", now=now - timedelta(days=34))
    services.confirm(units["songjiang"].a_contact, old, old.version, 2, now=now - timedelta(days=33))

    def month_of(request):
        return request.filed_at.astimezone(SHANGHAI).date().replace(day=1)

    case = bulletin.pick(office, month_of(old), old.id)
    bulletin.analyse(office, month_of(old), case.id, case.version, {
        "analysis": "工单在网络运维部停留四个工作日无人接单，客户一周未能上网。",
        "root_cause": "A角休假期间没有代岗安排，B角未收到提醒。",
        "changes_made": "A角休假须在门户登记代岗人；超时提醒同时发给B角和部门负责人。"})
    bulletin.publish(office, month_of(old), case.bulletin.version)
    recent = db.scalar(select(SupportRequest).where(
        SupportRequest.title == "企业客户专线开通进度无人答复"))
    if recent is not None:
        case = bulletin.pick(office, month_of(recent), recent.id)
        bulletin.analyse(office, month_of(recent), case.id, case.version, {
            "analysis": "需求未注明部门，路由表中没有对应规则，等待人工分派。",
            "root_cause": "", "changes_made": ""})
