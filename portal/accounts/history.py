"""How the audit entries of accounts and invitations are told (see portal.audit.history)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal import domain
from portal.audit import Field, describe
from portal.audit.history import as_datetime

describe(
    "user",
    actions={"end_sessions": _l("Signed out on every other device"),
             "reset_password": _l("Chose a new password through a reset link")},
    status=Field(_l("Status"), domain.MEMBER_STATUSES),
    role=Field(_l("Role"), domain.ROLES),
    name=Field(_l("Name")),
    email=Field(_l("Email")),
    segment=Field(_l("Segment"), domain.SEGMENTS),
)
describe(
    "invitation",
    segment=Field(_l("Segment"), domain.SEGMENTS),
    email=Field(_l("Email")),
    days=Field(_l("Valid for (days)")),
    expires_at=Field(_l("Expires"), format=as_datetime),
    actions={"delete": _l("Deleted after it expired"), "revoke": _l("Withdrawn")},
)
