"""How the audit entries of outbox emails are told (see portal.audit.history)."""
from flask_babel import lazy_gettext as _l

from portal.audit import Field, describe
from portal.notifications.outbox import STATUSES

describe(
    "outbox_email",
    actions={"outbox.send_again": _l("Email sent again")},
    status=Field(_l("Status"), STATUSES),
    attempts=Field(_l("Attempts")),
)
