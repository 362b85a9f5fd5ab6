"""The kinds of notices: who may receive them, how they read, where they lead. The one place.

Rules:
- A notice stores its `kind` and the objects it points to (`About`); its words are composed
  when shown or mailed, in the reader's language, by the kind's functions below. An in-app
  notice and its email say the same sentence (`text`); the email adds a subject, details and a
  quoted text (the resolution note).
- Each kind belongs to a *topic*: the unit of the email preferences ("decisions on my
  applications" covers accepted, declined and waitlisted). A topic names the capability its
  recipients hold, so the preferences page offers exactly the topics that apply to a person.
- Members never see internal details: an item reaches them only as its department, status and
  resolution note, never its title.
- `target` gives an endpoint and its values (not a path), so the site's links follow its own
  prefix and emails follow PUBLIC_BASE_URL.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal, gettext as _, lazy_gettext as _l

from portal import domain


@dataclass
class About:
    """What a notice points to, loaded (any of them may be None)."""

    trial: Any = None
    consultation: Any = None
    submission: Any = None
    item: Any = None
    export_job: Any = None
    support_request: Any = None

    def ids(self) -> dict[str, int | None]:
        return {
            "trial_id": getattr(self.trial, "id", None),
            "consultation_id": getattr(self.consultation, "id", None),
            "submission_id": getattr(self.submission, "id", None),
            "item_id": getattr(self.item, "id", None),
            "export_job_id": getattr(self.export_job, "id", None),
            "support_request_id": getattr(self.support_request, "id", None),
        }


Target = tuple[str, dict[str, Any]] | None


@dataclass(frozen=True)
class Topic:
    code: str
    label: Any
    capability: str  # the recipients hold it: the preferences page shows the topic to them


@dataclass(frozen=True)
class Kind:
    code: str
    topic: str
    text: Callable[[About], str]          # the notice in one sentence
    subject: Callable[[About], str]       # the email's subject
    target: Callable[[About], Target]     # where its link leads
    action: Any                            # the link's words
    details: Callable[[About], list[tuple[str, str]]] = field(default=lambda about: [])
    quote: Callable[[About], tuple[str, str] | None] = field(default=lambda about: None)


TOPICS: dict[str, Topic] = {t.code: t for t in (
    Topic("enrollment", _l("Decisions on my applications to trials"), "panel.take_part"),
    Topic("trial_started", _l("A trial I take part in has started"), "panel.take_part"),
    Topic("evaluation_reminder", _l("Reminders to evaluate a trial before it ends"), "panel.take_part"),
    Topic("return_reminder", _l("Reminders to return a trial's terminal or SIM card"), "panel.take_part"),
    Topic("new_opportunities", _l("New trials and consultations open to me"), "panel.take_part"),
    Topic("item_outcome", _l("What became of my submissions"), "panel.take_part"),
    Topic("submission_assigned", _l("A submission is assigned to me"), "inbox.triage"),
    Topic("item_for_department", _l("A new improvement item for my department (A contact)"),
          "items.view"),
    Topic("item_due_soon", _l("Improvement items of my department due soon (A contact)"), "items.view"),
    Topic("item_overdue", _l("Overdue improvement items of my department (B contact)"), "items.view"),
    Topic("export_ready", _l("My exports are ready to download"), "exports.download"),
    Topic("support_request", _l("Support requests of my unit on the internal supervision hotline"),
          "supervision.view"),
)}


# ---------------------------------------------------------------------------------------------
# Pieces the kinds share


def one_line(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _day(value: date | None) -> str:
    return format_date(value) if value else "—"


def _title(obj: Any, limit: int = 120) -> str:
    return one_line(getattr(obj, "title", ""), limit)


def _department(about: About) -> str:
    department = getattr(about.item, "department", None)
    return department.name if department is not None else ""


def _trial_page(about: About) -> Target:
    return ("trials.member_detail", {"trial_id": about.trial.id}) if about.trial else None


def _evaluation_page(about: About) -> Target:
    return ("trials.evaluation_form", {"trial_id": about.trial.id}) if about.trial else None


def _item_page(about: About) -> Target:
    return ("improvements.item_detail", {"item_id": about.item.id}) if about.item else None


def submission_target(submission: Any) -> Target:
    """The member's own page of the source row of `submission`."""
    if submission is None:
        return None
    if submission.kind == "gap_report":
        return "gaps.member_detail", {"report_id": submission.gap_report_id}
    if submission.kind == "opinion":
        return "opinions.member_detail", {"consultation_id": submission.consultation_id}
    return "trials.evaluation_form", {"trial_id": submission.trial_id}


def _question_page(about: About) -> Target:
    """The member's question "Is it fixed for you?" while the item is done."""
    if about.item is None or about.submission is None or about.item.status != "done":
        return None
    return "improvements.confirm_fix", {"item_id": about.item.id, "submission_id": about.submission.id}


def _outcome_text(about: About) -> str:
    text = _("Your submission “%(title)s” has an outcome: %(status)s.", title=_title(about.submission),
             status=domain.ITEM_STATUSES.get(getattr(about.item, "status", ""), "—"))
    if _question_page(about):
        text = f"{text} {_('Is it fixed for you? Please tell us.')}"
    return text


def _trial_dates(about: About) -> list[tuple[str, str]]:
    trial = about.trial
    if trial is None:
        return []
    return [(_("Runs from"), _("%(start)s to %(end)s", start=_day(trial.starts_on), end=_day(trial.ends_on)))]


def _application_dates(about: About) -> list[tuple[str, str]]:
    trial = about.trial
    if trial is None:
        return []
    return [
        (_("Kind"), str(domain.TRIAL_KINDS.get(trial.kind, trial.kind))),
        (_("Applications open"), _("%(start)s to %(end)s", start=_day(trial.enrollment_opens_on),
                              end=_day(trial.enrollment_closes_on))),
        *_trial_dates(about),
    ]


def _consultation_details(about: About) -> list[tuple[str, str]]:
    c = about.consultation
    if c is None:
        return []
    return [
        (_("Subject"), str(domain.CONSULTATION_SUBJECTS.get(c.subject, c.subject))),
        (_("Open for opinions"), _("%(start)s to %(end)s", start=_day(c.opens_on), end=_day(c.closes_on))),
    ]


def _outcome_details(about: About) -> list[tuple[str, str]]:
    rows = []
    if about.item is not None:
        rows.append((_("Outcome"), str(domain.ITEM_STATUSES.get(about.item.status, about.item.status))))
    if _department(about):
        rows.append((_("Department"), _department(about)))
    return rows


def _resolution(about: About) -> tuple[str, str] | None:
    note = getattr(about.item, "resolution_note", "") or ""
    return (_("What was done:"), note) if note.strip() else None


def _item_details(about: About) -> list[tuple[str, str]]:
    item = about.item
    if item is None:
        return []
    rows = [(_("Status"), str(domain.ITEM_STATUSES.get(item.status, item.status))),
            (_("Priority"), str(domain.PRIORITIES.get(item.priority, item.priority)))]
    if item.due_on:
        rows.append((_("Due on"), _day(item.due_on)))
    return rows


def _export_details(about: About) -> list[tuple[str, str]]:
    job = about.export_job
    if job is None:
        return []
    kept = job.expires_at.astimezone(domain.SHANGHAI).date() if job.expires_at else None
    return [(_("List"), str(domain.EXPORT_LISTS.get(job.list, job.list))),
            (_("Format"), job.format.upper()),
            (_("Rows"), format_decimal(job.rows_done)),
            (_("Kept until"), _day(kept))]


def _submission_details(about: About) -> list[tuple[str, str]]:
    sub = about.submission
    if sub is None:
        return []
    return [(_("Kind"), str(domain.SUBMISSION_KINDS.get(sub.kind, sub.kind)))]


# ---------------------------------------------------------------------------------------------
# The kinds

# --- the internal supervision hotline (portal.supervision) -------------------------------------
SUPPORT_REQUEST_SENTENCES = {
    "support_request_new": _l("A support request for your department: “%(title)s”."),
    "support_request_unrouted": _l("The support request “%(title)s” needs a department: no routing "
                                   "rule matches."),
    "support_request_overdue_b": _l("The support request “%(title)s” was not accepted in time: as "
                                    "the B contact, please see to it."),
    "support_request_overdue_office": _l("The support request “%(title)s” is still not accepted, "
                                         "although its B contact was told."),
    "support_request_accepted": _l("The department accepted your support request “%(title)s”."),
    "support_request_answered": _l("The department answered your support request “%(title)s”: "
                                   "please confirm it or send it back."),
    "support_request_sent_back": _l("The district branch sent the answer to “%(title)s” back."),
    "support_request_confirmed": _l("The district branch confirmed the answer to “%(title)s”."),
}


def _support_text(sentence: Any, limit: int = 120) -> Callable[[About], str]:
    return lambda a: str(sentence) % {"title": _title(a.support_request, limit)}


def _support_page(about: About) -> Target:
    request = about.support_request
    return ("supervision.request_detail", {"request_id": request.id}) if request else None


def _support_details(about: About) -> list[tuple[str, str]]:
    request = about.support_request
    if request is None:
        return []
    return [(_("Urgency"), str(domain.SUPPORT_URGENCIES.get(request.urgency, request.urgency))),
            (_("Status"), str(domain.SUPPORT_STATUSES.get(request.status, request.status)))]


_KIND_LIST = (
    # --- members ---------------------------------------------------------------------------------
    Kind("enrollment_accepted", "enrollment",
         text=lambda a: _("You are accepted in the trial “%(title)s”.", title=_title(a.trial)),
         subject=lambda a: _("Accepted in the trial “%(title)s”", title=_title(a.trial, 80)),
         target=_trial_page, action=_l("See the trial"), details=_trial_dates),
    Kind("enrollment_declined", "enrollment",
         text=lambda a: _("Your application to the trial “%(title)s” was not accepted this time.",
                          title=_title(a.trial)),
         subject=lambda a: _("Your application to the trial “%(title)s”", title=_title(a.trial, 80)),
         target=_trial_page, action=_l("See the trial")),
    Kind("enrollment_waitlisted", "enrollment",
         text=lambda a: _("You are on the waiting list of the trial “%(title)s”: you will hear from "
                          "us when a place becomes free.", title=_title(a.trial)),
         subject=lambda a: _("Waiting list of the trial “%(title)s”", title=_title(a.trial, 80)),
         target=_trial_page, action=_l("See the trial")),
    Kind("trial_started", "trial_started",
         text=lambda a: _("The trial “%(title)s” has started. Please send your evaluation by %(date)s.",
                          title=_title(a.trial), date=_day(getattr(a.trial, "ends_on", None))),
         subject=lambda a: _("The trial “%(title)s” has started", title=_title(a.trial, 80)),
         target=_evaluation_page, action=_l("Evaluate the trial"), details=_trial_dates),
    Kind("evaluation_reminder", "evaluation_reminder",
         text=lambda a: _("The trial “%(title)s” ends on %(date)s and your evaluation has not arrived "
                          "yet.", title=_title(a.trial), date=_day(getattr(a.trial, "ends_on", None))),
         subject=lambda a: _("Reminder: please evaluate the trial “%(title)s”", title=_title(a.trial, 80)),
         target=_evaluation_page, action=_l("Evaluate the trial")),
    Kind("return_overdue", "return_reminder",
         text=lambda a: _("Please return the terminal or SIM card of the trial “%(title)s”: its return "
                          "date has passed.", title=_title(a.trial)),
         subject=lambda a: _("Reminder: please return what the trial “%(title)s” lent you",
                             title=_title(a.trial, 80)),
         target=lambda a: (("trials.member_detail", {"trial_id": a.trial.id})
                           if a.trial else None),
         action=_l("See the return date"), details=_trial_dates),
    Kind("trial_open", "new_opportunities",
         text=lambda a: _("A new trial is open to you: “%(title)s”.", title=_title(a.trial)),
         subject=lambda a: _("New trial: %(title)s", title=_title(a.trial, 80)),
         target=_trial_page, action=_l("See the trial"), details=_application_dates),
    Kind("trial_invited", "new_opportunities",
         text=lambda a: _("You are invited to take part in the trial “%(title)s”.", title=_title(a.trial)),
         subject=lambda a: _("Invitation to the trial “%(title)s”", title=_title(a.trial, 80)),
         target=_trial_page, action=_l("See the trial"), details=_application_dates),
    Kind("consultation_open", "new_opportunities",
         text=lambda a: _("A new consultation asks for your opinion: “%(title)s”.",
                          title=_title(a.consultation)),
         subject=lambda a: _("New consultation: %(title)s", title=_title(a.consultation, 80)),
         target=lambda a: (("opinions.member_detail", {"consultation_id": a.consultation.id})
                           if a.consultation else None),
         action=_l("Give your opinion"), details=_consultation_details),
    # While the item is done, the notice also asks "Is it fixed for you?" and leads to the
    # question (portal.improvements.confirmations); once verified, to the submission.
    Kind("item_closed", "item_outcome",
         text=lambda a: _outcome_text(a),
         subject=lambda a: _("The outcome of your submission “%(title)s”", title=_title(a.submission, 80)),
         target=lambda a: _question_page(a) or submission_target(a.submission),
         action=_l("See the outcome"), details=_outcome_details, quote=_resolution),
    # Done again after the member had answered: asked once more (once per time it is done).
    Kind("fix_question", "item_outcome",
         text=lambda a: _("We worked again on your submission “%(title)s”. Is it fixed for you now?",
                          title=_title(a.submission)),
         subject=lambda a: _("Is it fixed for you now? Your submission “%(title)s”",
                             title=_title(a.submission, 80)),
         target=lambda a: _question_page(a) or submission_target(a.submission),
         action=_l("Tell us"), details=_outcome_details, quote=_resolution),
    Kind("item_verified", "item_outcome",
         text=lambda a: _("The outcome of your submission “%(title)s” has been verified.",
                          title=_title(a.submission)),
         subject=lambda a: _("Verified: the outcome of your submission “%(title)s”",
                             title=_title(a.submission, 80)),
         target=lambda a: submission_target(a.submission), action=_l("See your submission"),
         details=_outcome_details, quote=_resolution),
    # A lapsing member (no activity for 90 days) asked back by the service office (portal.panel).
    Kind("re_engage", "new_opportunities",
         text=lambda a: _("We have not heard from you for a while: trials and consultations open to "
                          "you are waiting for your opinion."),
         subject=lambda a: _("Your opinion is missed in the customer panel"),
         target=lambda a: ("trials.member_list", {}), action=_l("See the open trials")),
    # --- staff -----------------------------------------------------------------------------------
    Kind("submission_assigned", "submission_assigned",
         text=lambda a: _("A submission is assigned to you: “%(title)s”.", title=_title(a.submission)),
         subject=lambda a: _("Assigned to you: %(title)s", title=_title(a.submission, 80)),
         target=lambda a: ("triage.detail", {"submission_id": a.submission.id}) if a.submission else None,
         action=_l("See the submission"), details=_submission_details),
    Kind("item_for_department", "item_for_department",
         text=lambda a: _("A new improvement item for %(department)s: “%(title)s”.",
                          department=_department(a), title=_title(a.item)),
         subject=lambda a: _("New improvement item: %(title)s", title=_title(a.item, 80)),
         target=_item_page, action=_l("See the item"), details=_item_details),
    Kind("item_due_soon", "item_due_soon",
         text=lambda a: _("The improvement item “%(title)s” of %(department)s is due on %(date)s.",
                          title=_title(a.item), department=_department(a),
                          date=_day(getattr(a.item, "due_on", None))),
         subject=lambda a: _("Due soon: %(title)s", title=_title(a.item, 80)),
         target=_item_page, action=_l("See the item"), details=_item_details),
    Kind("item_overdue", "item_overdue",
         text=lambda a: _("The improvement item “%(title)s” of %(department)s was due on %(date)s and is "
                          "not done yet.", title=_title(a.item), department=_department(a),
                          date=_day(getattr(a.item, "due_on", None))),
         subject=lambda a: _("Overdue improvement item: %(title)s", title=_title(a.item, 80)),
         target=_item_page, action=_l("See the item"), details=_item_details),
    Kind("export_ready", "export_ready",
         text=lambda a: _("Your export “%(name)s” is ready to download.",
                          name=getattr(a.export_job, "file_name", "") or ""),
         subject=lambda a: _("Your export is ready: %(name)s",
                             name=getattr(a.export_job, "file_name", "") or ""),
         target=lambda a: (("exports.job_page", {"job_id": a.export_job.id}) if a.export_job else None),
         action=_l("Download the file"), details=_export_details),
    *(Kind(code, "support_request", text=_support_text(sentence),
           subject=_support_text(sentence, 80), target=_support_page,
           action=_l("See the support request"), details=_support_details)
      for code, sentence in SUPPORT_REQUEST_SENTENCES.items()),
)
KINDS: dict[str, Kind] = {k.code: k for k in _KIND_LIST}
assert all(k.topic in TOPICS for k in _KIND_LIST)


def topics_for(user: Any) -> list[Topic]:
    """The topics whose notices `user` may receive, in the table's order."""
    from portal.permissions import can

    return [t for t in TOPICS.values() if can(t.capability, user)]
