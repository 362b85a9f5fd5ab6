"""The domain's fixed vocabularies (see shared GLOSSARY.md), with their labels in both languages.

Codes are stored in the database; labels are lazy so they render in the viewer's language.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

# The operator and its members are in Shanghai: "today" for windows and deadlines is Shanghai's.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


def shanghai_midnight(day: date) -> datetime:
    """The UTC instant a Shanghai day starts (for "on or after day X" filters on UTC columns)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).astimezone(timezone.utc)


ROLES = {
    "member": _l("Panel member"),
    "product": _l("Product team"),
    "office": _l("Service office"),
    "admin": _l("Administrator"),
}
STAFF_ROLES = ("product", "office", "admin")

SEGMENTS = {
    "enterprise": _l("Key enterprise account"),
    "sme": _l("SME customer"),
    "mobile": _l("Mobile / 3G subscriber"),
    "household": _l("Household customer"),
}
# Segments whose members must name the organization they speak for.
ORGANIZATION_SEGMENTS = ("enterprise", "sme")

DISTRICTS = {
    "huangpu": _l("Huangpu"),
    "xuhui": _l("Xuhui"),
    "changning": _l("Changning"),
    "jingan": _l("Jing'an"),
    "putuo": _l("Putuo"),
    "hongkou": _l("Hongkou"),
    "yangpu": _l("Yangpu"),
    "minhang": _l("Minhang"),
    "baoshan": _l("Baoshan"),
    "jiading": _l("Jiading"),
    "pudong": _l("Pudong"),
    "jinshan": _l("Jinshan"),
    "songjiang": _l("Songjiang"),
    "qingpu": _l("Qingpu"),
    "fengxian": _l("Fengxian"),
    "chongming": _l("Chongming"),
}

COMMITMENTS = {
    "network_quality": _l("Network quality"),
    "billing_reminders": _l("Accurate usage and billing reminders"),
    "roaming": _l("International roaming"),
    "e_channels": _l("Convenient e-channels"),
    "value_added_services": _l("Value-added-service management"),
    "counter_service": _l("Counter service"),
}

CHANNELS = {
    "store": _l("Store"),
    "hotline": _l("Hotline"),
    "website": _l("Website"),
    "mobile_app": _l("Mobile app"),
    "sms_bill": _l("SMS or bill notice"),
    "field_technician": _l("Field technician"),
    "other": _l("Other"),
}

TRIAL_KINDS = {
    "business": _l("New business"),
    "product": _l("New product"),
    "service": _l("New service"),
    "terminal": _l("New terminal"),
}

TRIAL_STATUSES = {
    "draft": _l("Draft"),
    "recruiting": _l("Recruiting"),
    "running": _l("Running"),
    "closed": _l("Closed"),
}
# The only moves a trial's status may make.
TRIAL_TRANSITIONS = {
    "draft": ("recruiting",),
    "recruiting": ("running", "closed"),
    "running": ("closed",),
    "closed": (),
}

ENROLLMENT_STATUSES = {
    "applied": _l("Applied"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}

QUESTION_KINDS = {
    "rating": _l("Rating 1-5"),
    "nps": _l("NPS 0-10"),
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "yesno": _l("Yes / no"),
    "text": _l("Free text"),
}
CHOICE_QUESTION_KINDS = ("single", "multiple")

EVALUATION_STATUSES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
}

CONSULTATION_SUBJECTS = {
    "business_policy": _l("Business policy"),
    "product_policy": _l("Product policy"),
    "service_standard": _l("Service standard"),
}
STANCES = {
    "support": _l("Support"),
    "support_with_changes": _l("Support with changes"),
    "oppose": _l("Oppose"),
}

SEVERITIES = {
    1: _l("1 - Minor"),
    2: _l("2 - Moderate"),
    3: _l("3 - Serious"),
    4: _l("4 - Critical"),
}

# Statuses a submission moves through in the service office; members see them too.
SUBMISSION_STATUSES = {
    "new": _l("Received"),
    "in_review": _l("In review"),
    "linked": _l("Linked to an improvement"),
    "duplicate": _l("Duplicate"),
    "no_action": _l("No action"),
}

MEMBER_STATUSES = {
    "active": _l("Active"),
    "paused": _l("Paused"),
}


def choices(vocabulary: dict, blank=None) -> list[SelectChoice]:
    """WTForms choices from a vocabulary, optionally led by a blank option."""
    items = [SelectChoice(str(code), label) for code, label in vocabulary.items()]
    if blank is not None:
        items.insert(0, SelectChoice("", blank))
    return items


SUBMISSION_KINDS = {
    "evaluation": _l("Evaluation"),
    "gap_report": _l("Service-gap report"),
    "opinion": _l("Opinion"),
}
# The moves triage may make; 'linked' is reached by linking an improvement item.
SUBMISSION_TRANSITIONS = {
    "new": ("in_review", "linked", "duplicate", "no_action"),
    "in_review": ("new", "linked", "duplicate", "no_action"),
    "linked": ("in_review",),
    "duplicate": ("in_review",),
    "no_action": ("in_review",),
}

ITEM_STATUSES = {
    "proposed": _l("Proposed"),
    "approved": _l("Approved"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
}
ITEM_TRANSITIONS = {
    "proposed": ("approved", "rejected"),
    "approved": ("in_progress", "rejected"),
    "in_progress": ("done", "rejected"),
    "done": ("verified", "in_progress"),
    "verified": (),
    "rejected": ("proposed",),
}
# Items in these states count as closed: they are neither open nor overdue.
ITEM_CLOSED_STATUSES = ("done", "verified", "rejected")
# Reaching these tells the members whose submissions the item answers.
ITEM_OUTCOME_STATUSES = ("done", "verified")

PRIORITIES = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}

DMAIC_PHASES = {
    "define": _l("Define"),
    "measure": _l("Measure"),
    "analyse": _l("Analyse"),
    "improve": _l("Improve"),
    "control": _l("Control"),
}
