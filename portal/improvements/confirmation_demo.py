"""Demo data of "Is it fixed for you?" (called by portal.demo.seed, in its unit of work, after
the items): every state of a member's answer.

- the household member said "yes" (rating 5) about the Xinzhuang store item before it was verified;
- the enterprise member said "not yet" (rating 2) about a done e-invoice item: open, so the inbox
  flags the report, the item page lists it and verifying it needs an override;
- the mobile member's SMS-reminder item is done and unanswered: the question waits on their home;
- a verified e-channel item was verified over a "not yet", with the audited reason.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.audit import services as audit
from portal.db import db, utcnow
from portal.improvements.confirmations import ANSWER_FIELDS, FixConfirmation
from portal.improvements.models import ImprovementItem
from portal.triage.models import Submission

NOT_YET_TITLE = "电子发票下载页面增加排队提示"
OVERRIDE_TITLE = "网上营业厅发票页面错误提示改为中文"


def _answer(item: ImprovementItem, submission: Submission, fixed: bool, rating: int, comment: str,
            at) -> FixConfirmation:
    row = FixConfirmation(item_id=item.id, submission_id=submission.id,
                          member_id=submission.member_id, fixed=fixed, rating=rating,
                          comment=comment, created_at=at, answered_at=at)
    db.add(row)
    db.flush()
    entry = audit.record(submission.member, "fix.answer", "fix_confirmation", row.id, None,
                         {"item": item.id, "submission": submission.id,
                          **audit.snapshot(row, ANSWER_FIELDS)})
    entry.created_at = at
    return row


def _done_item(title: str, template: ImprovementItem, status: str, closed_days: int,
               note: str) -> ImprovementItem:
    now = utcnow()
    item = ImprovementItem(
        title=title, description=note, commitment=template.commitment,
        department_id=template.department_id, priority="normal", status=status,
        dmaic_phase="control", resolution_note=note, created_by_id=template.created_by_id,
        created_at=now - timedelta(days=closed_days + 6), closed_at=now - timedelta(days=closed_days),
    )
    db.add(item)
    db.flush()
    audit.record(template.created_by, "create", "item", item.id, None,
                 {"title": title, "status": status})
    return item


def seed_demo() -> None:
    by_title = {i.title: i for i in db.scalars(select(ImprovementItem))}
    stores = by_title.get("莘庄营业厅周末高峰增开窗口")
    invoice = by_title.get("电子发票批量下载扩容")
    if stores is None or invoice is None:
        return
    # Yes, before the item was verified.
    for sub in stores.submissions:
        _answer(stores, sub, True, 5, "周末去办业务基本不用排队了，谢谢。",
                (stores.closed_at or utcnow()) + timedelta(days=2))
    report = next((s for s in invoice.submissions if s.kind == "gap_report"), None)
    if report is None:
        return
    # Not yet, on a done item: open.
    not_yet = _done_item(NOT_YET_TITLE, invoice, "done", 3,
                         "发票下载页面在繁忙时显示排队提示和预计等待时间，不再直接报错。")
    not_yet.submissions.append(report)
    db.flush()
    _answer(not_yet, report, False, 2, "月初下载还是要等十几分钟，排队提示有了但问题没解决。",
            not_yet.closed_at + timedelta(days=1))
    # Verified over a "not yet", with the reason on record.
    overridden = _done_item(OVERRIDE_TITLE, invoice, "verified", 6,
                            "发票页面的错误提示已全部改为中文，并给出处理建议。")
    overridden.submissions.append(report)
    db.flush()
    _answer(overridden, report, False, 3, "提示看得懂了，但下载本身还是慢。",
            overridden.closed_at + timedelta(days=1))
    audit.record(invoice.created_by, "verify_override", "item", overridden.id, None,
                 {"open_not_yet": 1, "reason": "中文提示已上线并抽检通过；下载速度问题由"
                  "“电子发票批量下载扩容”事项继续跟进。"})
