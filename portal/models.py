"""Every model, imported in one place so alembic and the app see the whole schema."""
from portal.accounts.consent import ConsentRecord, PrivacyNotice
from portal.accounts.models import Invitation, LoginAttempt, User
from portal.accounts.profiles import MemberProfile
from portal.audit.models import AuditEntry
from portal.dashboards.models import GapReportDay, SubmissionDay
from portal.db import Base
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.home.models import MemberCount  # noqa: F401  (the member home's counts)
from portal.idempotency import FormToken
from portal.improvements.confirmations import FixConfirmation, FixQuestion  # noqa: F401  (members confirm fixes)
from portal.improvements.models import Department, ImprovementItem
from portal.index.models import IndexFigure, IndexPeriod
from portal.letters.models import ResponsibilityLetter  # noqa: F401  (letters, stars, cases: the whole module)
from portal.notifications.models import Notification, NotificationPreference, OutboxEmail
from portal.opinions.models import Consultation, Opinion
from portal.panel.models import PointsEntry  # noqa: F401  (panel health and points: the whole module)
from portal.supervision.models import SupportRequest  # noqa: F401  (the supervision hotline: the module)
from portal.themes.models import ThemeDay, ThemeDocument  # noqa: F401  (what members are saying)
from portal.triage.models import InboxTotal, InternalNote, Submission, submission_items  # noqa: F401
from portal.trials.logistics_models import Shipment  # noqa: F401  (terminal / SIM logistics)
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
    "Answer", "AuditEntry", "Base", "ConsentRecord", "Consultation", "Department", "Enrollment", "Evaluation",
    "EvaluationVersion", "FormToken", "GapPhoto", "GapReportDay", "ImprovementItem", "IndexFigure",
    "IndexPeriod", "InternalNote", "Invitation", "LoginAttempt", "MemberProfile", "Notification",
    "NotificationPreference", "Opinion", "OutboxEmail", "PrivacyNotice", "Question", "ServiceGapReport",
    "Submission", "SubmissionDay", "Trial", "TrialOwner", "TrialSegment", "User", "submission_items",
]
