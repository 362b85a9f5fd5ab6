"""How the audit entries of a submission are told in its History (see portal.audit.history)."""
from flask_babel import lazy_gettext as _l

from portal import domain
from portal.audit import Field, describe
from portal.audit.history import as_number, user_names

describe(
    "submission",
    actions={
        "submission.triage": _l("Triage saved"),
        "submission.note": _l("Internal note added"),
        "submission.link": _l("Linked to improvement items"),
        "submission.unlink": _l("Unlinked from an improvement item"),
        "submission.bulk_assign": _l("Assigned (bulk)"),
        "submission.bulk_status": _l("Status set (bulk)"),
        "submission.bulk_tag": _l("Tag added (bulk)"),
        "submission.bulk_link": _l("Linked to an improvement item (bulk)"),
    },
    assignee_id=Field(_l("Assignee"), lookup=user_names),
    status=Field(_l("Status"), domain.SUBMISSION_STATUSES),
    no_action_reason=Field(_l("Reason for no action")),
    duplicate_of_id=Field(_l("Duplicate of"), format=as_number),
    tags=Field(_l("Tags")),
    items=Field(_l("Improvement items"), format=as_number),
    note=Field(_l("Internal note"), note=True),
)
