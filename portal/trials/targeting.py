"""Who a trial is for (eligibility) and how many of each kind it accepts (quotas).

Eligibility: a trial is open to the members of its segments (`trial_segments`), in its
districts (`trial_districts`; none = every district), whose profile (`MemberProfile`) has one
of the accepted values of each attribute the trial sets conditions on (`trial_conditions`:
handset OS, network generation, plan type; none for an attribute = any). A member whose profile
does not give an attribute the trial sets a condition on is not eligible. A member invited to
the trial (a sample, `portal.trials.sampling`) may see it and apply whatever the targeting.
The same rules are written three ways, kept side by side below: in Python for one member and
one trial (`refusal`), as an SQL condition on Trial for one member's list (`visible_to`), and
as SQL conditions on User for a trial's eligible members (`eligible_members`, the sample).

Quotas: at most `places` accepted members of a segment, of a district, or of both. A member
counts in every quota they match and is accepted only when each of them has room (`decide` and
auto-acceptance ask `quota_refusal`); the trial's capacity still holds on top.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, not_, or_, select

from portal import domain, permissions
from portal.accounts.models import User
from portal.accounts.profiles import FIELD_LABELS, MemberProfile
from portal.audit import services as audit
from portal.db import db, unit_of_work
from portal.errors import Refused
from portal.i18n import alternatives
from portal.trials.models import (
    Enrollment,
    Trial,
    TrialCondition,
    TrialDistrict,
    TrialInvitation,
    TrialQuota,
    TrialSegment,
)

# The profile attributes a trial may set conditions on, with their vocabularies.
CONDITIONS: dict[str, dict] = {
    "handset_os": domain.HANDSET_OS,
    "network_generation": domain.NETWORK_GENERATIONS,
    "plan_type": domain.PLAN_TYPES,
}
MAX_QUOTAS = 50


class TargetingRefused(Refused):
    """A refused change of a trial's targeting or quotas; str(exc) says why."""


# ---------------------------------------------------------------------------------------------
# Editing the targeting (the trial form; trials.services.save_trial calls these)


def checked_targeting(data: dict[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """The districts and profile conditions of clean form data, unknown codes dropped."""
    districts = sorted({d for d in data.get("districts") or () if d in domain.DISTRICTS})
    conditions = {
        name: sorted({v for v in data.get(name) or () if v in vocabulary})
        for name, vocabulary in CONDITIONS.items()
    }
    return districts, conditions


def set_targeting(trial: Trial, districts: list[str], conditions: dict[str, list[str]]) -> None:
    """Give the trial these districts and conditions, keeping the rows that stay."""
    current = {d.district: d for d in trial.districts}
    trial.districts = [current.get(code) or TrialDistrict(district=code) for code in districts]
    rows = {(c.attribute, c.value): c for c in trial.conditions}
    trial.conditions = [
        rows.get((name, value)) or TrialCondition(attribute=name, value=value)
        for name, values in conditions.items() for value in values
    ]


def audit_values(trial: Trial) -> dict[str, list[str]]:
    """The targeting as recorded in the audit log, beside the trial's other fields."""
    return {"districts": trial.district_codes,
            **{name: trial.condition_values(name) for name in CONDITIONS}}


def form_values(trial: Trial) -> dict[str, list[str]]:
    """The targeting as the trial form shows it."""
    return audit_values(trial)


def summary(trial: Trial) -> list[tuple[str, str]]:
    """(label, values) of the trial's targeting beyond segments, for the staff pages."""
    rows = [(_("Districts"), alternatives(domain.DISTRICTS[c] for c in trial.district_codes)
             or _("Every district"))]
    for name, vocabulary in CONDITIONS.items():
        values = trial.condition_values(name)
        rows.append((str(FIELD_LABELS[name]),
                     alternatives(vocabulary.get(v, v) for v in values) or _("Any")))
    return rows


# ---------------------------------------------------------------------------------------------
# Eligibility of one member for one trial


def profile_of(member: User) -> MemberProfile | None:
    return db.get(MemberProfile, member.id)


def invited(trial_id: int, member_id: int) -> bool:
    return db.scalar(select(TrialInvitation.id).where(
        TrialInvitation.trial_id == trial_id, TrialInvitation.member_id == member_id)) is not None


def _condition_refusal(trial: Trial, member: User) -> str | None:
    if not trial.conditions:
        return None
    profile = profile_of(member)
    for name, vocabulary in CONDITIONS.items():
        values = trial.condition_values(name)
        if values and getattr(profile, name, None) not in values:
            return _("This trial is open only to members whose profile says %(attribute)s: "
                     "%(values)s.", attribute=FIELD_LABELS[name],
                     values=alternatives(vocabulary.get(v, v) for v in values))
    return None


def targeting_refusal(trial: Trial, member: User) -> str | None:
    """Why the trial's targeting leaves the member out (invitations aside), or None."""
    if member.segment not in trial.segment_codes:
        return _("This trial is not open to your segment.")
    districts = trial.district_codes
    if districts and member.district not in districts:
        return _("This trial is open only to members in %(districts)s.",
                 districts=alternatives(domain.DISTRICTS[d] for d in districts))
    return _condition_refusal(trial, member)


def refusal(trial: Trial, member: User) -> str | None:
    """Why the member may not apply to the trial by its targeting, or None: an invited member
    may, whatever the targeting (asked only when the targeting says no)."""
    reason = targeting_refusal(trial, member)
    if reason is not None and invited(trial.id, member.id):
        return None
    return reason


# ---------------------------------------------------------------------------------------------
# The trials one member sees (SQL on Trial)


def _condition_met(name: str, value: str | None):
    """SQL on Trial: no condition on `name`, or `value` is one of its accepted values."""
    any_row = exists().where(TrialCondition.trial_id == Trial.id, TrialCondition.attribute == name)
    if value is None:
        return not_(any_row)
    return or_(not_(any_row), exists().where(
        TrialCondition.trial_id == Trial.id, TrialCondition.attribute == name,
        TrialCondition.value == value))


def visible_to(member: User):
    """SQL condition on Trial: the member is eligible for it, or invited to it. Reads the
    member's profile (one query)."""
    profile = profile_of(member)
    district_ok = or_(
        not_(exists().where(TrialDistrict.trial_id == Trial.id)),
        exists().where(TrialDistrict.trial_id == Trial.id, TrialDistrict.district == member.district),
    ) if member.district else not_(exists().where(TrialDistrict.trial_id == Trial.id))
    eligible = and_(
        exists().where(TrialSegment.trial_id == Trial.id, TrialSegment.segment == member.segment),
        district_ok,
        *(_condition_met(name, getattr(profile, name, None)) for name in CONDITIONS),
    )
    return or_(eligible, invited_to(member))


def invited_to(member: User):
    """SQL condition on Trial: the member is invited to it."""
    return exists().where(TrialInvitation.trial_id == Trial.id, TrialInvitation.member_id == member.id)


# ---------------------------------------------------------------------------------------------
# A trial's eligible members (SQL on User, for samples)


def eligible_members(trial: Trial) -> list:
    """SQL conditions on User (and MemberProfile, joined by `needs_profile`) selecting the
    active members the trial's targeting is open to."""
    conditions = [
        User.role.in_(permissions.holders("panel.take_part")),
        User.status == "active",
        User.segment.in_(trial.segment_codes) if trial.segment_codes else false(),
    ]
    if trial.district_codes:
        conditions.append(User.district.in_(trial.district_codes))
    for name in CONDITIONS:
        values = trial.condition_values(name)
        if values:
            conditions.append(getattr(MemberProfile, name).in_(values))
    return conditions


def needs_profile(trial: Trial) -> bool:
    return bool(trial.conditions)


# ---------------------------------------------------------------------------------------------
# Quotas


@dataclass
class QuotaFill:
    quota: TrialQuota
    accepted: int

    @property
    def free(self) -> int:
        return max(0, self.quota.places - self.accepted)

    @property
    def full(self) -> bool:
        return self.free == 0


def matches(quota_segment, quota_district, segment_column, district_column):
    """SQL: a member (by their segment and district columns) counts in the quota."""
    return and_(or_(quota_segment.is_(None), quota_segment == segment_column),
                or_(quota_district.is_(None), quota_district == district_column))


def quota_fills(trial_id: int) -> list[QuotaFill]:
    """The trial's quotas with their accepted members, in a fixed order (one query)."""
    accepted = (
        select(func.count(Enrollment.id))
        .join(User, User.id == Enrollment.member_id)
        .where(Enrollment.trial_id == TrialQuota.trial_id, Enrollment.status == "accepted",
               matches(TrialQuota.segment, TrialQuota.district, User.segment, User.district))
        .correlate(TrialQuota)
        .scalar_subquery()
    )
    rows = db.execute(
        select(TrialQuota, accepted).where(TrialQuota.trial_id == trial_id)
        .order_by(TrialQuota.segment, TrialQuota.district, TrialQuota.id)
    ).all()
    return [QuotaFill(quota, count or 0) for quota, count in rows]


def quota_label(quota: TrialQuota) -> str:
    parts = [str(domain.SEGMENTS.get(quota.segment, quota.segment)) if quota.segment else None,
             str(domain.DISTRICTS.get(quota.district, quota.district)) if quota.district else None]
    return " · ".join(p for p in parts if p)


def member_matches(quota: TrialQuota, segment: str | None, district: str | None) -> bool:
    return ((quota.segment is None or quota.segment == segment)
            and (quota.district is None or quota.district == district))


def full_quota(trial_id: int, segment: str | None, district: str | None) -> QuotaFill | None:
    """The first full quota a member of this segment and district counts in, or None."""
    return next((f for f in quota_fills(trial_id)
                 if f.full and member_matches(f.quota, segment, district)), None)


def quota_refusal(trial_id: int, member_id: int) -> str | None:
    """Why accepting this member would break a quota, or None."""
    member = db.get(User, member_id)
    fill = full_quota(trial_id, member.segment, member.district) if member else None
    if fill is None:
        return None
    return _("The quota “%(quota)s” is full (%(accepted)s of %(places)s accepted): no place is left "
             "to accept this member.", quota=quota_label(fill.quota), accepted=fill.accepted,
             places=fill.quota.places)


def _checked_quota(trial: Trial, segment: str | None, district: str | None, places: int | None):
    segment = segment or None
    district = district or None
    if segment is None and district is None:
        raise TargetingRefused(_("Choose a segment, a district or both."), field="segment")
    if segment is not None and segment not in trial.segment_codes:
        raise TargetingRefused(_("Choose one of the trial's target segments."), field="segment")
    if district is not None and (district not in domain.DISTRICTS or (
            trial.district_codes and district not in trial.district_codes)):
        raise TargetingRefused(_("Choose one of the trial's districts."), field="district")
    if places is None or not 1 <= places <= 100000:
        raise TargetingRefused(_("Enter a number of places from 1 to 100,000."), field="places")
    return segment, district


def add_quota(trial: Trial, segment: str | None, district: str | None, places: int | None,
              actor: User) -> TrialQuota:
    """Add a quota to the trial (or set the places of the one it already has for this segment
    and district), in one unit of work, with an audit entry. The trial row is locked, so two
    editors never make two quotas for the same members."""
    segment, district = _checked_quota(trial, segment, district, places)
    with unit_of_work():
        db.scalar(select(Trial.id).where(Trial.id == trial.id).with_for_update())
        fills = quota_fills(trial.id)
        same = next((f for f in fills if (f.quota.segment, f.quota.district) == (segment, district)),
                    None)
        if same is None and len(fills) >= MAX_QUOTAS:
            raise TargetingRefused(_("A trial may have at most %(count)s quotas.", count=MAX_QUOTAS))
        accepted = same.accepted if same else _accepted_matching(trial.id, segment, district)
        if places < accepted:
            raise TargetingRefused(_(
                "The quota cannot be lower than the %(accepted)s members already accepted in it.",
                accepted=accepted), field="places")
        values = {"quota_segment": segment, "quota_district": district}
        if same is None:
            quota = TrialQuota(trial_id=trial.id, segment=segment, district=district, places=places)
            db.add(quota)
            audit.record(actor, "quota.add", "trial", trial.id, None, {**values, "places": places})
        else:
            quota = same.quota
            audit.record(actor, "quota.update", "trial", trial.id, {"places": quota.places},
                         {**values, "places": places})
            quota.places = places
    return quota


def _accepted_matching(trial_id: int, segment: str | None, district: str | None) -> int:
    stmt = (select(func.count(Enrollment.id)).join(User, User.id == Enrollment.member_id)
            .where(Enrollment.trial_id == trial_id, Enrollment.status == "accepted"))
    if segment is not None:
        stmt = stmt.where(User.segment == segment)
    if district is not None:
        stmt = stmt.where(User.district == district)
    return db.scalar(stmt) or 0


def remove_quota(trial: Trial, quota_id: int, actor: User) -> None:
    with unit_of_work():
        quota = db.scalar(select(TrialQuota).where(TrialQuota.id == quota_id,
                                                   TrialQuota.trial_id == trial.id))
        if quota is None:
            raise TargetingRefused(_("This quota no longer exists."))
        audit.record(actor, "quota.remove", "trial", trial.id,
                     {"quota_segment": quota.segment, "quota_district": quota.district,
                      "places": quota.places}, None)
        db.delete(quota)
