"""Who may do what: the one place that knows roles.

Rules:
- Code and templates ask for a *capability* (``can("items.edit")``), never for a role. The
  table ``CAPABILITIES`` is the only mapping from capabilities to roles: a role change is one
  edit here.
- ``@requires(capability)`` guards a view: an anonymous visitor is sent to sign in, a signed-in
  user without the capability gets 403. Objects another user may not see answer 404 (their
  getters say so), so ids cannot be probed.
- Object scopes (``trial_scope``, ``consultation_scope``, ``submission_scope``) give the SQL
  condition of the rows a viewer may work on, ``None`` meaning "all of them". List queries add
  the condition; single-object getters check ``may_see_*`` on the loaded row. Every area asks
  these, so a product team's reach is decided here once.
"""
from __future__ import annotations

from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import and_, false, or_, select

MEMBER = "member"
PRODUCT = "product"
OFFICE = "office"
ADMIN = "admin"
# District-branch staff (区县分公司工作人员): they file support requests on the internal
# supervision hotline for their own unit (portal.supervision), and see nothing else of the staff
# side, so they are not in STAFF.
BRANCH = "branch"
ROLES = (MEMBER, PRODUCT, OFFICE, ADMIN, BRANCH)
STAFF = (PRODUCT, OFFICE, ADMIN)

# capability -> the roles that hold it. Scoped capabilities (marked "scoped") are further
# limited to the objects in the viewer's scope (see the scope functions below).
CAPABILITIES: dict[str, tuple[str, ...]] = {
    # Panel members
    "panel.take_part": (MEMBER,),              # apply to trials, evaluate, give opinions, report gaps
    # Staff in general
    "staff.home": STAFF,
    "members.view": (OFFICE, ADMIN),           # the member list and a member's record
    "members.manage": (OFFICE, ADMIN),         # pause / resume members, invitations
    # Trials (scoped: product teams reach the trials their team owns)
    "trials.view": STAFF,
    "trials.manage": (PRODUCT, ADMIN),         # create, edit, questionnaire, status, enrollments
    "trials.manage_owners": (PRODUCT, ADMIN),  # scoped: add co-owners; remove: see may_remove_owners
    "evaluations.view": STAFF,                 # scoped
    "results.view": STAFF,                     # scoped
    "results.export": STAFF,                   # scoped
    "logistics.manage": (PRODUCT, OFFICE, ADMIN),  # scoped: a trial's terminal / SIM shipments
    # Consultations (scoped like trials)
    "consultations.view": STAFF,
    "consultations.manage": STAFF,
    # Gap reports: every report, with photos and the member's contact
    "gaps.view_all": (OFFICE, ADMIN),
    # The triage inbox (scoped for product teams)
    "inbox.view": STAFF,
    "inbox.triage": STAFF,
    # Improvement items
    "items.view": STAFF,
    "items.edit": (OFFICE, ADMIN),
    "items.see_submissions": (OFFICE, ADMIN),
    "departments.manage": (ADMIN,),
    # Lists out of the portal
    "exports.download": (OFFICE, ADMIN),
    # Numbers
    "dashboard.view": (OFFICE, ADMIN),
    "panel.health": (OFFICE, ADMIN),           # panel health: participation, lapsing members
    "points.manage": (ADMIN,),                 # the points rules of recognition
    "index.view": STAFF,
    "index.edit": (ADMIN,),
    # Administration
    "staff_accounts.manage": (ADMIN,),
    "audit.view": (ADMIN,),
    "outbox.manage": (ADMIN,),                 # the email outbox: statuses, errors, send again
    "privacy.manage": (ADMIN,),                # publish a new version of the privacy notice
    # Yearly service-quality responsibility letters (portal.letters): every unit's staff read the
    # scoreboard and their own unit's letter (scoped: may_see_unit); the office runs them.
    "letters.view": (PRODUCT, OFFICE, ADMIN, BRANCH),
    "letters.manage": (OFFICE, ADMIN),         # letters, targets, key tasks, typed-in figures, sign-off
    "recognition.view": (PRODUCT, OFFICE, ADMIN, BRANCH),  # service stars, the classic-case library
    "recognition.manage": (OFFICE, ADMIN),     # name stars, mark classic cases
    # The internal supervision hotline (portal.supervision); scoped by support_request_scope
    "supervision.file": (BRANCH,),                           # file a request for one's own branch
    "supervision.view": (BRANCH, PRODUCT, OFFICE, ADMIN),    # scoped: own unit's requests
    "supervision.handle": (PRODUCT, OFFICE, ADMIN),          # scoped: accept / answer for own department
    "supervision.manage": (OFFICE, ADMIN),   # only the supervision office (see supervises_hotline)
}

# Roles whose reach over trials, consultations and the inbox is not limited to their own.
_SEE_ALL = (OFFICE, ADMIN)


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "role", None)


def role_of(user: Any) -> str | None:
    """The role whose capabilities `user` holds; None for a visitor."""
    return _role(user)


def can(capability: str, user: Any = None, obj: Any = None) -> bool:
    """May `user` (the signed-in user by default) use `capability`, on `obj` when given?"""
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")
    if user is None:
        user = current_user
    if _role(user) not in CAPABILITIES[capability]:
        return False
    if obj is None:
        return True
    return may_reach(user, obj)


def holders(capability: str) -> tuple[str, ...]:
    """The roles holding `capability` (for queries such as "every active staff user")."""
    return CAPABILITIES[capability]


def is_member(user: Any = None) -> bool:
    return can("panel.take_part", user)


def is_staff(user: Any = None) -> bool:
    return can("staff.home", user)


def sees_everything(user: Any = None) -> bool:
    """Office and admin reach every trial, consultation and submission."""
    return _role(current_user if user is None else user) in _SEE_ALL


def requires(capability: str):
    """Guard a view: sign-in first, then the capability (403 without it)."""
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from portal import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(capability):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_capability = capability  # read by the route-walking test
        return wrapped

    return decorator


def requires_login(view):
    """Guard a view any signed-in user may open (their own profile, notifications)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from portal import login_manager

        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapped.required_capability = None
    return wrapped


# ---------------------------------------------------------------------------------------------
# Object scopes: which trials, consultations and submissions a staff user works on.


def trial_scope(user: Any):
    """SQL condition on Trial of the trials `user` reaches; None means all of them."""
    from portal.trials.models import Trial

    role = _role(user)
    if role in _SEE_ALL:
        return None
    if role == PRODUCT:
        return Trial.id.in_(_owned_trial_ids(user))
    return false()


def _owned_trial_ids(user: Any):
    """The ids of the trials whose owning team `user` is in (reads ix_trial_owners_user_trial)."""
    from portal.trials.models import TrialOwner

    return select(TrialOwner.trial_id).where(TrialOwner.user_id == user.id)


def owns_trial(user: Any, trial: Any) -> bool:
    """Is `user` in `trial`'s owning team? The loaded `owners` when they are, else one query."""
    loaded = trial.__dict__.get("owners")
    if loaded is not None:
        return any(owner.user_id == user.id for owner in loaded)
    from portal.db import db
    from portal.trials.models import TrialOwner

    return db.scalar(select(TrialOwner.id).where(
        TrialOwner.trial_id == trial.id, TrialOwner.user_id == user.id)) is not None


def trial_owner_roles() -> tuple[str, ...]:
    """The roles a trial's owning team is made of: those who manage trials but reach only their
    own (an owner is who they reach)."""
    return tuple(r for r in CAPABILITIES["trials.manage"] if r not in _SEE_ALL)


def may_remove_owners(user: Any, trial: Any) -> bool:
    """Owners add co-owners; only the trial's creator (or whoever manages owners of every trial)
    removes one. The creator themselves is never removed (trials.services says so)."""
    if not can("trials.manage_owners", user, trial):
        return False
    return _role(user) in _SEE_ALL or trial.created_by_id == user.id


def consultation_scope(user: Any):
    """SQL condition on Consultation of the consultations `user` manages; None means all."""
    from portal.opinions.models import Consultation

    role = _role(user)
    if role in _SEE_ALL:
        return None
    if role == PRODUCT:
        return Consultation.created_by_id == user.id
    return false()


def submission_scope(user: Any, on: Any = None):
    """SQL condition on Submission of the inbox rows `user` may see; None means all.

    Product teams see the evaluations of their trials and the opinions of their consultations,
    never gap reports. `on` puts the condition on another table with the same `kind`,
    `trial_id` and `consultation_id` columns (the inbox's facet counts)."""
    from portal.opinions.models import Consultation
    from portal.triage.models import Submission
    from portal.trials.models import Trial

    if on is None:
        on = Submission

    role = _role(user)
    if role in _SEE_ALL:
        return None
    if role == PRODUCT:
        own_trials = select(Trial.id).where(trial_scope(user))
        own_consultations = select(Consultation.id).where(consultation_scope(user))
        return or_(
            and_(on.kind == "evaluation", on.trial_id.in_(own_trials)),
            and_(on.kind == "opinion", on.consultation_id.in_(own_consultations)),
        )
    return false()


def may_reach(user: Any, obj: Any) -> bool:
    """Is `obj` (a trial, consultation, submission or evaluation) in `user`'s scope?"""
    from portal.opinions.models import Consultation
    from portal.triage.models import Submission
    from portal.trials.models import Evaluation, Trial

    role = _role(user)
    if role in _SEE_ALL:
        return True
    if role != PRODUCT:
        return False
    if isinstance(obj, Trial):
        return owns_trial(user, obj)
    if isinstance(obj, Consultation):
        return obj.created_by_id == user.id
    if isinstance(obj, Evaluation):
        return obj.trial is not None and may_reach(user, obj.trial)
    if isinstance(obj, Submission):
        if obj.kind == "evaluation" and obj.trial_id is not None:
            from portal.db import db

            trial = db.get(Trial, obj.trial_id)
            return trial is not None and may_reach(user, trial)
        if obj.kind == "opinion" and obj.consultation_id is not None:
            from portal.db import db

            consultation = db.get(Consultation, obj.consultation_id)
            return consultation is not None and may_reach(user, consultation)
        return False
    return True


def supervises_hotline(user: Any = None) -> bool:
    """The supervision office of the hotline: an administrator, or service-office staff outside
    every unit (a department's contacts hold the office role too, but supervise nothing)."""
    user = current_user if user is None else user
    if not can("supervision.manage", user):
        return False
    return _role(user) == ADMIN or getattr(user, "unit_id", None) is None


def support_request_scope(user: Any):
    """SQL condition on SupportRequest of the requests `user` reaches; None means all of them:
    the supervision office all, anyone else those filed by or routed to their own unit."""
    from portal.supervision.models import SupportRequest

    if supervises_hotline(user):
        return None
    if not can("supervision.view", user):
        return false()
    unit_id = getattr(user, "unit_id", None)
    reach = SupportRequest.department_id.in_(_contact_of(user))
    if unit_id is None:
        return reach
    return or_(SupportRequest.branch_id == unit_id, SupportRequest.department_id == unit_id, reach)


def _contact_of(user: Any):
    """The ids of the units `user` is the A or B contact of (a contact may serve several)."""
    from portal.improvements.models import Department

    return select(Department.id).where(
        or_(Department.a_contact_id == user.id, Department.b_contact_id == user.id))


def is_unit_contact(user: Any, unit_id: int | None) -> bool:
    """Does `user` belong to the unit `unit_id`, or serve as its A or B contact?"""
    if unit_id is None:
        return False
    if getattr(user, "unit_id", None) == unit_id:
        return True
    from portal.db import db
    from portal.improvements.models import Department

    unit = db.get(Department, unit_id)
    return unit is not None and user.id in (unit.a_contact_id, unit.b_contact_id)


def may_see_support_request(user: Any, request: Any) -> bool:
    if supervises_hotline(user):
        return True
    return can("supervision.view", user) and (
        is_unit_contact(user, request.branch_id) or is_unit_contact(user, request.department_id))


# A member's contact details reach a trial's owning team from acceptance until this many days
# after the trial's end date (PIPL: no longer than the shipments and returns need them).
CONTACT_DAYS_AFTER_END = 30


def may_see_contact(viewer: Any, member: Any, trial: Any, *, field: str = "address",
                    accepted: bool = True, today: Any = None) -> bool:
    """May `viewer` see `member`'s contact detail `field` ("phone" or "address") in the work of
    `trial`, in which the member is `accepted` (or holds a shipment)?

    The member always sees their own. Office and admin see the phone as on the member's record
    (``members.view``) and the shipping address always. Product staff see either only as the
    trial's owning team, only for a member accepted in it, and only until
    CONTACT_DAYS_AFTER_END days after its end date (Shanghai's today)."""
    from datetime import timedelta

    from portal.domain import shanghai_today

    if getattr(viewer, "id", None) is not None and viewer.id == getattr(member, "id", None):
        return True
    role = _role(viewer)
    if role in _SEE_ALL:
        return field == "address" or can("members.view", viewer)
    if not accepted or not can("logistics.manage", viewer, trial):
        return False
    today = today or shanghai_today()
    return today <= trial.ends_on + timedelta(days=CONTACT_DAYS_AFTER_END)


def may_see_unit(user: Any, unit_id: int | None) -> bool:
    """May `user` read a unit's letter and the records behind its figures? Office and admin
    every unit's; other staff their own unit's (users.unit_id)."""
    if not can("letters.view", user):
        return False
    if _role(user) in _SEE_ALL:
        return True
    return unit_id is not None and getattr(user, "unit_id", None) == unit_id


def init_app(app) -> None:
    app.jinja_env.globals["can"] = can
