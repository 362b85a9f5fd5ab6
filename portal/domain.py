"""The domain's fixed vocabularies (see shared GLOSSARY.md), with their labels in both languages.

Codes are stored in the database; labels are lazy so they render in the viewer's language.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l, lazy_pgettext
from wtforms.fields.choices import SelectChoice

# The operator and its members are in Shanghai: "today" for windows and deadlines is Shanghai's.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


def shanghai_midnight(day: date) -> datetime:
    """The UTC instant a Shanghai day starts (for "on or after day X" filters on UTC columns)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).astimezone(UTC)


ROLES = {
    "member": _l("Panel member"),
    "product": _l("Product team"),
    "office": _l("Service office"),
    "admin": _l("Administrator"),
    "branch": _l("District branch staff"),
}

SEGMENTS = {
    "enterprise": _l("Key enterprise account"),
    "sme": _l("SME customer"),
    "mobile": _l("Mobile / 3G subscriber"),
    "household": _l("Household customer"),
}
# Segments whose members must name the organization they speak for.
ORGANIZATION_SEGMENTS = ("enterprise", "sme")

# --- The internal supervision hotline (portal.supervision) ---------------------------------------
SUPPORT_CATEGORIES = {
    "network": _l("Network"),
    "billing": _l("Billing"),
    # The words of a problem, not the service commitments' names (same English, other Chinese).
    "roaming": lazy_pgettext("support category", "International roaming"),
    "e_channels": _l("E-channels"),
    "value_added_services": _l("Value-added services"),
    "counter_service": lazy_pgettext("support category", "Counter service"),
    "it_systems": _l("IT systems"),
    "logistics": _l("Logistics"),
    "other": _l("Other"),
}
# The service commitment each category serves (the rest serve none of the six).
SUPPORT_CATEGORY_COMMITMENTS = {
    "network": "network_quality",
    "billing": "billing_reminders",
    "roaming": "roaming",
    "e_channels": "e_channels",
    "value_added_services": "value_added_services",
    "counter_service": "counter_service",
}
SUPPORT_URGENCIES = {
    "urgent": _l("Urgent"),
    "normal": _l("Normal"),
}
# "Accepted", "Answered" and "New" mean other things elsewhere (an enrollment, a time, a
# submission): the support request's own words, by context.
SUPPORT_STATUSES = {
    "new": lazy_pgettext("support status", "New"),
    "accepted": lazy_pgettext("support status", "Accepted"),
    "answered": lazy_pgettext("support status", "Answered"),
    "confirmed": _l("Confirmed by the district"),
    "closed": lazy_pgettext("support status", "Closed"),
}


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
    "deleted": _l("Deleted"),
}


# --- Member profiles (portal.accounts.profiles) ------------------------------------------------
PLAN_TYPES = {
    "prepaid": _l("Prepaid"),
    "postpaid": _l("Postpaid"),
    "family_plan": _l("Family plan"),
    "data_only": _l("Data only"),
}
HANDSET_OS = {
    "android": _l("Android"),
    "ios": _l("iOS"),
    "harmonyos": _l("HarmonyOS"),
    "other": _l("Other"),
}
NETWORK_GENERATIONS = {
    "3g": _l("3G"),
    "4g": _l("4G"),
    "5g": _l("5G"),
}
BROADBAND_PACKAGES = {
    "fibre_100": _l("Fibre 100 Mbps"),
    "fibre_300": _l("Fibre 300 Mbps"),
    "fibre_500": _l("Fibre 500 Mbps"),
    "fibre_1000": _l("Fibre 1000 Mbps"),
    "other": _l("Other"),
}
INDUSTRIES = {
    "manufacturing": _l("Manufacturing"),
    "retail": _l("Retail"),
    "finance": _l("Finance"),
    "logistics": _l("Logistics"),
    "healthcare": _l("Healthcare"),
    "education": _l("Education"),
    "government": _l("Government"),
    "it_services": _l("IT services"),
    "other": _l("Other"),
}
COMPANY_SIZES = {
    "micro": _l("Fewer than 10 employees"),
    "small": _l("10-99 employees"),
    "medium": _l("100-999 employees"),
    "large": _l("1,000 employees or more"),
}
ENTERPRISE_SERVICES = {
    "dedicated_line": _l("Dedicated line"),
    "cloud": _l("Cloud services"),
    "iot": _l("IoT"),
    "sd_wan": _l("SD-WAN"),
    "unified_communications": _l("Unified communications"),
    "idc": _l("Data centre (IDC)"),
    "mobile_office": _l("Mobile office"),
}
# Which profile attributes a member of each segment keeps (the form shows only these).
PROFILE_FIELDS_BY_SEGMENT = {
    "mobile": ("plan_type", "handset_brand", "handset_model", "handset_os", "network_generation",
               "years_with_operator"),
    "household": ("broadband_package", "broadband_speed_mbps", "iptv", "household_size",
                  "years_with_operator"),
    "enterprise": ("industry", "company_size", "services_used", "years_with_operator"),
    "sme": ("industry", "company_size", "services_used", "years_with_operator"),
}
# A member is asked to look at their profile again after this many days.
PROFILE_REVIEW_DAYS = 365


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

# The lists staff may download (exports), by the name an export's audit entry records.
EXPORT_LISTS = {
    "submissions": _l("Submissions"),
    "improvements": _l("Improvement items"),
    "logistics": _l("Terminal and SIM logistics"),
    "scoreboard": _l("Scoreboard of the responsibility letters"),
}


# --- What a member sees of their own submission -----------------------------------------------
# The triage status, or - once an improvement item linked to the submission is done or verified -
# that outcome (the most advanced one). `member_status` is the one rule; `portal.triage` reads
# the statuses it needs and the pages show the code with these labels.
SUBMISSION_OUTCOMES = {
    "done": _l("Improvement done"),
    "verified": _l("Improvement verified"),
}
MEMBER_SUBMISSION_STATUSES = {**SUBMISSION_STATUSES, **SUBMISSION_OUTCOMES}


def member_status(triage_status: str, item_statuses) -> str:
    """What the member sees: the outcome of a linked item once there is one, else the triage
    status (a submission staff moved back to review shows that, whatever its items)."""
    if triage_status == "linked":
        for outcome in ("verified", "done"):
            if outcome in item_statuses:
                return outcome
    return triage_status


CONSULTATION_STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
}


# --- Evaluation answers as frozen in a submitted version (pure functions) -----------------------
ANSWER_SCALES = {"rating": (1, 5), "nps": (0, 10)}
# A submitted evaluation is flagged for staff when any rating or NPS answer is this low.
LOW_SCORE = {"rating": 2, "nps": 6}


def answer_value(kind: str, number: int | None, text: str | None, choices: list[str] | None) -> Any:
    """An answer from its stored columns: the number of a rating or NPS, "yes"/"no", the options
    picked (multiple) or the text; None when unanswered."""
    if kind in ANSWER_SCALES:
        return number
    if kind == "yesno":
        return None if number is None else ("yes" if number else "no")
    if kind == "multiple":
        return list(choices) if choices else None
    return text


@dataclass
class ShownAnswer:
    """One question and its answer, for the read-only pages."""

    prompt: str
    kind: str
    value: Any
    low: bool


def _in_order(frozen: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return sorted(frozen.items(), key=lambda item: (item[1].get("position", 0), int(item[0])))


def shown_answers(frozen: Mapping[str, Any]) -> list[ShownAnswer]:
    """A frozen version's answers in the questionnaire's order."""
    shown = []
    for _qid, entry in _in_order(frozen):
        kind = entry.get("kind", "text")
        value = answer_value(kind, entry.get("number"), entry.get("text"), entry.get("choices"))
        low = kind in LOW_SCORE and value is not None and value <= LOW_SCORE[kind]
        shown.append(ShownAnswer(entry.get("prompt", ""), kind, value, low))
    return shown


def is_low_score(frozen: Mapping[str, Any]) -> bool:
    """True when any rating is 2 or less or any NPS 6 or less."""
    return any(a.low for a in shown_answers(frozen))


def evaluation_text(frozen: Mapping[str, Any]) -> str:
    """The free-text answers of a frozen version, in the questionnaire's order."""
    return "\n\n".join(
        entry["text"] for _qid, entry in _in_order(frozen)
        if entry.get("kind") == "text" and entry.get("text")
    )
