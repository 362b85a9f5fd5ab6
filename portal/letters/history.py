"""How the audit entries of letters, typed-in figures, service stars and classic cases are told
in their History and the audit log (see portal.audit.history)."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from portal import domain as portal_domain
from portal.audit import Field, describe
from portal.audit.history import as_date, as_datetime, as_number, user_names
from portal.improvements.history import department_names
from portal.letters import domain
from portal.letters.measures import MEASURES

_MEASURE_LABELS = {code: m.label for code, m in MEASURES.items()}

describe(
    "letter",
    actions={"letter.create": _l("Letter prepared"), "letter.target": _l("Target set"),
             "letter.target_remove": _l("Target removed"), "letter.task": _l("Key task added"),
             "letter.task_done": _l("Key task updated"), "letter.sign_off": _l("Letter signed off")},
    unit_id=Field(_l("Unit"), lookup=department_names),
    year=Field(_l("Year")),
    status=Field(_l("Status"), domain.LETTER_STATUSES),
    measure=Field(lazy_pgettext("letter target", "Measure"), _MEASURE_LABELS),
    target=Field(_l("Target")),
    task=Field(_l("Key task")),
    due_on=Field(_l("Due date"), format=as_date),
    done_on=Field(_l("Done on"), format=as_date),
    unit_head=Field(_l("Unit head who signed")),
    signed_off_at=Field(_l("Signed off at"), format=as_datetime),
)
describe(
    "measure_entry",
    actions={"entry.set": _l("Figure typed in")},
    unit_id=Field(_l("Unit"), lookup=department_names),
    measure=Field(lazy_pgettext("letter target", "Measure"), _MEASURE_LABELS),
    period=Field(_l("Period")),
    value=Field(_l("Figure")),
)
describe(
    "service_star",
    actions={"star.nominate": _l("Service star named")},
    user_id=Field(_l("Staff member"), lookup=user_names),
    year=Field(_l("Year")),
    citation=Field(_l("Citation")),
    items=Field(_l("Improvement items"), format=as_number),
    requests=Field(_l("Support requests"), format=as_number),
)
describe(
    "classic_case",
    actions={"case.mark": _l("Marked as a classic case"),
             "case.remove": _l("Taken out of the case library")},
    record_kind=Field(_l("Kind of record"), domain.RECORD_KINDS),
    record_id=Field(_l("Record number"), format=as_number),
    lesson=Field(_l("Lesson")),
    commitment=Field(_l("Service commitment"), portal_domain.COMMITMENTS),
)
