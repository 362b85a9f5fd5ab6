"""Members read published consultations and give, change and list their own opinion."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from portal.opinions import services
from tests.conftest import login
from tests.opinions.helpers import (
    closed_consultation,
    count_queries,
    days,
    make_opinion,
    open_consultation,
    opinions_of,
    upcoming_consultation,
)


def post_opinion(client, consultation, stance="support_with_changes", text="Open stores later.",
                 **kwargs):
    return client.post(f"/consultations/{consultation.id}",
                       data={"stance": stance, "text": text}, **kwargs)


def test_list_groups_open_upcoming_and_answered_closed(dbs, member_client, member, other_member):
    open_answered = open_consultation(dbs, title="Open answered")
    open_new = open_consultation(dbs, title="Open unanswered")
    upcoming = upcoming_consultation(dbs, title="Coming soon")
    closed_answered = closed_consultation(dbs, title="Closed answered")
    closed_consultation(dbs, title="Closed unanswered")
    open_consultation(dbs, title="Secret draft", status="draft")
    make_opinion(dbs, open_answered, member, stance="oppose")
    make_opinion(dbs, closed_answered, member, stance="support", triage_status="linked")
    make_opinion(dbs, open_new, other_member, stance="support")  # someone else's answer

    response = member_client.get("/consultations")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    open_part = html[html.index('id="open"'):html.index('id="upcoming"')]
    upcoming_part = html[html.index('id="upcoming"'):html.index('id="closed"')]
    closed_part = html[html.index('id="closed"'):]
    assert "Open answered" in open_part and "Open unanswered" in open_part
    assert "Answered: Oppose" in open_part.split("Open answered")[1].split("</tr>")[0]
    assert "Not answered yet" in open_part.split("Open unanswered")[1].split("</tr>")[0]
    assert "Coming soon" in upcoming_part
    assert "Closed answered" in closed_part and "Linked to an improvement" in closed_part
    assert "Closed unanswered" not in html
    assert "Secret draft" not in html
    assert f"/consultations/{upcoming.id}" in upcoming_part


def test_list_query_count_is_fixed(app, dbs, client, member):
    login(client, member)

    def fill(n):
        for i in range(n):
            c = open_consultation(dbs, title=f"Open {i}")
            make_opinion(dbs, c, member) if i % 2 else None
            upcoming_consultation(dbs)
            make_opinion(dbs, closed_consultation(dbs), member)

    def queries(url):
        client.get(url)
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    fill(3)
    few = (queries("/consultations"), queries("/consultations/mine"))
    fill(27)
    many = (queries("/consultations"), queries("/consultations/mine"))
    assert few == many


def test_first_post_creates_later_posts_edit(dbs, member_client, member):
    consultation = open_consultation(dbs)
    page = member_client.get(f"/consultations/{consultation.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert consultation.title in html and "Send my opinion" in html
    assert 'type="radio"' in html and "Support with changes" in html

    response = post_opinion(member_client, consultation, follow_redirects=True)
    assert "your opinion was sent" in response.get_data(as_text=True)
    [opinion] = opinions_of(dbs, consultation, member)
    assert opinion.stance == "support_with_changes" and opinion.text == "Open stores later."
    assert opinion.triage_status == "new"

    response = post_opinion(member_client, consultation, stance="oppose", text="Changed my mind.",
                            follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Your opinion was updated." in html and "Update my opinion" in html
    assert "Changed my mind." in html
    [opinion] = opinions_of(dbs, consultation, member)
    assert opinion.stance == "oppose" and opinion.text == "Changed my mind."


def test_last_day_is_still_open(dbs, member_client, member):
    consultation = open_consultation(dbs, opens_on=days(-3), closes_on=days(0))
    assert post_opinion(member_client, consultation).status_code == 302
    first_day = open_consultation(dbs, opens_on=days(0), closes_on=days(3))
    assert post_opinion(member_client, first_day).status_code == 302


def test_closed_consultation_is_read_only(dbs, member_client, member):
    consultation = closed_consultation(dbs)
    make_opinion(dbs, consultation, member, stance="support", text="My old answer.")
    page = member_client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Opinions can no longer be given or changed." in page
    assert "My old answer." in page and 'name="text"' not in page

    response = post_opinion(member_client, consultation, stance="oppose", text="Too late.")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Opinions can no longer be given or changed." in html
    assert "This text was not saved:" in html and "Too late." in html
    [opinion] = opinions_of(dbs, consultation, member)
    assert opinion.stance == "support" and opinion.text == "My old answer."


def test_closed_without_opinion_cannot_be_answered(dbs, member_client, member):
    consultation = closed_consultation(dbs)
    assert post_opinion(member_client, consultation).status_code == 409
    assert opinions_of(dbs, consultation) == []


def test_upcoming_consultation_refuses_opinions(dbs, member_client, member):
    consultation = upcoming_consultation(dbs)
    page = member_client.get(f"/consultations/{consultation.id}")
    assert page.status_code == 200
    assert "You can give your opinion from then on." in page.get_data(as_text=True)
    assert 'name="text"' not in page.get_data(as_text=True)
    response = post_opinion(member_client, consultation)
    assert response.status_code == 409
    assert opinions_of(dbs, consultation) == []


def test_window_is_shanghai_today(dbs, member_client, member, monkeypatch):
    consultation = open_consultation(dbs, opens_on=days(0), closes_on=days(0))
    monkeypatch.setattr("portal.domain.shanghai_today", lambda: days(1))
    assert post_opinion(member_client, consultation).status_code == 409
    monkeypatch.setattr("portal.domain.shanghai_today", lambda: days(-1))
    assert post_opinion(member_client, consultation).status_code == 409
    assert opinions_of(dbs, consultation) == []


def test_draft_is_404_for_members(dbs, member_client):
    draft = open_consultation(dbs, status="draft")
    assert member_client.get(f"/consultations/{draft.id}").status_code == 404
    assert post_opinion(member_client, draft).status_code == 404
    assert opinions_of(dbs, draft) == []
    assert member_client.get("/consultations/424242").status_code == 404


def test_my_opinions_lists_only_mine(dbs, member_client, member, other_member):
    roaming = open_consultation(dbs, title="Roaming consultation")
    counter = closed_consultation(dbs, title="Counter consultation")
    make_opinion(dbs, roaming, member, stance="oppose", text="Mine")
    make_opinion(dbs, counter, member, stance="support", triage_status="duplicate")
    theirs = open_consultation(dbs, title="Their consultation")
    make_opinion(dbs, theirs, other_member, text="Theirs")
    response = member_client.get("/consultations/mine")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Roaming consultation" in html and "Counter consultation" in html
    assert "Their consultation" not in html
    row = html[html.index("Roaming consultation"):].split("</tr>")[0]
    assert "Oppose" in row and "Received" in row and "Open" in row
    row = html[html.index("Counter consultation"):].split("</tr>")[0]
    assert "Support" in row and "Duplicate" in row and "Closed" in row


def test_my_opinions_empty(member_client):
    assert "You have not given an opinion yet." in member_client.get(
        "/consultations/mine").get_data(as_text=True)


def test_race_on_create_updates_the_existing_opinion(dbs, member_client, member, monkeypatch):
    """Another request inserted the member's opinion between our look-up and our insert."""
    consultation = open_consultation(dbs)
    make_opinion(dbs, consultation, member, stance="support", text="From the other tab.")
    real_find = services._find_opinion
    calls = []

    def stale_find(consultation_id, member_id):
        calls.append(1)
        return None if len(calls) == 1 else real_find(consultation_id, member_id)

    monkeypatch.setattr(services, "_find_opinion", stale_find)
    response = post_opinion(member_client, consultation, stance="oppose", text="From this tab.",
                            follow_redirects=True)
    assert response.status_code == 200
    assert "Your opinion was updated." in response.get_data(as_text=True)
    [opinion] = opinions_of(dbs, consultation, member)
    assert opinion.stance == "oppose" and opinion.text == "From this tab."
    assert len(calls) == 2


def test_two_sessions_posting_at_once_keep_one_opinion(app, dbs, member):
    """Two real clients of the same member post the first opinion; both answer without error."""
    import threading

    consultation = open_consultation(dbs)
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        c.language("en")
        login(c, member)
    barrier = threading.Barrier(2)
    results = []

    def send(c, stance):
        barrier.wait()
        results.append(post_opinion(c, consultation, stance=stance, text=f"I {stance}").status_code)

    threads = [threading.Thread(target=send, args=(c, s))
               for c, s in zip(clients, ("support", "oppose"), strict=False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [302, 302]
    assert len(opinions_of(dbs, consultation, member)) == 1


def test_integrity_error_that_is_not_a_duplicate_is_not_hidden(dbs, member_client, member,
                                                               monkeypatch):
    """Only the duplicate is turned into an update; any other integrity error still fails."""
    import pytest
    import sqlalchemy.orm

    consultation = open_consultation(dbs)
    member_client.csrf_token()
    monkeypatch.setattr(services, "_find_opinion", lambda *a: None)

    def failing_commit(self):
        raise IntegrityError("INSERT", {}, Exception("boom"))

    monkeypatch.setattr(sqlalchemy.orm.Session, "commit", failing_commit)
    with pytest.raises(IntegrityError):
        post_opinion(member_client, consultation)
    monkeypatch.undo()
    assert opinions_of(dbs, consultation) == []
