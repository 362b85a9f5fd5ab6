"""Builders for test data. Each takes the test's session, commits, and returns the object."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from portal.accounts.models import User
from portal.gaps.models import ServiceGapReport
from portal.opinions.models import Consultation
from portal.trials.models import Enrollment, Evaluation, Question, Trial, TrialSegment

PASSWORD = "correct-horse-7"
# Hashing is slow on purpose; hash the shared test password once.
_PASSWORD_HASH = generate_password_hash(PASSWORD)
_seq = itertools.count(1)


def today() -> date:
    return date.today()


def make_user(s: Session, role: str = "member", **fields) -> User:
    n = next(_seq)
    values = dict(email=f"{role}{n}@example.com", name=f"{role.title()} {n}", role=role)
    if role == "member":
        values.update(segment="mobile", district="xuhui", phone="13800000000")
    values.update(fields)
    user = User(password_hash=_PASSWORD_HASH, **values)
    s.add(user)
    s.commit()
    return user


def make_trial(s: Session, segments=("mobile",), status: str = "recruiting", questions=None,
               **fields) -> Trial:
    """A trial open now, with its enrollment window around today. `questions` is a list of
    dicts of Question fields; by default one rating, one NPS and one optional free-text question."""
    t = today()
    values = dict(
        kind="product", title=f"Trial {next(_seq)}", description="A new **5G** plan.",
        capacity=10, auto_accept=False,
        enrollment_opens_on=t - timedelta(days=3), enrollment_closes_on=t + timedelta(days=10),
        starts_on=t - timedelta(days=1), ends_on=t + timedelta(days=30), status=status,
    )
    values.update(fields)
    trial = Trial(**values)
    trial.segments = [TrialSegment(segment=code) for code in segments]
    if questions is None:
        questions = [
            dict(kind="rating", prompt="How easy was it to set up?"),
            dict(kind="nps", prompt="How likely are you to recommend it?"),
            dict(kind="text", prompt="Anything else?", required=False),
        ]
    trial.questions = [
        Question(position=i, **{"required": True, "options": [], **q}) for i, q in enumerate(questions)
    ]
    s.add(trial)
    s.commit()
    return trial


def make_enrollment(s: Session, trial: Trial, member: User, status: str = "accepted") -> Enrollment:
    enrollment = Enrollment(trial_id=trial.id, member_id=member.id, status=status)
    s.add(enrollment)
    s.commit()
    return enrollment


def make_consultation(s: Session, status: str = "published", **fields) -> Consultation:
    t = today()
    values = dict(
        subject="service_standard", title=f"Consultation {next(_seq)}",
        body="Stores should answer within 10 minutes.",
        opens_on=t - timedelta(days=2), closes_on=t + timedelta(days=12), status=status,
    )
    values.update(fields)
    consultation = Consultation(**values)
    s.add(consultation)
    s.commit()
    return consultation


def make_gap_report(s: Session, member: User, **fields) -> ServiceGapReport:
    values = dict(
        member_id=member.id, channel="store", commitment="counter_service", district="xuhui",
        place="Xujiahui store", occurred_at=datetime.now(UTC) - timedelta(days=1),
        severity=2, title=f"Long queue {next(_seq)}", description="Waited 40 minutes.",
    )
    values.update(fields)
    report = ServiceGapReport(**values)
    s.add(report)
    s.commit()
    return report


def make_department(s: Session, a_contact: User | None = None, b_contact: User | None = None,
                    **fields):
    """A department; its A and B contacts are new office users unless given."""
    from portal.improvements.models import Department

    a_contact = a_contact or make_user(s, role="office")
    b_contact = b_contact or make_user(s, role="office")
    values = dict(name=f"Department {next(_seq)}", a_contact_id=a_contact.id,
                  b_contact_id=b_contact.id)
    values.update(fields)
    department = Department(**values)
    s.add(department)
    s.commit()
    return department


# Submissions made directly get strictly increasing times from here (lists read newest first).
SUBMISSION_BASE_TIME = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def make_submission(s: Session, member: User, submitted_at: datetime | None = None,
                    kind: str = "gap_report", commit: bool = True, **fields):
    """An inbox row as the triage inbox holds it, without a source row (for lists, filters,
    exports and dashboards). A gap report gets a channel, commitment and severity unless given;
    `submitted_at` defaults to one minute after the previous one made here."""
    from portal.triage.models import Submission

    n = next(_seq)
    values = dict(
        kind=kind, member_id=member.id, segment=member.segment, district=member.district,
        title=f"Submission {n}", description=f"Text {n}", status="new", tags=[],
        submitted_at=submitted_at or SUBMISSION_BASE_TIME + timedelta(minutes=n),
    )
    if kind == "gap_report":
        values.update(channel="store", commitment="counter_service", severity=2)
    values.update(fields)
    submission = Submission(**values)
    s.add(submission)
    if commit:
        s.commit()
    return submission


def make_gap_submission(s: Session, member: User, **report_fields):
    """A member's service-gap report together with its inbox row, as the report form makes them."""
    report = make_gap_report(s, member, **report_fields)
    return make_submission(
        s, member, submitted_at=report.created_at, kind="gap_report", gap_report_id=report.id,
        district=report.district, channel=report.channel, commitment=report.commitment,
        severity=report.severity, title=report.title, description=report.description,
    )


def make_item(s: Session, submissions=(), **fields):
    """An improvement item (proposed, normal priority unless given), linked to `submissions`."""
    from portal.improvements.models import ImprovementItem

    values = dict(title=f"Improvement {next(_seq)}", description="Shorten the queue.",
                  commitment="counter_service", priority="normal", status="proposed",
                  dmaic_phase="define")
    values.update(fields)
    item = ImprovementItem(**values)
    item.submissions = list(submissions)
    s.add(item)
    s.commit()
    return item


__all__ = [
    "PASSWORD", "make_consultation", "make_enrollment", "make_gap_report", "make_trial",
    "make_user", "Evaluation", "make_department", "make_item", "make_submission",
    "make_gap_submission", "SUBMISSION_BASE_TIME",
]
