"""How the audit entries of a trial (its questionnaire and enrollment decisions included) are
told in its History (see portal.audit.history)."""
from flask_babel import lazy_gettext as _l

from portal import domain
from portal.audit import Field, describe
from portal.audit.history import as_date, as_number, user_names

describe(
    "trial",
    actions={
        "trial.status": _l("Trial status changed"),
        "question.add": _l("Question added"),
        "question.update": _l("Question changed"),
        "question.delete": _l("Question deleted"),
        "question.move": _l("Question moved"),
        "enrollment.accept": _l("Application accepted"),
        "enrollment.decline": _l("Application declined"),
        "owner.add": _l("Added to the owning team"),
        "owner.remove": _l("Removed from the owning team"),
        "quota.add": _l("Quota added"),
        "quota.update": _l("Quota changed"),
        "quota.remove": _l("Quota removed"),
        "trial.invite": _l("Members invited from a sample"),
    },
    kind=Field(_l("Kind"), domain.TRIAL_KINDS),
    title=Field(_l("Title")),
    description=Field(_l("Description")),
    status=Field(_l("Status"), domain.TRIAL_STATUSES),
    capacity=Field(_l("Capacity")),
    auto_accept=Field(_l("Automatic acceptance")),
    enrollment_opens_on=Field(_l("Enrollment opens on"), format=as_date),
    enrollment_closes_on=Field(_l("Enrollment closes on"), format=as_date),
    starts_on=Field(_l("Trial starts on"), format=as_date),
    ends_on=Field(_l("Trial ends on"), format=as_date),
    segments=Field(_l("Target segments"), domain.SEGMENTS),
    # a question, named by its number and text, then what changed
    question_id=Field(_l("Question"), format=as_number),
    prompt=Field(_l("Question text")),
    question_kind=Field(_l("Question type"), domain.QUESTION_KINDS),
    help_text=Field(_l("Help text")),
    required=Field(_l("Required")),
    options=Field(_l("Options")),
    position=Field(_l("Position")),
    # an enrollment decision
    enrollment_id=Field(_l("Enrollment"), format=as_number),
    member=Field(_l("Member")),
    enrollment_status=Field(_l("Enrollment status"), domain.ENROLLMENT_STATUSES),
    # the owning team
    owner_id=Field(_l("Owner"), lookup=user_names),
    # targeting, quotas and samples (portal.trials.targeting, portal.trials.sampling)
    districts=Field(_l("Districts"), domain.DISTRICTS),
    handset_os=Field(_l("Handset operating system"), domain.HANDSET_OS),
    network_generation=Field(_l("Network generation"), domain.NETWORK_GENERATIONS),
    plan_type=Field(_l("Plan type"), domain.PLAN_TYPES),
    quota_segment=Field(_l("Quota: segment"), domain.SEGMENTS),
    quota_district=Field(_l("Quota: district"), domain.DISTRICTS),
    places=Field(_l("At most (accepted members)")),
    invited=Field(_l("Members invited")),
    # a trial started before its planned start date, confirmed by the person who started it
    early_start_confirmed=Field(_l("Started before its start date (confirmed)"), format=as_date),
)
