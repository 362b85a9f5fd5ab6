"""How the audit entries of an index period (its definition, figures saved, CSV uploads) are
told in the audit log (see portal.audit.history)."""
from flask_babel import lazy_gettext as _l

from portal.audit import Field, describe, services as audit_services
from portal.audit.history import as_date
from portal.index.services import PERIOD_KINDS

audit_services.OBJECT_TYPES.setdefault("index_period", _l("Index period"))

describe(
    "index_period",
    actions={
        "index.upload": _l("Index figures uploaded (CSV)"),
        "index.figures": _l("Index figures saved"),
    },
    label=Field(_l("Label")),
    kind=Field(_l("Kind"), PERIOD_KINDS),
    starts_on=Field(_l("First day"), format=as_date),
    ends_on=Field(_l("Last day"), format=as_date),
    weight_satisfaction=Field(_l("Weight of specialty satisfaction")),
    weight_benchmark=Field(_l("Weight of the satisfaction benchmark")),
    weight_word_of_mouth=Field(_l("Weight of the word-of-mouth benchmark")),
    file=Field(_l("CSV file")),
)
