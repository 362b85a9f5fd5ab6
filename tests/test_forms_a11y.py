"""Forms a screen reader and the HTML checker can follow: each field's hint and error tied to its
input, one error summary linking the fields in error, the title saying "Error", the required
marker explained; and the markup patterns the Nu HTML checker refused (action="", duplicate ids,
required selects without an empty first option, empty table headers)."""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

from tests.conftest import login
from tests.factories import (
    PASSWORD,
    make_enrollment,
    make_gap_submission,
    make_item,
    make_trial,
    make_user,
)
from tests.gaps.helpers import report_form
from tests.index.helpers import make_period


class Page(HTMLParser):
    """The elements of a page as (tag, attributes), the text of <title> and of each <th>, and the
    first option of each select."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.title = ""
        self.headers: list[str] = []
        self.selects: list[tuple[dict, dict | None]] = []
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        self.elements.append((tag, attrs))
        if tag in ("title", "th"):
            self._in = tag
            if tag == "th":
                self.headers.append("")
        elif tag == "select":
            self.selects.append((attrs, None))
        elif tag == "option" and self.selects and self.selects[-1][1] is None:
            self.selects[-1] = (self.selects[-1][0], attrs)

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "th":
            self.headers[-1] += data

    def ids(self) -> Counter:
        return Counter(a["id"] for _t, a in self.elements if "id" in a)

    def by_id(self, element_id: str) -> tuple[str, dict] | None:
        return next(((t, a) for t, a in self.elements if a.get("id") == element_id), None)

    def find(self, tag: str, **wanted) -> list[dict]:
        return [a for t, a in self.elements
                if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in wanted.items())]


def summary_links(html: str) -> list[str]:
    """The targets of the error summary's links, in order."""
    start = html.index('data-error-summary')
    block = html[start:html.index("</div>", start)]
    return [a["href"] for t, a in Page(block).elements if t == "a"]


def reject_report(client, **overrides):
    response = client.post("/reports/new", data=report_form(**overrides))
    assert response.status_code == 422
    return response.get_data(as_text=True)


# --- one field macro: label, hint and error tied together ------------------------------------


def test_a_rejected_field_is_invalid_and_described_by_its_hint_and_error(member_client):
    html = reject_report(member_client, title="", description="Still typed here")
    page = Page(html)
    title = page.by_id("title")[1]
    assert title["aria-invalid"] == "true"
    assert title["aria-describedby"] == "title-error"
    assert page.by_id("title-error")[1]["class"] == "error"
    assert "Please give a title." in html
    # A field with a hint and an error names both; every id named exists on the page.
    time_field = page.by_id("occurred_time")[1]
    assert "aria-invalid" not in time_field and time_field["aria-describedby"] == "occurred_time-hint"
    for _tag, attrs in page.elements:
        for ref in attrs.get("aria-describedby", "").split():
            assert page.by_id(ref) is not None, ref
    # The error is not an alert of its own: the summary is what is announced.
    assert not page.find("p", role="alert")
    # What was typed stays.
    assert "Still typed here</textarea>" in html


def test_a_radio_group_is_a_fieldset_described_by_its_error(member_client):
    data = report_form()
    del data["severity"]
    response = member_client.post("/reports/new", data=data)
    page = Page(response.get_data(as_text=True))
    fieldsets = page.find("fieldset", aria_describedby="severity-error")
    assert len(fieldsets) == 1
    assert page.by_id("severity-error") is not None
    assert summary_links(response.get_data(as_text=True)) == ["#severity-0"]


# --- one error summary, focus, title -----------------------------------------------------------


def test_one_summary_lists_and_links_each_field_in_error(member_client):
    html = reject_report(member_client, title="", channel="")
    page = Page(html)
    summaries = page.find("div", data_error_summary="")
    assert len(summaries) == 1 and summaries[0]["tabindex"] == "-1"
    assert summary_links(html) == ["#channel", "#title"]
    assert '<a href="#title">Title: Please give a title.</a>' in html
    for target in summary_links(html):
        assert page.by_id(target[1:]) is not None
    # One banner: the "not sent" flash is part of the summary, not a second box beside it.
    assert html.count("Your report was not sent") == 1
    assert len([a for t, a in page.elements if "flash-error" in a.get("class", "")]) == 1
    assert page.title.startswith("Error: Report a service gap")


def test_the_title_says_error_in_chinese(client, member):
    client.language("zh_Hans")
    login(client, member)
    page = Page(reject_report(client, title=""))
    assert page.title.startswith("错误")


def test_a_form_shown_without_errors_has_neither_summary_nor_error_title(member_client):
    html = member_client.get("/reports/new").get_data(as_text=True)
    assert "data-error-summary" not in html
    assert Page(html).title.startswith("Report a service gap")


def test_the_required_marker_is_explained_where_fields_are_required(member_client):
    html = member_client.get("/reports/new").get_data(as_text=True)
    assert html.count("Fields marked * are required.") == 1
    # The email preferences have no required field: no such line.
    preferences = member_client.get("/notifications/preferences").get_data(as_text=True)
    assert "Fields marked * are required." not in preferences


def test_sign_in_errors_name_and_link_the_field(client, member):
    wrong = client.post("/login", data={"email": member.email, "password": "not-my-password"})
    html = wrong.get_data(as_text=True)
    assert summary_links(html) == ["#password"]
    assert "Password: Wrong email or password." in html
    assert Page(html).by_id("password")[1]["aria-invalid"] == "true"
    empty = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert summary_links(empty) == ["#email", "#password"]
    assert ">Email: " in empty and ">Password: " in empty


def test_a_rejected_evaluation_links_each_question(member_client, member, dbs):
    trial = make_trial(dbs, status="running")
    make_enrollment(dbs, trial, member)
    response = member_client.post(f"/trials/{trial.id}/evaluation", data={"action": "submit"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    rating, nps = trial.questions[0], trial.questions[1]
    assert summary_links(html) == [f"#question-{rating.id}", f"#question-{nps.id}"]
    page = Page(html)
    assert page.by_id(f"question-{rating.id}")[1]["aria-describedby"] == f"question-{rating.id}-error"
    assert page.title.startswith("Error: ")
    assert html.count("Your answers were not saved") == 1


# --- valid HTML: the Nu checker's patterns -----------------------------------------------------


@pytest.fixture
def pages(app, dbs, member):
    """(client, url) of pages with forms, for a member, the service office and an admin."""
    office = make_user(dbs, role="office")
    admin = make_user(dbs, role="admin")
    submission = make_gap_submission(dbs, member)
    make_item(dbs, submissions=[submission])  # the inbox page's table of linked items
    period = make_period(dbs)
    trial = make_trial(dbs, status="draft")
    clients = {}
    for name, user in (("member", member), ("office", office), ("admin", admin)):
        clients[name] = app.test_client()
        clients[name].language("en")
        login(clients[name], user, PASSWORD)
    return [
        (clients["member"], "/"),
        (clients["member"], "/reports/new"),
        (clients["member"], "/profile"),
        (clients["office"], f"/staff/inbox/{submission.id}"),
        (clients["office"], "/staff/inbox"),
        (clients["admin"], f"/staff/index/periods/{period.id}"),
        (clients["admin"], "/staff/index/periods"),
        (clients["admin"], f"/staff/trials/{trial.id}"),
        (clients["admin"], f"/staff/trials/{trial.id}/edit"),
        (clients["admin"], f"/staff/trials/{trial.id}/questions/new"),
        (clients["admin"], "/staff/consultations/new"),
        (clients["admin"], "/admin/departments"),
    ]


def test_no_form_has_an_empty_action(client, pages):
    for who, url in [(client, "/login"), *pages]:
        page = Page(who.get(url).get_data(as_text=True))
        assert [f for f in page.find("form") if f.get("action") == ""] == [], url


def test_no_id_is_repeated_on_a_page_with_several_forms(pages):
    for who, url in pages:
        page = Page(who.get(url).get_data(as_text=True))
        repeated = {i: n for i, n in page.ids().items() if n > 1}
        assert repeated == {}, url
    triage = Page(pages[3][0].get(pages[3][1]).get_data(as_text=True))
    assert len(triage.find("form", method="post")) >= 4  # triage, link, note, the layout's own


def test_required_selects_start_with_an_empty_option(pages):
    for who, url in pages:
        for select, first in Page(who.get(url).get_data(as_text=True)).selects:
            if "required" in select and "multiple" not in select:
                assert first is not None and first.get("value") == "", (url, select)


def test_no_table_header_is_empty(pages):
    for who, url in pages:
        page = Page(who.get(url).get_data(as_text=True))
        assert all(text.strip() for text in page.headers), url
