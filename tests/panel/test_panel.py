"""Panel health and recognition: participation, the health page, lapsing members and
re-engaging them, the points rules, the ledger and the yearly summary."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import domain
from portal.accounts.models import Invitation
from portal.audit.models import AuditEntry
from portal.gaps.models import ServiceGapReport
from portal.notifications.models import Notification
from portal.opinions.models import Opinion
from portal.panel import activity, services
from portal.panel.models import ConsultationReach, MemberActivity, PointsEntry
from portal.trials.models import Evaluation
from tests import factories
from tests.conftest import login
from tests.panel.helpers import NOW, days_ago, record, set_rules, submitted_evaluation
from tests.queries import page_statements


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _notice(dbs, member, kind: str, at):
    dbs.add(Notification(user_id=member.id, kind=kind, created_at=at))
    dbs.commit()


# --- participation --------------------------------------------------------------------------------


@pytest.fixture
def busy_member(app, dbs):
    """Three activities in the last six months, one before; two consultations told in the last six
    months, one before."""
    m = factories.make_user(dbs, role="member", created_at=days_ago(400))
    trial = factories.make_trial(dbs, status="running")
    evaluation = submitted_evaluation(dbs, trial, m, days_ago(10))
    record(app, "evaluation", evaluation.id, m, days_ago(10))
    record(app, "opinion", 501, m, days_ago(40))
    record(app, "gap_report", 601, m, days_ago(100))
    record(app, "gap_report", 602, m, days_ago(250))  # more than six months ago
    for at in (days_ago(5), days_ago(90), days_ago(300)):
        _notice(dbs, m, "consultation_open", at)
    _notice(dbs, m, "trial_open", days_ago(5))  # not an invitation to give an opinion
    return m


def test_participation_counts_six_months_of_activities_against_invitations(app, busy_member):
    with app.test_request_context():
        p = activity.participation(busy_member.id)
    assert p.counts == {"evaluation": 1, "opinion": 1, "gap_report": 1, "fix_confirmed": 0}
    assert p.done == 3
    assert p.invitations == 2
    assert p.rate == pytest.approx(1.5)
    assert abs(p.last_activity_at - days_ago(10)) < timedelta(seconds=1)


def test_trial_invitations_count_as_invitations(app, dbs, busy_member):
    from portal.trials.models import TrialInvitation

    trial = factories.make_trial(dbs)
    dbs.add(TrialInvitation(trial_id=trial.id, member_id=busy_member.id, invited_at=days_ago(20)))
    dbs.commit()
    with app.test_request_context():
        assert activity.participation(busy_member.id).invitations == 3


def test_the_member_record_shows_participation(app, office_client, busy_member):
    page = office_client.get(f"/staff/members/{busy_member.id}").get_data(as_text=True)
    section = _text(page[page.index('data-testid="participation"'):])
    assert "Participation" in section
    assert re.search(r'data-kind="gap_report">1<', page)
    assert re.search(r'data-testid="participation-done"><strong>3<', page)
    assert re.search(r'data-testid="participation-invited">2<', page)
    assert "150%" in section


def test_a_member_without_activity_reads_none_yet(app, office_client, dbs):
    quiet = factories.make_user(dbs, role="member")
    page = _text(office_client.get(f"/staff/members/{quiet.id}").get_data(as_text=True))
    assert "None yet" in page
    assert "Activities per invitation —" in page


def test_fixes_confirmed_are_the_members_answers(app, dbs, member):
    with app.app_context():
        assert list(activity.confirmed_fixes()) == []
    submission = factories.make_gap_submission(dbs, member)
    item = factories.make_item(dbs, status="done")
    answer = factories.make_fix_confirmation(dbs, item, submission, fixed=False)
    with app.app_context():
        assert [(a, m) for a, m, _when in activity.confirmed_fixes()] == [(answer.id, member.id)]


# --- the ledger ---------------------------------------------------------------------------------


def test_the_same_source_is_never_counted_twice(app, dbs, member):
    assert record(app, "opinion", 7, member, days_ago(1)) is True
    assert record(app, "opinion", 7, member, days_ago(0)) is False
    assert record(app, "gap_report", 7, member, days_ago(1)) is True  # another kind, another source
    assert dbs.scalar(select(func.count()).select_from(PointsEntry)) == 2


def test_a_submission_signal_records_the_activity_once_with_the_rules_points(app, dbs, member, admin_user):
    from portal import signals
    from portal.db import unit_of_work

    set_rules(app, admin_user, gap_report=7)
    report = factories.make_gap_report(dbs, member)
    for _ in range(2):  # an edit sends the signal again
        with app.test_request_context(), unit_of_work():
            from portal.db import db

            signals.submission_received.send(db.get(ServiceGapReport, report.id))
    rows = dbs.execute(select(PointsEntry.kind, PointsEntry.source_id, PointsEntry.points)).all()
    assert rows == [("gap_report", report.id, 7)]
    activity_row = dbs.get(MemberActivity, member.id)
    assert activity_row.last_activity_at is not None


def test_a_member_reporting_a_gap_earns_points(app, dbs, member, member_client, admin_user):
    set_rules(app, admin_user, gap_report=5)
    response = member_client.post("/reports/new", data={
        "channel": "store", "commitment": "counter_service", "district": "xuhui", "place": "",
        "occurred_on": (domain.shanghai_today() - timedelta(days=1)).isoformat(),
        "occurred_time": "10:00", "severity": "2", "title": "Long queue",
        "description": "Waited an hour at the counter.",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert "5 points" in _text(member_client.get("/").get_data(as_text=True))


def test_backfill_adds_what_is_missing_and_nothing_twice(app, dbs, member, admin_user):
    set_rules(app, admin_user, evaluation=10, opinion=5, gap_report=3)
    trial = factories.make_trial(dbs, status="running")
    submitted_evaluation(dbs, trial, member, days_ago(3))
    draft = factories.make_trial(dbs, status="running")
    dbs.add(Evaluation(trial_id=draft.id, member_id=member.id, status="draft"))
    consultation = factories.make_consultation(dbs)
    dbs.add(Opinion(consultation_id=consultation.id, member_id=member.id, stance="support", text="Yes"))
    dbs.commit()
    factories.make_gap_report(dbs, member)
    with app.test_request_context():
        first = activity.backfill()
        second = activity.backfill()
    assert first.added == {"evaluation": 1, "opinion": 1, "gap_report": 1, "fix_confirmed": 0}
    assert second.added == {"evaluation": 0, "opinion": 0, "gap_report": 0, "fix_confirmed": 0}
    assert dbs.scalar(select(func.sum(PointsEntry.points))) == 18


def test_the_backfill_command(app, dbs, member):
    factories.make_gap_report(dbs, member)
    result = app.test_cli_runner().invoke(args=["backfill-points"])
    assert result.exit_code == 0, result.output
    assert "gap_report: 1" in result.output


# --- the health page ---------------------------------------------------------------------------


@pytest.fixture
def panel(app, dbs):
    """A (active 10 days ago), B (60 days ago), C (none, joined 200 days ago), D paused."""
    a = factories.make_user(dbs, role="member", segment="mobile", district="xuhui", created_at=days_ago(300))
    b = factories.make_user(dbs, role="member", segment="mobile", district="pudong", created_at=days_ago(300))
    c = factories.make_user(dbs, role="member", segment="household", district="pudong",
                            created_at=days_ago(200))
    d = factories.make_user(dbs, role="member", segment="sme", district="xuhui", status="paused")
    record(app, "opinion", 11, a, days_ago(10))
    record(app, "gap_report", 12, b, days_ago(60))
    trial = factories.make_trial(dbs, status="running", title="Fibre trial")
    factories.make_enrollment(dbs, trial, a)
    factories.make_enrollment(dbs, trial, b)
    submitted_evaluation(dbs, trial, a, days_ago(2))
    consultation = factories.make_consultation(dbs, title="Queue standard")
    dbs.add(ConsultationReach(consultation_id=consultation.id, eligible=4, counted_at=days_ago(5)))
    dbs.add(Opinion(consultation_id=consultation.id, member_id=a.id, stance="support", text=""))
    for n, used in ((1, True), (2, False)):
        dbs.add(Invitation(token_hash=f"{n:064d}", segment="mobile", created_at=days_ago(20),
                           expires_at=days_ago(-10), used_at=days_ago(15) if used else None))
    dbs.commit()
    return dict(a=a, b=b, c=c, d=d, trial=trial, consultation=consultation)


@pytest.mark.parametrize("who", ["office_client", "admin_client"])
def test_the_health_page_shows_the_panels_numbers(request, panel, who):
    client = request.getfixturevalue(who)
    response = client.get("/staff/panel")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "33% ( 1 of 3 active members)" in text.replace("(1", "( 1")
    assert "67%" in text
    assert re.search(r'data-testid="lapsing-count"><strong>1<', page)
    trial_row = _text(page[page.index(f'data-trial="{panel["trial"].id}"'):].split("</tr>")[0])
    assert "Fibre trial" in trial_row and " 2 " in trial_row and " 1 " in trial_row and "50%" in trial_row
    consultation_row = _text(page[page.index(f'data-consultation="{panel["consultation"].id}"'):]
                             .split("</tr>")[0])
    assert " 4 " in consultation_row and "25%" in consultation_row
    assert re.search(r'data-funnel="sent">2<', page)
    assert re.search(r'data-funnel="registered">1 \(50%\)<', page)
    assert re.search(r'data-cell="mobile:xuhui">1<', page)
    assert re.search(r'data-cell="household:pudong">1<', page)
    assert re.search(r'data-total="all"><strong>3<', page)
    assert "1 paused" in text
    for ago in (10, 60):  # A's and B's months: one active member each
        month = activity.month_of(days_ago(ago)).isoformat()[:7]
        month_row = _text(page[page.index(f'data-month="{month}"'):].split("</tr>")[0])
        assert month_row.split()[2] == "1"
    assert page.count("<svg") == 2


@pytest.mark.parametrize("who, status", [("member_client", 403), ("product_client", 403), ("client", 302)])
def test_the_health_pages_are_for_office_and_admin(request, who, status):
    client = request.getfixturevalue(who)
    for url in ("/staff/panel", "/staff/panel/lapsing"):
        assert client.get(url).status_code == status
    assert client.post("/staff/panel/lapsing/re-engage", data={"member": "1"}).status_code == status


def test_the_nav_links_the_health_page_for_office_only(office_client, product_client):
    assert 'href="/staff/panel"' in office_client.get("/staff/inbox").get_data(as_text=True)


def test_the_health_page_issues_a_fixed_number_of_statements(app, dbs, office_client, panel):
    few = len(page_statements(app, office_client, "/staff/panel"))
    for n in range(15):
        m = factories.make_user(dbs, role="member", district="minhang", created_at=days_ago(100 + n))
        record(app, "opinion", 1000 + n, m, days_ago(n * 20))
        t = factories.make_trial(dbs, status="closed")
        factories.make_enrollment(dbs, t, m)
        factories.make_consultation(dbs)
    many = len(page_statements(app, office_client, "/staff/panel"))
    assert few == many
    assert many <= 16


# --- lapsing members and re-engaging them --------------------------------------------------------


def test_the_lapsing_list_shows_quiet_active_members_only(office_client, panel):
    page = office_client.get("/staff/panel/lapsing").get_data(as_text=True)
    assert f'data-member="{panel["c"].id}"' in page
    for other in ("a", "b", "d"):
        assert f'data-member="{panel[other].id}"' not in page
    assert "None yet (joined" in _text(page)


def test_the_lapsing_list_pages_by_keyset(app, dbs, office_client):
    app.config["PAGE_SIZE"] = 5
    members = [factories.make_user(dbs, role="member", created_at=days_ago(100 + n)) for n in range(12)]
    seen = []
    url = "/staff/panel/lapsing"
    counts = set()
    while url:
        statements = page_statements(app, office_client, url)
        counts.add(len(statements))
        page = office_client.get(url).get_data(as_text=True)
        seen += [int(x) for x in re.findall(r'data-member="(\d+)"', page)]
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [m.id for m in reversed(members)]  # the longest quiet first
    assert len(counts) == 1


def test_a_malformed_cursor_shows_the_first_page(office_client, panel):
    page = office_client.get("/staff/panel/lapsing?from=abc-").get_data(as_text=True)
    assert f'data-member="{panel["c"].id}"' in page


def test_re_engaging_sends_a_notice_once_within_30_days(app, dbs, office_client, panel, office_user):
    c = panel["c"]
    response = office_client.post("/staff/panel/lapsing/re-engage", data={"member": [str(c.id)]},
                                  follow_redirects=True)
    assert "A re-engagement notice was sent to 1 member." in response.get_data(as_text=True)
    notices = dbs.scalars(select(Notification).where(Notification.kind == "re_engage")).all()
    assert [n.user_id for n in notices] == [c.id]
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.action == "re_engage"))
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("user", c.id, office_user.id)
    # Again at once: nobody is told twice; the list says they were asked.
    response = office_client.post("/staff/panel/lapsing/re-engage", data={"member": [str(c.id)]},
                                  follow_redirects=True)
    assert "1 member was left out" in response.get_data(as_text=True)
    assert dbs.scalar(select(func.count()).select_from(Notification)
                      .where(Notification.kind == "re_engage")) == 1
    assert "Recently asked" in office_client.get("/staff/panel/lapsing").get_data(as_text=True)
    # 31 days later they may be asked again.
    with app.test_request_context():
        later = services.re_engage([c.id], office_user, now=NOW + timedelta(days=31))
    assert later.sent == [c.id]


def test_re_engaging_leaves_out_members_not_lapsing(app, office_client, panel, dbs):
    response = office_client.post("/staff/panel/lapsing/re-engage",
                                  data={"member": [str(panel["a"].id), str(panel["d"].id), "x"]},
                                  follow_redirects=True)
    assert "2 members were left out" in response.get_data(as_text=True)
    assert dbs.scalar(select(func.count()).select_from(Notification)) == 0


def test_re_engaging_nobody_says_so(office_client, panel):
    response = office_client.post("/staff/panel/lapsing/re-engage", data={}, follow_redirects=True)
    assert "Please tick at least one member" in response.get_data(as_text=True)


def test_the_re_engage_notice_reads_in_both_languages(app, dbs, office_client, panel):
    c = panel["c"]
    office_client.post("/staff/panel/lapsing/re-engage", data={"member": [str(c.id)]})
    client = app.test_client()
    client.language("en")
    login(client, c)
    page = client.get("/notifications").get_data(as_text=True)
    assert "We have not heard from you for a while" in page


# --- the points rules ---------------------------------------------------------------------------


def test_an_admin_sets_the_points_and_the_change_is_audited(admin_client, dbs):
    page = admin_client.get("/admin/points").get_data(as_text=True)
    assert 'name="evaluation"' in page and 'name="fix_confirmed"' in page
    response = admin_client.post("/admin/points", data={
        "evaluation": "12", "opinion": "4", "gap_report": "6", "fix_confirmed": "2"},
        follow_redirects=True)
    text = _text(response.get_data(as_text=True))
    assert "The points are saved." in text
    assert "Points changed" in text
    assert "Evaluations submitted:" in text and "12" in text
    from portal.panel.models import PointsRule

    assert {r.kind: r.points for r in dbs.scalars(select(PointsRule))}["evaluation"] == 12


def test_bad_points_are_refused_and_the_input_kept(admin_client):
    response = admin_client.post("/admin/points", data={
        "evaluation": "lots", "opinion": "-1", "gap_report": "6", "fix_confirmed": "2"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please give a whole number from 0 to 1000." in page
    assert 'value="lots"' in page


@pytest.mark.parametrize("who", ["office_client", "member_client", "product_client"])
def test_only_admins_set_points(request, who):
    client = request.getfixturevalue(who)
    assert client.get("/admin/points").status_code == 403


# --- a member's points and yearly summary --------------------------------------------------------


def test_a_member_sees_their_points_on_home_and_their_history(app, dbs, member, member_client,
                                                             other_member, admin_user):
    set_rules(app, admin_user, opinion=5, gap_report=3)
    record(app, "opinion", 1, member, days_ago(2))
    record(app, "gap_report", 2, member, days_ago(1))
    record(app, "opinion", 3, other_member, days_ago(1))
    home = _text(member_client.get("/").get_data(as_text=True))
    assert "You have 8 points in all." in home
    page = member_client.get("/my/points").get_data(as_text=True)
    assert "You have 8 points in all." in _text(page)
    assert len(re.findall(r'data-entry="', page)) == 2
    assert "Service-gap report filed" in page


def test_the_points_history_pages_with_a_fixed_number_of_statements(app, dbs, member, member_client):
    for n in range(30):
        record(app, "opinion", 100 + n, member, days_ago(n + 1))
    first = member_client.get("/my/points").get_data(as_text=True)
    assert len(re.findall(r'data-entry="', first)) == 25
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = member_client.get(older).get_data(as_text=True)
    assert len(re.findall(r'data-entry="', second)) == 5
    assert len(page_statements(app, member_client, "/my/points")) == len(
        page_statements(app, member_client, older))


def test_staff_have_no_points_pages(office_client):
    assert office_client.get("/my/points").status_code == 403


def test_the_yearly_summary_shows_the_year_of_the_member_only(app, dbs, member, member_client, admin_user):
    set_rules(app, admin_user, evaluation=10, opinion=5)
    year = domain.shanghai_today().year
    trial = factories.make_trial(dbs, status="running", title="5G home router trial")
    jan = domain.shanghai_midnight(domain.shanghai_today().replace(month=1, day=1)) + timedelta(hours=2)
    evaluation = submitted_evaluation(dbs, trial, member, jan)
    record(app, "evaluation", evaluation.id, member, jan)
    record(app, "opinion", 9, member, jan)
    record(app, "opinion", 10, member, jan - timedelta(days=3))   # the year before
    page = member_client.get(f"/my/points/{year}").get_data(as_text=True)
    assert member.name in page
    text = _text(page)
    assert f"Certificate of participation {year}" in text
    assert "earned 15 points" in text
    assert re.search(r'data-kind="opinion">.*?<td class="num">1</td><td class="num">5</td>', page)
    assert "5G home router trial" in page
    assert "panel-certificate." in page
    last_year = _text(member_client.get(f"/my/points/{year - 1}").get_data(as_text=True))
    assert "earned 5 points" in last_year and "No trial evaluated this year." in last_year
    assert member_client.get(f"/my/points/{year + 1}").status_code == 404


def test_the_summary_prints_on_one_page():
    from pathlib import Path

    import portal

    css = (Path(portal.__file__).parent / "static" / "panel-certificate.css").read_text()
    assert "@media print" in css and "@page" in css and "break-inside: avoid" in css
