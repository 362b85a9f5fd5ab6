"""Samples: staff draw eligible members of a trial at random, look at them, then invite them.

Rules:
- A sample is drawn among the active members the trial's targeting is open to
  (`targeting.eligible_members`), leaving out those accepted in another running trial, those
  invited to any trial in the last `RECENT_DAYS` days, and those already invited to or enrolled
  in this trial.
- It never holds more members of a quota than the quota's free places (places minus accepted).
- The draw is SQL: the candidates are picked through the indexes of their filters and ordered
  by the database's random() with LIMIT (a top-N sort, no list of every candidate in Python).
  Each round takes at most the members still needed; a round that skipped members because a
  quota filled up meanwhile is followed by one that leaves that quota's members out, so there
  are at most (quotas + 1) rounds.
- A preview stores nothing. Inviting checks the drawn members again (someone may have been
  accepted or invited elsewhere meanwhile) and leaves out those who no longer fit; each invited
  member gets a notice leading to the trial ("trial_invited", once per trial), and may apply
  whatever the targeting (`targeting.refusal`). Invitations need a recruiting trial.
- The funnel of a trial (invited, applied, accepted, evaluated) is one statement.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, not_, or_, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.accounts.profiles import MemberProfile, shown_values
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.notifications import services as notices
from portal.notifications.kinds import About
from portal.trials import targeting
from portal.trials.models import Enrollment, Evaluation, Trial, TrialInvitation
from portal.trials.targeting import QuotaFill, TargetingRefused, member_matches, quota_fills

MAX_SAMPLE = 500
RECENT_DAYS = 30
INVITED_KIND = "trial_invited"


# ---------------------------------------------------------------------------------------------
# The draw


def _candidates(trial: Trial, now: datetime):
    """SELECT id, segment, district of the members a sample of `trial` may hold."""
    busy = (select(Enrollment.member_id).join(Trial, Trial.id == Enrollment.trial_id)
            .where(Enrollment.status == "accepted", Trial.status == "running", Trial.id != trial.id))
    recent = select(TrialInvitation.member_id).where(
        TrialInvitation.invited_at >= now - timedelta(days=RECENT_DAYS))
    here_invited = select(TrialInvitation.member_id).where(TrialInvitation.trial_id == trial.id)
    here_enrolled = select(Enrollment.member_id).where(Enrollment.trial_id == trial.id)
    stmt = select(User.id, User.segment, User.district)
    if targeting.needs_profile(trial):
        stmt = stmt.join(MemberProfile, MemberProfile.member_id == User.id)
    return stmt.where(
        *targeting.eligible_members(trial),
        User.id.not_in(busy), User.id.not_in(recent), User.id.not_in(here_invited),
        User.id.not_in(here_enrolled),
    )


def _outside(fill: QuotaFill):
    """SQL on User: not counted in this quota."""
    parts = []
    if fill.quota.segment is not None:
        parts.append(User.segment == fill.quota.segment)
    if fill.quota.district is not None:
        parts.append(User.district == fill.quota.district)
    return not_(and_(*parts))


def _take(rows: Iterable, fills: list[QuotaFill], free: dict[int, int], picked: list[int],
          size: int) -> bool:
    """Add to `picked` the rows (in their order) that every quota they count in still has room
    for, up to `size`; True when one was skipped because a quota filled up."""
    skipped = False
    for member_id, segment, district in rows:
        if len(picked) >= size:
            break
        counted = [f.quota.id for f in fills if member_matches(f.quota, segment, district)]
        if any(free[q] <= 0 for q in counted):
            skipped = True
            continue
        for q in counted:
            free[q] -= 1
        picked.append(member_id)
    return skipped


def draw(trial: Trial, size: int, now: datetime | None = None) -> list[int]:
    """The ids of up to `size` members drawn at random for `trial` (see the module's rules)."""
    now = now or utcnow()
    size = max(0, min(size, MAX_SAMPLE))
    fills = quota_fills(trial.id)
    free = {f.quota.id: f.free for f in fills}
    picked: list[int] = []
    for _round in range(len(fills) + 1):
        need = size - len(picked)
        if need <= 0:
            break
        stmt = _candidates(trial, now).where(
            *(_outside(f) for f in fills if free[f.quota.id] <= 0))
        if picked:
            stmt = stmt.where(User.id.not_in(picked))
        rows = db.execute(stmt.order_by(func.random()).limit(need)).all()
        if not _take(rows, fills, free, picked, size) or len(rows) < need:
            break
    return picked


@dataclass
class Drawn:
    member: User
    profile: list[tuple[str, object]]  # (label, value) of the attributes the profile gives


def drawn_members(ids: list[int]) -> list[Drawn]:
    """The members of a draw, in its order, with their profiles (one query)."""
    if not ids:
        return []
    rows = db.execute(
        select(User, MemberProfile).outerjoin(MemberProfile, MemberProfile.member_id == User.id)
        .where(User.id.in_(ids))
    ).all()
    by_id = {user.id: (user, profile) for user, profile in rows}
    shown = []
    for member_id in ids:
        if member_id in by_id:
            user, profile = by_id[member_id]
            values = [(str(label), value) for label, value in shown_values(profile, user.segment)
                      if value is not None]
            shown.append(Drawn(user, values))
    return shown


def preview(trial: Trial, size: int) -> list[Drawn]:
    return drawn_members(draw(trial, size))


# ---------------------------------------------------------------------------------------------
# Inviting


def invite_refusal(trial: Trial) -> str | None:
    if trial.status != "recruiting":
        return _("Members can be invited only while the trial is recruiting.")
    return None


def _still_fitting(trial: Trial, ids: list[int], now: datetime) -> list[int]:
    """Those of `ids` a sample could still hold now, quotas included, in the order given."""
    rows = {r[0]: r for r in db.execute(_candidates(trial, now).where(User.id.in_(ids))).all()}
    fills = quota_fills(trial.id)
    free = {f.quota.id: f.free for f in fills}
    picked: list[int] = []
    _take([rows[i] for i in ids if i in rows], fills, free, picked, MAX_SAMPLE)
    return picked


def invite(trial: Trial, member_ids: Iterable[int], actor: User) -> tuple[int, int]:
    """Invite the drawn members to the trial, in one unit of work: their invitations, their
    notices and one audit entry. Returns (invited, left out because they no longer fit)."""
    refusal = invite_refusal(trial)
    if refusal:
        raise TargetingRefused(refusal)
    ids = list(dict.fromkeys(i for i in member_ids if isinstance(i, int)))[:MAX_SAMPLE]
    if not ids:
        raise TargetingRefused(_("Draw a sample first: nobody was chosen to invite."))
    now = utcnow()
    try:
        with unit_of_work():
            locked = db.scalar(select(Trial).where(Trial.id == trial.id).with_for_update()) or trial
            refusal = invite_refusal(locked)
            if refusal:
                raise TargetingRefused(refusal)
            chosen = _still_fitting(locked, ids, now)
            if chosen:
                db.execute(insert(TrialInvitation), [
                    dict(trial_id=locked.id, member_id=i, invited_at=now, invited_by_id=actor.id)
                    for i in chosen])
                members = db.scalars(select(User).where(User.id.in_(chosen)).order_by(User.id))
                about, key = About(trial=locked), f"{INVITED_KIND}:{locked.id}"
                notices.deliver(INVITED_KIND, [notices.Notice(m, about, key) for m in members])
                audit.record(actor, "trial.invite", "trial", locked.id, None,
                             {"invited": len(chosen)})
    except IntegrityError:  # another editor invited one of them at the same moment
        raise TargetingRefused(_("Some of these members were invited meanwhile. Draw again."),
                               ) from None
    return len(chosen), len(ids) - len(chosen)


# ---------------------------------------------------------------------------------------------
# The funnel


@dataclass
class Funnel:
    invited: int
    applied: int
    applied_invited: int
    accepted: int
    accepted_invited: int
    evaluated: int
    evaluated_invited: int


def funnel(trial: Trial) -> Funnel:
    """Invited -> applied (ever) -> accepted -> evaluated (submitted), each also counted among
    the invited members: one statement."""
    invited_ids = select(TrialInvitation.member_id).where(TrialInvitation.trial_id == trial.id)

    def count(column, *where):
        return select(func.count(column)).where(*where).scalar_subquery()

    enrolled = (Enrollment.trial_id == trial.id,)
    accepted = (*enrolled, Enrollment.status == "accepted")
    evaluated = (Evaluation.trial_id == trial.id,
                 or_(Evaluation.version > 0, Evaluation.status == "submitted"))
    row = db.execute(select(
        count(TrialInvitation.id, TrialInvitation.trial_id == trial.id),
        count(Enrollment.id, *enrolled),
        count(Enrollment.id, *enrolled, Enrollment.member_id.in_(invited_ids)),
        count(Enrollment.id, *accepted),
        count(Enrollment.id, *accepted, Enrollment.member_id.in_(invited_ids)),
        count(Evaluation.id, *evaluated),
        count(Evaluation.id, *evaluated, Evaluation.member_id.in_(invited_ids)),
    )).one()
    return Funnel(*(n or 0 for n in row))


# ---------------------------------------------------------------------------------------------
# Demo data (portal.demo calls it inside its unit of work)


def seed_demo(today) -> None:
    """A targeted trial (Android handsets on 5G in Pudong or Minhang) that starts later than it
    could be started, with a quota and an invited member (and their notice); a quota with room on
    the 5G plan trial, whose invited household member applied (its funnel); a full quota on the
    auto-accept cloud PC trial."""
    from portal.trials.models import Question, TrialCondition, TrialDistrict, TrialQuota, TrialSegment

    def user(email: str) -> User:
        return db.scalar(select(User).where(User.email == email))

    def trial_titled(title: str) -> Trial | None:
        return db.scalar(select(Trial).where(Trial.title == title))

    product = user("product@example.com")
    phone = Trial(
        title="5G 安卓旗舰手机试用（浦东、闵行）", kind="terminal", status="recruiting",
        description="面向**浦东新区、闵行**使用安卓手机的 5G 用户：免费试用旗舰手机两个月。",
        capacity=20, created_by=product, enrollment_opens_on=today - timedelta(days=2),
        enrollment_closes_on=today + timedelta(days=12), starts_on=today + timedelta(days=14),
        ends_on=today + timedelta(days=74),
    )
    phone.segments = [TrialSegment(segment="mobile")]
    phone.districts = [TrialDistrict(district="pudong"), TrialDistrict(district="minhang")]
    phone.conditions = [TrialCondition(attribute="handset_os", value="android"),
                        TrialCondition(attribute="network_generation", value="5g")]
    phone.questions = [Question(position=0, kind="rating", prompt="新手机的 5G 网速是否令您满意？",
                                help_text="", required=True, options=[])]
    db.add(phone)
    db.flush()
    db.add(TrialQuota(trial_id=phone.id, segment="mobile", district="pudong", places=10))
    invitations = [(phone, user("mobile@example.com"), 1)]
    plan = trial_titled("5G 畅享套餐 2026 版试用")
    if plan is not None:
        db.add(TrialQuota(trial_id=plan.id, segment="household", district=None, places=5))
        invitations.append((plan, user("household@example.com"), 6))
    cloud_pc = trial_titled("云电脑企业版试用")
    if cloud_pc is not None:  # 张伟 is accepted there: the quota is full
        db.add(TrialQuota(trial_id=cloud_pc.id, segment="enterprise", district=None, places=1))
    for trial, member, days_ago in invitations:
        db.add(TrialInvitation(trial_id=trial.id, member_id=member.id, invited_by_id=product.id,
                               invited_at=utcnow() - timedelta(days=days_ago)))
        notices.deliver(INVITED_KIND, [notices.Notice(member, About(trial=trial),
                                                      f"{INVITED_KIND}:{trial.id}")])
