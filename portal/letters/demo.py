"""Demo data of the responsibility letters (called by portal.demo.seed, in its unit of work, after
the units exist): this year's letter for every unit, most signed off and two still drafts; targets
set around each unit's own figures so the scoreboard shows green, amber and red (and "no data"
where a unit has none); survey figures typed in per quarter, complaints per month; key tasks done,
open and overdue; a service star; classic cases from closed items."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal import domain as portal_domain
from portal.accounts.models import User
from portal.db import db
from portal.improvements.models import ImprovementItem
from portal.letters import services
from portal.letters.domain import Period
from portal.letters.measures import MEASURES

# Per unit (by its position), where its targets sit against its own figure: reached, near, missed.
_OFFSETS = {"green": -1.0, "amber": 0.5, "red": 3.0}
_PATTERN = ("green", "amber", "red", "green", "red", "amber")
_DRAFTS = 2  # the last units' letters stay drafts


def _target(measure, value: float | None, state: str) -> float:
    """A round target that puts `value` in `state` (a measure without data gets a usual one)."""
    usual = {"percent": 90.0, "score": 4.0, "nps": 30.0, "number": 85.0}[measure.format]
    if value is None:
        return usual if measure.higher_is_better else 1.0
    step = measure.margin * _OFFSETS[state]
    target = value + step if measure.higher_is_better else value - step
    if measure.format == "percent":
        target = min(max(target, 0.0), 100.0)
    return round(target, 2 if measure.format == "score" else 1)


def _entries(office: User, units, today: date) -> None:
    for i, unit in enumerate(units):
        for quarter in range(1, (today.month - 1) // 3 + 2):
            services.set_entry(office, unit.id, "survey_satisfaction", f"{today.year}-Q{quarter}",
                               80 + (i * 3 + quarter * 2) % 15)
        for month in range(1, today.month + 1):
            if i % 3 == 0:
                services.set_entry(office, unit.id, "complaints_per_10k", f"{today.year}-{month:02d}",
                                   round(1.5 + ((i + month) % 5) * 0.4, 1))


def _letter(office: User, unit, letter, i: int, today: date, sign: bool) -> None:
    year = Period(today.year)
    applicable = [m for m in MEASURES.values() if m.applies_to(unit)]
    for j, measure in enumerate(applicable[:4] + [MEASURES["survey_satisfaction"]]):
        if measure.code in {t.measure for t in letter.targets}:
            continue
        state = _PATTERN[(i + j) % len(_PATTERN)]
        services.set_target(office, letter, letter.version, measure.code,
                            _target(measure, measure.value(unit, year, today), state))
    start = date(today.year, 1, 1)
    services.add_task(office, letter, letter.version, "完成窗口服务规范培训",
                      min(start + timedelta(days=60), date(today.year, 12, 31)))
    services.add_task(office, letter, letter.version, "开展服务现场体验活动",
                      max(today - timedelta(days=5 + i % 7), start) if i % 2 else
                      min(today + timedelta(days=40), date(today.year, 12, 31)))
    first = letter.tasks[0]
    if i % 4 != 3:
        services.set_task_done(office, letter, first.id, True, today=first.due_on)
    if sign:
        head = unit.a_contact.name if unit.a_contact else "负责人"
        services.sign_off(office, letter, letter.version, head)


def seed_demo(today: date | None = None) -> None:
    today = today or portal_domain.shanghai_today()
    office = db.scalar(select(User).where(User.email == "office@example.com"))
    if office is None:
        return
    services.prepare_letters(office, today.year)
    db.flush()
    units = services.units()
    _entries(office, units, today)
    letters = services.letters_of(today.year)
    for i, unit in enumerate(units):
        letter = letters.get(unit.id)
        if letter is not None and not letter.signed_off:
            _letter(office, unit, letter, i, today, sign=i < len(units) - _DRAFTS)
    closed = list(db.scalars(select(ImprovementItem)
                             .where(ImprovementItem.status.in_(portal_domain.ITEM_OUTCOME_STATUSES),
                                    ImprovementItem.closed_at.is_not(None))
                             .order_by(ImprovementItem.id).limit(3)))
    lessons = ("先核实客户的实际使用场景，再给出整改方案；整改后主动回访，确认客户感知到了改变。",
               "跨部门问题由A角牵头、B角跟进，每周通报进度，避免“两不管”。",
               "把客户的原话写进培训材料：一线人员最容易理解客户为什么不满意。")
    for item, lesson in zip(closed, lessons, strict=False):
        services.mark_case(office, "item", item.id, lesson)
    star = db.scalar(select(User).where(User.email == "a.contact@example.com"))
    if star is not None:
        services.nominate_star(
            office, star.id, today.year,
            "作为网络运维部、计费中心和国际业务部的A角，牵头关闭了多项客户反映的服务短板，"
            "整改均在期限内完成，客户确认问题已解决。",
            ", ".join(str(item.id) for item in closed[:2]))
