from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    insert,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow


class Trial(Base):
    """A new business, product, service or terminal that panel members try and evaluate.

    Its owning team (`owners`) are the product staff who reach it; the creator is the first
    owner (see `_creator_owns`). `version` guards against lost updates: a save from a form opened
    at an older version is refused (`portal.errors.Conflict`)."""

    __tablename__ = "trials"
    __table_args__ = (
        CheckConstraint("kind IN ('business','product','service','terminal')", name="kind"),
        CheckConstraint("status IN ('draft','recruiting','running','closed')", name="status"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        Index("ix_trials_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    # Markdown as typed; rendered and sanitized on output (portal.text.render_markdown).
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    enrollment_opens_on: Mapped[date] = mapped_column(Date)
    enrollment_closes_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    segments: Mapped[list[TrialSegment]] = relationship(
        back_populates="trial", cascade="all, delete-orphan", lazy="selectin"
    )
    # Targeting beyond the segments (portal.trials.targeting): none means every district / any
    # profile. Loaded when first read (lists filter on them in SQL; only one trial's pages and
    # actions read them).
    districts: Mapped[list[TrialDistrict]] = relationship(
        back_populates="trial", cascade="all, delete-orphan"
    )
    conditions: Mapped[list[TrialCondition]] = relationship(
        back_populates="trial", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="trial", cascade="all, delete-orphan", order_by="Question.position"
    )
    created_by: Mapped[User | None] = relationship()
    owners: Mapped[list[TrialOwner]] = relationship(
        back_populates="trial", cascade="all, delete-orphan",
        order_by=lambda: (TrialOwner.added_at, TrialOwner.id),
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def segment_codes(self) -> list[str]:
        return sorted(s.segment for s in self.segments)

    @property
    def district_codes(self) -> list[str]:
        return sorted(d.district for d in self.districts)

    def condition_values(self, attribute: str) -> list[str]:
        """The profile values `attribute` must have (empty: any)."""
        return sorted(c.value for c in self.conditions if c.attribute == attribute)


class TrialOwner(Base):
    """A member of a trial's owning team: a product staff user who reaches and manages it."""

    __tablename__ = "trial_owners"
    __table_args__ = (
        UniqueConstraint("trial_id", "user_id"),
        # "which trials does this user own" (trial_scope) reads this index alone.
        Index("ix_trial_owners_user_trial", "user_id", "trial_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trial: Mapped[Trial] = relationship(back_populates="owners")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])


@event.listens_for(Trial, "after_insert")
def _creator_owns(_mapper, connection, trial: Trial) -> None:
    """The creator of a trial is its first owner, however the trial is made (the staff form,
    the demo data, a test), in the same transaction as the trial itself."""
    if trial.created_by_id is None:
        return
    creator = trial.__dict__.get("created_by")
    given = trial.__dict__.get("owners") or []
    if any(o.user_id == trial.created_by_id or (creator is not None and o.__dict__.get("user") is creator)
           for o in given):
        return  # made with its owners already
    connection.execute(insert(TrialOwner.__table__).values(
        trial_id=trial.id, user_id=trial.created_by_id, added_by_id=trial.created_by_id,
        added_at=utcnow(),
    ))


class TrialSegment(Base):
    """A segment a trial is open to (a row per segment, so members' lists filter by index)."""

    __tablename__ = "trial_segments"

    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), primary_key=True)
    segment: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)

    trial: Mapped[Trial] = relationship(back_populates="segments")


class TrialDistrict(Base):
    """A district a trial is open to (none: every district); a row per district, as segments."""

    __tablename__ = "trial_districts"

    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), primary_key=True)
    district: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)

    trial: Mapped[Trial] = relationship(back_populates="districts")


class TrialCondition(Base):
    """One accepted value of a member-profile attribute (handset OS, network generation, plan
    type). A trial with rows for an attribute is open only to members whose profile has one of
    those values; without rows for it, to any."""

    __tablename__ = "trial_conditions"
    __table_args__ = (
        CheckConstraint("attribute IN ('handset_os','network_generation','plan_type')",
                        name="attribute"),
    )

    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), primary_key=True)
    attribute: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(16), primary_key=True)

    trial: Mapped[Trial] = relationship(back_populates="conditions")


class TrialQuota(Base):
    """At most `places` accepted members of a segment, of a district, or of both, in a trial.
    A member counts in (and must find room in) every quota they match."""

    __tablename__ = "trial_quotas"
    __table_args__ = (
        CheckConstraint("places > 0", name="places"),
        CheckConstraint("segment IS NOT NULL OR district IS NOT NULL", name="segment_or_district"),
        Index("ix_trial_quotas_trial", "trial_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    segment: Mapped[str | None] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(16))
    places: Mapped[int] = mapped_column(Integer)


class TrialInvitation(Base):
    """A member drawn in a sample and invited to a trial: they hear of it and may apply even
    when the trial's targeting would not show it to them."""

    __tablename__ = "trial_invitations"
    __table_args__ = (
        UniqueConstraint("trial_id", "member_id"),
        # "invited to any trial in the last 30 days" (the sample's exclusion) reads this index.
        Index("ix_trial_invitations_member_invited", "member_id", "invited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('rating','nps','single','multiple','yesno','text')", name="kind"
        ),
        Index("ix_questions_trial_position", "trial_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(String(500))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # The options of a single or multiple choice question, in display order.
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The optional English text (portal.trials.questionnaire.localized): members reading English
    # see it, falling back to the Chinese above. `options_en` is parallel to `options`; answers
    # always store the Chinese option.
    prompt_en: Mapped[str] = mapped_column(String(500), default="", server_default="")
    help_text_en: Mapped[str] = mapped_column(String(500), default="", server_default="")
    options_en: Mapped[list[str] | None] = mapped_column(JSON)
    # Show-if rule (portal.trials.questionnaire): shown only when the answer to an EARLIER
    # question of the same trial meets `operator` ('eq','ne','in','le','ge') with `values`
    # (strings; one whole number for rating and NPS). A plain id, not a foreign key: SQLite could
    # add one only by copying the questions table that answers reference; the builder refuses
    # deleting a question a rule depends on instead.
    show_if_question_id: Mapped[int | None] = mapped_column(Integer)
    show_if_operator: Mapped[str | None] = mapped_column(String(8))
    show_if_values: Mapped[list[str] | None] = mapped_column(JSON)
    # Guards its edit form against lost updates. Reordering writes `position` without it (see
    # trials.services.renumber), so moving questions never makes an open edit form stale.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    trial: Mapped[Trial] = relationship(back_populates="questions")

    __mapper_args__ = {"version_id_col": version}


class Enrollment(Base):
    """A member's application to a trial and what became of it."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("trial_id", "member_id"),
        CheckConstraint(
            "status IN ('applied','accepted','declined','withdrawn')", name="status"
        ),
        Index("ix_enrollments_trial_status", "trial_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="applied")
    motivation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    trial: Mapped[Trial] = relationship()
    member: Mapped[User] = relationship(foreign_keys=[member_id])


class Evaluation(Base):
    """One member's structured evaluation of one trial: a working copy plus submitted versions."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("trial_id", "member_id"),
        CheckConstraint("status IN ('draft','submitted')", name="status"),
        CheckConstraint(
            "triage_status IN ('new','in_review','linked','duplicate','no_action')",
            name="triage_status",
        ),
        Index("ix_evaluations_trial_status", "trial_id", "status"),
        Index("ix_evaluations_submitted_at", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # How many times it has been submitted; each submission is kept in evaluation_versions.
    version: Mapped[int] = mapped_column(Integer, default=0)
    triage_status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trial: Mapped[Trial] = relationship()
    member: Mapped[User] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan"
    )
    versions: Mapped[list[EvaluationVersion]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan",
        order_by="EvaluationVersion.version",
    )


class Answer(Base):
    """The current answer to one question. Numbers (rating, NPS, yes=1/no=0) go in `number`,
    a single choice or free text in `text`, the options picked in a multiple choice in `choices`,
    so statistics can aggregate in SQL."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("evaluation_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    number: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    choices: Mapped[list[str] | None] = mapped_column(JSON)

    evaluation: Mapped[Evaluation] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class EvaluationVersion(Base):
    """A frozen copy of an evaluation as it was submitted, so amendments never erase history."""

    __tablename__ = "evaluation_versions"
    __table_args__ = (UniqueConstraint("evaluation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {question_id: {"prompt": ..., "kind": ..., "number"|"text"|"choices": ...}}
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)

    evaluation: Mapped[Evaluation] = relationship(back_populates="versions")
