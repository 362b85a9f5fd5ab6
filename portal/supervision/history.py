"""How the audit entries of support requests and routing rules read in their History."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from portal import domain
from portal.audit import Field, describe
from portal.improvements.history import department_names

describe(
    "support_request",
    actions={"route": _l("Routed"), "accept": lazy_pgettext("support status", "Accepted"),
             "answer": lazy_pgettext("support status", "Answered"),
             "send_back": _l("Sent back"), "confirm": _l("Confirmed by the district"),
             "close": lazy_pgettext("support status", "Closed"),
             "escalate": _l("Not accepted in time: escalated")},
    title=Field(_l("What the front line needs")),
    category=Field(_l("Problem category"), domain.SUPPORT_CATEGORIES),
    urgency=Field(_l("Urgency"), domain.SUPPORT_URGENCIES),
    department_id=Field(_l("Department"), lookup=department_names),
    routed_by=Field(_l("Routed by"), {"filer": _l("the district branch"),
                                      "table": _l("the routing table"),
                                      "hand": _l("the supervision office")}),
    status=Field(_l("Status"), domain.SUPPORT_STATUSES),
    answer=Field(_l("Answer")),
    rating=Field(_l("Rating")),
    reason=Field(_l("Reason")),
    escalation_level=Field(_l("Escalation"), {0: _l("A contact told"), 1: _l("B contact told"),
                                               2: _l("Supervision office told")}),
)
describe(
    "routing_rule",
    category=Field(_l("Problem category"), domain.SUPPORT_CATEGORIES),
    commitment=Field(_l("Service commitment"), domain.COMMITMENTS),
    department_id=Field(_l("Department"), lookup=department_names),
)
describe(
    "support_bulletin",
    actions={"pick": _l("Case picked"), "unpick": _l("Case taken out"),
             "analyse": _l("Analysis written"), "publish": _l("Published")},
    month=Field(_l("Month")),
    status=Field(_l("Status"), {"draft": _l("Draft"), "published": _l("Published")}),
    request_id=Field(_l("Support request")),
    analysis=Field(_l("What went wrong")),
    root_cause=Field(_l("Root cause")),
    changes_made=Field(_l("What was changed")),
    cases=Field(_l("Cases")),
)
