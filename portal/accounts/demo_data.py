"""Demo data of profiles, the privacy notice and an erased account (called by portal.demo)."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal import permissions
from portal.accounts.consent import ConsentRecord, PrivacyNotice
from portal.accounts.models import User
from portal.accounts.profiles import MemberProfile
from portal.db import db, utcnow

NOTICE_ZH = """## 隐私声明

我们收集您的姓名、联系方式、所在区县、客户类别以及您自愿填写的使用情况，用于邀请您参加试用项目、
处理您的评估反馈、意见建议和服务短板反馈。

- 您可以随时在“我的资料”中下载您的全部数据；
- 您可以注销账户：您的个人信息将被删除，您的反馈将以匿名方式保留用于统计。
"""
NOTICE_EN = """## Privacy notice

We collect your name, contact details, district, segment and what you choose to tell us about the
services you use, to invite you to trials and to handle your evaluations, opinions and
service-gap reports.

- You can download all your data at any time from "My profile";
- You can delete your account: your personal data is erased, your submissions stay, anonymised,
  for statistics.
"""

# email -> (profile attributes, days since it was completed); a member left out has none.
PROFILES = {
    "enterprise@example.com": (dict(industry="logistics", company_size="large",
                                    services_used=["dedicated_line", "cloud", "iot"],
                                    years_with_operator=12), 30),
    "mobile@example.com": (dict(plan_type="postpaid", handset_brand="Huawei", handset_model="Mate 60",
                                handset_os="harmonyos", network_generation="5g",
                                years_with_operator=8), 400),   # a year old: the home asks again
    "household@example.com": (dict(broadband_package="fibre_500", broadband_speed_mbps=500, iptv=True,
                                   household_size=3, years_with_operator=5), 60),
    "household2@example.com": (dict(broadband_package="fibre_100", broadband_speed_mbps=100,
                                    iptv=False, household_size=2), 10),
}


def seed_demo() -> None:
    """Version 1 of the notice, agreed to by every demo member (publishing a new one at
    /admin/privacy shows the gate), profiles in every state (complete, a year old, never filled
    in), and a member who erased their account."""
    now = utcnow()
    notice = PrivacyNotice(version="2025-1", published_at=now - timedelta(days=420),
                           text_zh=NOTICE_ZH, text_en=NOTICE_EN)
    db.add(notice)
    db.flush()
    members = db.scalars(select(User).where(User.role.in_(permissions.holders("panel.take_part"))))
    for member in members:
        db.add(ConsentRecord(user_id=member.id, notice_id=notice.id,
                             accepted_at=max(member.created_at, notice.published_at)))
        if member.email in PROFILES:
            values, days = PROFILES[member.email]
            # A profile a year old belongs to a member who joined before it.
            member.created_at = min(member.created_at, now - timedelta(days=days + 30))
            db.add(MemberProfile(member_id=member.id, completed_at=now - timedelta(days=days),
                                 updated_at=now - timedelta(days=days),
                                 **{"services_used": [], **values}))
    # An erased account, as portal.accounts.rights leaves it.
    db.add(User(email=f"deleted-demo-{secrets.token_hex(6)}@deleted.invalid", name="-",
                role=permissions.MEMBER, status="deleted", segment="mobile", district="putuo",
                password_hash=generate_password_hash(secrets.token_urlsafe(32)),
                created_at=now - timedelta(days=500)))
