"""Every model, imported in one place so alembic and the app see the whole schema."""
from portal.accounts.models import Invitation, LoginAttempt, User
from portal.audit.models import AuditEntry
from portal.dashboards.models import GapReportDay, SubmissionDay
from portal.db import Base
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.idempotency import FormToken
from portal.improvements.models import Department, ImprovementItem
from portal.index.models import IndexFigure, IndexPeriod
from portal.notifications.models import Notification, NotificationPreference, OutboxEmail
from portal.opinions.models import Consultation, Opinion
from portal.triage.models import InternalNote, Submission, submission_items
from portal.trials.models import (
    Answer,
    Enrollment,
    Evaluation,
    EvaluationVersion,
    Question,
    Trial,
    TrialOwner,
    TrialSegment,
)

__all__ = [
    "Answer", "AuditEntry", "Base", "Consultation", "Department", "Enrollment", "Evaluation",
    "EvaluationVersion", "FormToken", "GapPhoto", "GapReportDay", "ImprovementItem", "IndexFigure",
    "IndexPeriod", "InternalNote", "Invitation", "LoginAttempt", "Notification",
    "NotificationPreference", "Opinion", "OutboxEmail", "Question", "ServiceGapReport", "Submission",
    "SubmissionDay", "Trial", "TrialOwner", "TrialSegment", "User", "submission_items",
]
