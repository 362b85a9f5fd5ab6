"""Member submissions reach the inbox through the real member routes, and amendments refresh
them while the triage state stays."""
from __future__ import annotations

from sqlalchemy import select

from portal.gaps.models import ServiceGapReport
from portal.opinions.models import Opinion
from portal.triage.models import Submission
from portal.trials.models import Evaluation
from tests.factories import make_consultation, make_enrollment, make_trial
from tests.gaps.helpers import report_form
from tests.triage.helpers import submission as reload

QUESTIONS = [
    dict(kind="rating", prompt="How easy was it?"),
    dict(kind="nps", prompt="Would you recommend it?"),
    dict(kind="text", prompt="Anything else?", required=False),
    dict(kind="text", prompt="What would you change?", required=False),
]


def only(dbs, **where) -> Submission:
    dbs.expire_all()
    rows = list(dbs.scalars(select(Submission).filter_by(**where)))
    assert len(rows) == 1, rows
    return rows[0]


def test_gap_report_enters_the_inbox(dbs, member_client, member):
    response = member_client.post("/reports/new", data=report_form(title="Late bill <b>", severity="4"))
    assert response.status_code == 302
    report = dbs.scalar(select(ServiceGapReport))
    s = only(dbs, gap_report_id=report.id)
    assert (s.kind, s.member_id, s.segment, s.district) == ("gap_report", member.id, "mobile", "jingan")
    assert (s.channel, s.commitment, s.severity) == ("hotline", "billing_reminders", 4)
    assert s.title == "Late bill <b>" and "two days after" in s.description
    assert s.status == "new" and s.low_score is False and s.tags == []
    assert s.submitted_at == report.created_at


def test_refused_gap_report_makes_no_submission(dbs, member_client):
    response = member_client.post("/reports/new", data=report_form(title=""))
    assert response.status_code == 422
    assert dbs.scalar(select(Submission)) is None


def post_opinion(client, consultation, stance="support_with_changes", text="Open stores later."):
    return client.post(f"/consultations/{consultation.id}", data={"stance": stance, "text": text})


def test_opinion_enters_the_inbox_and_an_edit_keeps_the_triage(dbs, member_client, member, office_user):
    consultation = make_consultation(dbs, title="Store opening hours")
    assert post_opinion(member_client, consultation).status_code == 302
    opinion = dbs.scalar(select(Opinion))
    s = only(dbs, opinion_id=opinion.id)
    assert (s.kind, s.consultation_id, s.title, s.description) == (
        "opinion", consultation.id, "Store opening hours", "Open stores later.")
    assert (s.segment, s.district, s.channel) == ("mobile", "xuhui", None)
    # staff triage it, then the member edits the opinion
    s.status, s.assignee_id, s.tags = "in_review", office_user.id, ["hours"]
    dbs.commit()
    response = post_opinion(member_client, consultation, stance="oppose", text="Keep them as they are.")
    assert response.status_code == 302
    s = reload(dbs, s.id)
    assert s.description == "Keep them as they are."
    assert (s.status, s.assignee_id, s.tags) == ("in_review", office_user.id, ["hours"])
    assert dbs.scalar(select(Submission.id).where(Submission.id != s.id)) is None


def evaluate(client, trial, rating, nps, texts=("", "")):
    data = {"action": "submit"}
    for question, value in zip(trial.questions, (rating, nps, *texts), strict=True):
        data[f"q-{question.id}"] = str(value)
    return client.post(f"/trials/{trial.id}/evaluation", data=data)


def test_evaluation_enters_the_inbox_with_its_low_score_flag(dbs, member_client, member, office_user):
    trial = make_trial(dbs, status="running", questions=QUESTIONS, title="5G home router")
    make_enrollment(dbs, trial, member)
    assert evaluate(member_client, trial, 4, 9, ("Fast", "Nothing")).status_code == 302
    evaluation = dbs.scalar(select(Evaluation))
    s = only(dbs, evaluation_id=evaluation.id)
    assert (s.kind, s.trial_id, s.title, s.low_score) == ("evaluation", trial.id, "5G home router", False)
    assert s.description == "Fast\n\nNothing"
    assert (s.segment, s.district) == ("mobile", "xuhui")
    s.status, s.assignee_id, s.tags = "in_review", office_user.id, ["router"]
    dbs.commit()
    # an amendment with a low NPS flags it and keeps the triage
    assert evaluate(member_client, trial, 4, 6, ("Slow at night", "")).status_code == 302
    s = reload(dbs, s.id)
    assert s.low_score is True and s.description == "Slow at night"
    assert (s.status, s.assignee_id, s.tags) == ("in_review", office_user.id, ["router"])
    assert len(list(dbs.scalars(select(Submission)))) == 1


def test_a_rating_of_two_is_a_low_score(dbs, member_client, member):
    trial = make_trial(dbs, status="running", questions=QUESTIONS)
    make_enrollment(dbs, trial, member)
    assert evaluate(member_client, trial, 2, 10).status_code == 302
    assert only(dbs, trial_id=trial.id).low_score is True


def test_rating_three_and_nps_seven_are_not_low(dbs, member_client, member):
    trial = make_trial(dbs, status="running", questions=QUESTIONS)
    make_enrollment(dbs, trial, member)
    assert evaluate(member_client, trial, 3, 7).status_code == 302
    assert only(dbs, trial_id=trial.id).low_score is False


def test_a_draft_is_not_in_the_inbox(dbs, member_client, member):
    trial = make_trial(dbs, status="running", questions=QUESTIONS)
    make_enrollment(dbs, trial, member)
    data = {"action": "draft", f"q-{trial.questions[0].id}": "1"}
    assert member_client.post(f"/trials/{trial.id}/evaluation", data=data).status_code == 302
    assert dbs.scalar(select(Submission)) is None
