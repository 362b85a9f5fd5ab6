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


def make_shipment(s: Session, enrollment: Enrollment, **fields):
    """The terminal / SIM shipment of an accepted enrollment (nothing dispatched unless given)."""
    from portal.trials.logistics_models import Shipment

    values = dict(enrollment_id=enrollment.id, trial_id=enrollment.trial_id,
                  member_id=enrollment.member_id, kind="terminal", address="1 Test Road")
    values.update(fields)
    shipment = Shipment(**values)
    s.add(shipment)
    s.commit()
    return shipment


def make_fix_confirmation(s: Session, item, submission, fixed: bool = True, rating: int = 4,
                          comment: str = "", answered_at: datetime | None = None):
    """A member's answer to "Is it fixed for you?" about `item` and their `submission`."""
    from portal.improvements.confirmations import FixConfirmation

    at = answered_at or datetime.now(UTC)
    answer = FixConfirmation(item_id=item.id, submission_id=submission.id,
                             member_id=submission.member_id, fixed=fixed, rating=rating,
                             comment=comment, created_at=at, answered_at=at)
    s.add(answer)
    s.commit()
    return answer


__all__ = [
    "PASSWORD", "make_consultation", "make_enrollment", "make_gap_report", "make_trial",
    "make_user", "Evaluation", "make_department", "make_item", "make_submission",
    "make_gap_submission", "SUBMISSION_BASE_TIME", "make_shipment",
]


def make_profile(s: Session, member: User, completed_at: datetime | None = None, **fields):
    """A member profile (portal.accounts.profiles), completed now unless told otherwise."""
    from portal.accounts.profiles import MemberProfile

    profile = MemberProfile(member_id=member.id, services_used=fields.pop("services_used", []),
                            completed_at=completed_at or datetime.now(UTC), **fields)
    s.add(profile)
    s.commit()
    return profile


def make_privacy_notice(s: Session, version: str = "1", published_at: datetime | None = None,
                        text_zh: str = "我们如何处理您的个人信息。",
                        text_en: str = "How we handle your data."):
    """A published privacy notice version (portal.accounts.consent)."""
    from portal.accounts.consent import PrivacyNotice

    notice = PrivacyNotice(version=version, published_at=published_at or datetime.now(UTC),
                           text_zh=text_zh, text_en=text_en)
    s.add(notice)
    s.commit()
    return notice


def make_quota(s: Session, trial: Trial, places: int, segment: str | None = None,
               district: str | None = None):
    """A quota of a trial: at most `places` accepted members of the segment and/or district."""
    from portal.trials.models import TrialQuota

    quota = TrialQuota(trial_id=trial.id, segment=segment, district=district, places=places)
    s.add(quota)
    s.commit()
    return quota


def make_trial_invitation(s: Session, trial: Trial, member: User, invited_at: datetime | None = None):
    """A member invited to a trial from a sample (now unless told otherwise)."""
    from portal.trials.models import TrialInvitation

    invitation = TrialInvitation(trial_id=trial.id, member_id=member.id,
                                 invited_at=invited_at or datetime.now(UTC))
    s.add(invitation)
    s.commit()
    return invitation


def make_targeting(s: Session, trial: Trial, districts=(), **conditions) -> Trial:
    """Give a trial districts and profile conditions (handset_os=["android"], ...)."""
    from portal.trials.models import TrialCondition, TrialDistrict

    s.add_all(TrialDistrict(trial_id=trial.id, district=d) for d in districts)
    s.add_all(TrialCondition(trial_id=trial.id, attribute=name, value=v)
              for name, values in conditions.items() for v in values)
    s.commit()
    return trial


def make_rule(s: Session, trial: Trial, index: int, source_index: int, operator: str, values) -> Question:
    """Give the trial's question at `index` a show-if rule on the question at `source_index`
    (positions from 0), e.g. make_rule(s, trial, 1, 0, "le", ["6"])."""
    question, source = trial.questions[index], trial.questions[source_index]
    question.show_if_question_id = source.id
    question.show_if_operator = operator
    question.show_if_values = [str(v) for v in values]
    s.commit()
    return question


def make_opinion(s: Session, member: User, consultation: Consultation | None = None, **fields):
    """A member's opinion on `consultation` (a new published one unless given)."""
    from portal.opinions.models import Opinion

    consultation = consultation or make_consultation(s)
    values = dict(consultation_id=consultation.id, member_id=member.id, stance="support",
                  text=f"Opinion {next(_seq)}")
    values.update(fields)
    opinion = Opinion(**values)
    s.add(opinion)
    s.commit()
    return opinion


def send_received(app, model, source_id: int, **signal_kwargs):
    """`signals.submission_received` for a stored source row (Evaluation, ServiceGapReport or
    Opinion), in a request and one unit of work as the member-side services send it: the inbox
    row, the points and the theme counts follow. Returns nothing; read the results back."""
    from portal import signals
    from portal.db import db, unit_of_work

    with app.test_request_context(), unit_of_work():
        signals.submission_received.send(db.get(model, source_id), **signal_kwargs)


def make_letter(s: Session, unit, year: int | None = None, status: str = "draft", targets=None,
                tasks=()):
    """A responsibility letter of `unit` (this year unless given); `targets` maps a measure code
    to its target; `tasks` are (title, due_on, done_on) triples."""
    from portal.letters.models import KeyTask, LetterTarget, ResponsibilityLetter

    letter = ResponsibilityLetter(unit_id=unit.id, year=year or today().year, status=status,
                                  unit_head="Head" if status == "signed_off" else "",
                                  signed_off_at=datetime.now(UTC) if status == "signed_off" else None)
    letter.targets = [LetterTarget(measure=code, target=value) for code, value in (targets or {}).items()]
    letter.tasks = [KeyTask(title=title, due_on=due_on, done_on=done_on) for title, due_on, done_on in tasks]
    s.add(letter)
    s.commit()
    return letter


def make_classic_case(s: Session, item, lesson: str = "Call the customer back.", **fields):
    """An improvement item kept as a classic case (its title, unit, commitment and year copied)."""
    from portal.letters.models import ClassicCase

    values = dict(record_kind="item", record_id=item.id, title=item.title, unit_id=item.department_id,
                  commitment=item.commitment, year=today().year, lesson=lesson)
    values.update(fields)
    case = ClassicCase(**values)
    s.add(case)
    s.commit()
    return case


def make_unit(s: Session, kind: str = "department", district: str | None = None, **fields):
    """A unit (portal.supervision): a department, or a district branch of `district`; its A and
    B contacts are new users of the unit (office staff, or branch staff for a branch)."""
    from portal.improvements.models import Unit

    n = next(_seq)
    unit = Unit(name=fields.pop("name", f"Unit {n}"), kind=kind,
                district=district or ("xuhui" if kind == "district_branch" else None), **fields)
    s.add(unit)
    s.commit()
    role = "branch" if kind == "district_branch" else "office"
    unit.a_contact_id = make_user(s, role=role, unit_id=unit.id).id
    unit.b_contact_id = make_user(s, role=role, unit_id=unit.id).id
    s.commit()
    return unit


def make_support_request(s: Session, branch, department=None, **fields):
    """A support request filed by `branch`'s A contact, routed to `department` when given."""
    from portal.supervision.models import SupportRequest

    now = datetime.now(UTC)
    values = dict(title=f"Request {next(_seq)}", category="network", commitment="network_quality",
                  urgency="normal", branch_id=branch.id, filed_by_id=branch.a_contact_id,
                  status="new", filed_at=now)
    if department is not None:
        values.update(department_id=department.id, routed_by="filer", routed_at=now)
    values.update(fields)
    request = SupportRequest(**values)
    s.add(request)
    s.commit()
    return request
