"""A submission's page: the source, the triage form, optimistic locking, duplicates, notes,
item links and the timeline."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.errors import Conflict
from portal.gaps.models import ServiceGapReport
from portal.triage import services
from portal.triage.models import InternalNote, Submission
from tests.audit.helpers import history_text
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_consultation, make_gap_report, make_trial
from tests.opinions.helpers import make_opinion
from tests.triage.helpers import audits, make_item, make_submission, submission as reload, triage_form

CONFLICT = ("Someone else changed this while you were editing. Your changes were not saved: "
            "review the current values below and save again.")


@pytest.fixture
def gap(dbs, member):
    report = make_gap_report(dbs, member, title="Queue at Xujiahui", description="Waited 40 minutes.",
                             place="Xujiahui store")
    return make_submission(dbs, member, gap_report_id=report.id, title=report.title,
                           description=report.description)


def save(client, s, **overrides):
    return client.post(f"/staff/inbox/{s.id}", data=triage_form(s, **overrides))


def test_gap_report_detail_shows_the_report(office_client, gap):
    html = office_client.get(f"/staff/inbox/{gap.id}").get_data(as_text=True)
    for text in ("Queue at Xujiahui", "Waited 40 minutes.", "Xujiahui store", "Counter service",
                 "Save triage", "Add internal note", 'name="version" type="hidden" value="1"'):
        assert text in html, text


def test_opinion_and_evaluation_detail(dbs, office_client, member):
    consultation = make_consultation(dbs, title="Opening hours")
    opinion = make_opinion(dbs, consultation, member, stance="oppose", text="Keep 9 to 9.")
    s1 = make_submission(dbs, member, kind="opinion", opinion_id=opinion.id,
                         consultation_id=consultation.id, title=consultation.title)
    html = office_client.get(f"/staff/inbox/{s1.id}").get_data(as_text=True)
    assert "Opening hours" in html and "Oppose" in html and "Keep 9 to 9." in html
    trial = make_trial(dbs)
    s2 = make_submission(dbs, member, kind="evaluation", trial_id=trial.id, title=trial.title)
    assert office_client.get(f"/staff/inbox/{s2.id}").status_code == 200


def test_unknown_submission_is_404(office_client):
    assert office_client.get("/staff/inbox/999999").status_code == 404


def test_save_assigns_sets_status_and_tags_with_an_audit_entry(dbs, office_client, office_user, gap):
    response = save(office_client, gap, assignee_id=str(office_user.id), status="in_review",
                    tags=" billing, Queue ,billing,, queue ")
    assert response.status_code == 302
    s = reload(dbs, gap.id)
    assert (s.assignee_id, s.status, s.tags, s.version) == \
        (office_user.id, "in_review", ["billing", "Queue"], 2)
    # the member's page reads the status from the report
    assert dbs.get(ServiceGapReport, s.gap_report_id).status == "in_review"
    (entry,) = audits(dbs, gap.id)
    assert entry.actor_id == office_user.id and entry.action == "submission.triage"
    assert entry.before == {"assignee_id": None, "status": "new", "tags": []}
    assert entry.after == {"assignee_id": office_user.id, "status": "in_review", "tags": ["billing", "Queue"]}
    history = history_text(office_client.get(f"/staff/inbox/{gap.id}").get_data(as_text=True))
    assert "Triage saved" in history and "Status: Received → In review" in history
    assert f"Assignee: — → {office_user.name}" in history
    assert "Tags: — → billing, Queue" in history


def test_saving_nothing_changes_nothing(dbs, office_client, gap):
    assert save(office_client, gap).status_code == 302
    assert reload(dbs, gap.id).version == 1 and audits(dbs, gap.id) == []


@pytest.mark.parametrize("tags,message", [
    (",".join(f"t{i}" for i in range(11)), "Please use at most 10 tags."),
    ("x" * 31, "A tag may have at most 30 characters."),
])
def test_tag_limits(dbs, office_client, gap, tags, message):
    response = save(office_client, gap, tags=tags)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert reload(dbs, gap.id).tags == []


def test_no_action_needs_a_reason(dbs, office_client, gap):
    response = save(office_client, gap, status="no_action", no_action_reason="  ", tags="kept")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please give the reason why no action is taken." in html
    assert 'value="kept"' in html
    assert reload(dbs, gap.id).status == "new"
    response = save(office_client, gap, status="no_action", no_action_reason="Outside our network")
    assert response.status_code == 302
    s = reload(dbs, gap.id)
    assert (s.status, s.no_action_reason) == ("no_action", "Outside our network")
    # back to review clears the reason
    assert save(office_client, s, status="in_review").status_code == 302
    assert reload(dbs, gap.id).no_action_reason is None


def test_moves_not_allowed_are_refused(dbs, office_client, member):
    s = make_submission(dbs, member, status="no_action", no_action_reason="x")
    response = save(office_client, s, status="duplicate", duplicate_of_id="1")
    assert response.status_code == 422
    new = make_submission(dbs, member)
    response = save(office_client, new, status="linked")  # no item linked yet
    assert response.status_code == 422
    assert reload(dbs, new.id).status == "new"


def test_duplicate_rules(dbs, office_client, member, gap):
    other = make_submission(dbs, member, title="The original")
    def attempt(target, original):
        return save(office_client, reload(dbs, target.id), status="duplicate", duplicate_of_id=original)
    r = attempt(gap, "")
    assert r.status_code == 422
    assert "Please give the number of the original submission." in r.get_data(as_text=True)
    r = attempt(gap, str(gap.id))
    assert r.status_code == 422 and "cannot be a duplicate of itself" in r.get_data(as_text=True)
    r = attempt(gap, "999999")
    assert r.status_code == 422 and "There is no submission number 999999." in r.get_data(as_text=True)
    assert attempt(gap, str(other.id)).status_code == 302
    s = reload(dbs, gap.id)
    assert (s.status, s.duplicate_of_id) == ("duplicate", other.id)
    # the original cannot in turn become a duplicate of its duplicate
    r = attempt(other, str(gap.id))
    assert r.status_code == 422 and "already a duplicate of this one" in r.get_data(as_text=True)
    assert reload(dbs, other.id).status == "new"
    html = office_client.get(f"/staff/inbox/{gap.id}").get_data(as_text=True)
    assert "The original" in html


def test_product_cannot_point_to_a_submission_they_cannot_see(dbs, client, member, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    mine = make_submission(dbs, member, kind="evaluation", trial_id=trial.id)
    hidden = make_submission(dbs, member)  # a gap report
    login(client, product_user)
    r = save(client, mine, status="duplicate", duplicate_of_id=str(hidden.id))
    assert r.status_code == 422 and f"There is no submission number {hidden.id}." in r.get_data(as_text=True)
    # product staff may set a status and add notes on their own
    assert save(client, reload(dbs, mine.id), status="in_review").status_code == 302
    assert client.post(f"/staff/inbox/{mine.id}/notes", data={"text": "Ask the vendor"}).status_code == 302
    assert client.post(f"/staff/inbox/{hidden.id}/notes", data={"text": "x"}).status_code == 404
    assert client.post(f"/staff/inbox/{hidden.id}", data=triage_form(hidden)).status_code == 404


def test_two_staff_saving_at_once(app, dbs, client, office_user, admin_user, gap):
    login(client, office_user)
    second = app.test_client()
    second.language("en")
    login(second, admin_user)
    shown = reload(dbs, gap.id)  # both opened the page at version 1
    first_form = triage_form(shown, status="in_review", tags="first")
    second_form = triage_form(shown, status="no_action", no_action_reason="Not ours", tags="second")
    assert client.post(f"/staff/inbox/{gap.id}", data=first_form).status_code == 302
    response = second.post(f"/staff/inbox/{gap.id}", data=second_form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert CONFLICT in html
    assert "Not ours" in html and 'value="second"' in html  # their input is kept
    assert 'data-testid="current-values"' in html and "In review" in html  # current values shown
    assert 'name="version" type="hidden" value="2"' in html
    s = reload(dbs, gap.id)
    assert (s.status, s.tags) == ("in_review", ["first"])
    # saving again from the re-rendered form works
    second_form["version"] = "2"
    second_form["status"] = "no_action"
    assert second.post(f"/staff/inbox/{gap.id}", data=second_form).status_code == 302
    s = reload(dbs, gap.id)
    assert (s.status, s.tags, s.no_action_reason) == ("no_action", ["second"], "Not ours")


def test_a_change_between_load_and_flush_is_a_conflict(app, dbs, office_user, gap):
    """The version column catches a save that lands after the page's own check."""
    with app.test_request_context():
        from portal.db import db
        actor = db.get(type(office_user), office_user.id)
        s = services.get_submission(actor, gap.id)
        other = reload(dbs, gap.id)
        other.tags = ["meanwhile"]
        dbs.commit()
        with pytest.raises(Conflict):
            services.update_triage(actor, s, version=s.version, assignee_id=None, status="in_review",
                                   no_action_reason=None, duplicate_of_id=None, tags=["mine"])
    s = reload(dbs, gap.id)
    assert (s.status, s.tags) == ("new", ["meanwhile"]) and audits(dbs, gap.id) == []


def test_notes_are_kept_escaped_and_audited(dbs, office_client, office_user, member, gap):
    for payload in XSS_PAYLOADS:
        assert office_client.post(f"/staff/inbox/{gap.id}/notes", data={"text": payload}).status_code == 302
    html = office_client.get(f"/staff/inbox/{gap.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg/onload" not in html
    assert "&lt;script&gt;alert" in html and "Internal note added" in html
    assert len(audits(dbs, gap.id)) == 3
    empty = office_client.post(f"/staff/inbox/{gap.id}/notes", data={"text": "  "})
    assert empty.status_code == 422
    # the member never sees notes on their own report page
    office_client.post("/logout")
    login(office_client, member)
    page = office_client.get(f"/reports/{gap.gap_report_id}").get_data(as_text=True)
    assert "alert" not in page


def test_member_text_and_tags_are_escaped_on_the_detail(dbs, office_client, member):
    for payload in XSS_PAYLOADS:
        s = make_submission(dbs, member, title=payload, description=payload)
        assert save(office_client, s, tags=payload[:30].replace(",", ";")).status_code in (302, 422)
        html = office_client.get(f"/staff/inbox/{s.id}").get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg/onload" not in html


def test_link_and_unlink_items(dbs, office_client, office_user, gap):
    item = make_item(dbs, title="Shorter queues")
    html = office_client.get(f"/staff/inbox/{gap.id}").get_data(as_text=True)
    assert f"#{item.id} Shorter queues" in html  # offered among the open items
    linked = office_client.post(f"/staff/inbox/{gap.id}/items", data={"open_item": str(item.id)})
    assert linked.status_code == 302
    s = reload(dbs, gap.id)
    assert [i.id for i in s.items] == [item.id] and s.status == "linked"
    assert dbs.get(ServiceGapReport, s.gap_report_id).status == "linked"
    again = office_client.post(f"/staff/inbox/{gap.id}/items", data={"item_number": str(item.id)})
    assert again.status_code == 422 and "already linked to that item" in again.get_data(as_text=True)
    missing = office_client.post(f"/staff/inbox/{gap.id}/items", data={"item_number": "999999"})
    assert missing.status_code == 422
    assert "There is no improvement item number 999999." in missing.get_data(as_text=True)
    assert office_client.post(f"/staff/inbox/{gap.id}/items/{item.id}/unlink").status_code == 302
    s = reload(dbs, gap.id)
    assert s.items == [] and s.status == "in_review"
    actions = [e.action for e in audits(dbs, gap.id)]
    assert actions == ["submission.link", "submission.unlink"]
    history = history_text(office_client.get(f"/staff/inbox/{gap.id}").get_data(as_text=True))
    assert "Linked to improvement items" in history and f"Improvement items: — → #{item.id}" in history
    assert f"Improvement items: #{item.id} → —" in history
    assert "Status: Linked to an improvement → In review" in history


def test_link_items_service_for_the_item_pages(app, dbs, office_user, gap):
    items = [make_item(dbs), make_item(dbs)]
    with app.test_request_context():
        from portal.db import db
        s = db.get(Submission, gap.id)
        actor = db.get(type(office_user), office_user.id)
        assert services.link_items(actor, s, [db.get(type(items[0]), i.id) for i in items]) is True
        db.commit()
    s = reload(dbs, gap.id)
    assert sorted(i.id for i in s.items) == sorted(i.id for i in items) and s.status == "linked"
    assert audits(dbs, gap.id)[0].after == {"items": sorted(i.id for i in items), "status": "linked"}


def test_missing_csrf_is_400(dbs, office_client, gap):
    assert office_client.post(f"/staff/inbox/{gap.id}", data=triage_form(gap), csrf=False).status_code == 400
    note = office_client.post(f"/staff/inbox/{gap.id}/notes", data={"text": "x"}, csrf=False)
    assert note.status_code == 400
    assert office_client.post("/staff/inbox/bulk", data={"ids": [gap.id], "action": "tag", "tag": "x"},
                              csrf=False).status_code == 400
    dbs.expire_all()
    assert dbs.scalar(select(InternalNote)) is None and reload(dbs, gap.id).tags == []


def test_detail_renders_in_chinese(dbs, office_client, office_user, gap):
    save(office_client, gap, status="in_review", assignee_id=str(office_user.id))
    office_client.post(f"/staff/inbox/{gap.id}/notes", data={"text": "请联系门店"})
    office_client.language("zh_Hans")
    response = office_client.get(f"/staff/inbox/{gap.id}")
    assert response.status_code == 200 and "请联系门店" in response.get_data(as_text=True)
