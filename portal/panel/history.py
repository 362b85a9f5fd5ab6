"""How the audit entries of the points rules and of re-engaging a member are told (see
portal.audit.history)."""
from flask_babel import lazy_gettext as _l

from portal.audit import Field, describe, services as audit_services
from portal.audit.history import as_datetime
from portal.panel.activity import ACTIVITY_KINDS

audit_services.OBJECT_TYPES.setdefault("points_rules", _l("Points rules"))

describe("points_rules", actions={"points.update": _l("Points changed")},
         **{kind: Field(label) for kind, label in ACTIVITY_KINDS.items()})
describe("user", actions={"re_engage": _l("Re-engagement notice sent")},
         re_engaged_at=Field(_l("Sent"), format=as_datetime))
