"""How the audit entries of a consultation are told in its History (see portal.audit.history)."""
from flask_babel import lazy_gettext as _l

from portal import domain
from portal.audit import Field, describe
from portal.audit.history import as_date

describe(
    "consultation",
    actions={
        "consultation.publish": _l("Consultation published"),
        "consultation.unpublish": _l("Consultation taken back to draft"),
    },
    subject=Field(_l("Subject"), domain.CONSULTATION_SUBJECTS),
    title=Field(_l("Title")),
    body=Field(_l("Text")),
    opens_on=Field(_l("Opens on"), format=as_date),
    closes_on=Field(_l("Closes on"), format=as_date),
    status=Field(_l("Status"), domain.CONSULTATION_STATUSES),
)
