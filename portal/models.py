"""Every model, imported in one place so alembic and the app see the whole schema."""
from portal.accounts.models import Invitation, LoginAttempt, User
from portal.db import Base
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.opinions.models import Consultation, Opinion
from portal.trials.models import (
    Answer, Enrollment, Evaluation, EvaluationVersion, Question, Trial, TrialSegment,
)

__all__ = [
    "Answer", "Base", "Consultation", "Enrollment", "Evaluation", "EvaluationVersion",
    "GapPhoto", "Invitation", "LoginAttempt", "Opinion", "Question", "ServiceGapReport",
    "Trial", "TrialSegment", "User",
]
