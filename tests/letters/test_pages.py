"""Letters, the scoreboard, drill-downs, exports, service stars and the case library as their users
see them: who may open what, refusals that keep the input, sign-off audited, fixed statement counts."""
from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.letters.models import ClassicCase, ResponsibilityLetter, ServiceStar
from tests import factories
from tests.conftest import login
from tests.queries import count_queries

YEAR = date.today().year


def _branch(dbs, district="xuhui"):
    return factories.make_unit(dbs, kind="district_branch", district=district)


# --- letters ---------------------------------------------------------------------------------


def test_office_prepares_sets_targets_and_signs_off_a_letter(office_client, dbs):
    unit = factories.make_unit(dbs, name="网络运维部")
    response = office_client.post("/staff/letters/prepare", data={"year": str(YEAR)})
    assert response.status_code == 302
    letter = dbs.scalar(select(ResponsibilityLetter).where(ResponsibilityLetter.unit_id == unit.id))
    assert letter.status == "draft"
    url = f"/staff/letters/{letter.id}"

    # A target that is not a number comes back with the message and what was typed.
    page = office_client.post(f"{url}/targets", data={"version": "1", "measure": "gaps_in_time",
                                                      "target": "ninety"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Please give a number such as 95 or 4.5." in html and 'value="ninety"' in html

    assert office_client.post(f"{url}/targets", data={"version": "1", "measure": "gaps_in_time",
                                                      "target": "90"}).status_code == 302
    dbs.expire_all()
    version = dbs.get(ResponsibilityLetter, letter.id).version
    assert office_client.post(f"{url}/tasks", data={"version": str(version), "title": "窗口服务培训",
                                                    "due_on": f"{YEAR}-06-30"}).status_code == 302
    dbs.expire_all()
    version = dbs.get(ResponsibilityLetter, letter.id).version
    # A stale page is refused (409) and nothing is signed.
    stale = office_client.post(f"{url}/sign-off", data={"version": "1", "unit_head": "王强"})
    assert stale.status_code == 409
    response = office_client.post(f"{url}/sign-off", data={"version": str(version), "unit_head": "王强"})
    assert response.status_code == 302
    html = office_client.get(url).get_data(as_text=True)
    assert "Signed off on" in html and "王强" in html and "For the service office" in html
    assert "窗口服务培训" in html and "Edit the draft" not in html
    dbs.expire_all()
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "letter.sign_off",
                                               AuditEntry.object_id == letter.id)) is not None
    # Signed off: the targets are kept as signed.
    version = dbs.get(ResponsibilityLetter, letter.id).version
    page = office_client.post(f"{url}/targets", data={"version": str(version), "measure": "gaps_in_time",
                                                      "target": "50"})
    assert page.status_code == 422
    assert "kept as signed" in page.get_data(as_text=True)


def test_sign_off_needs_a_target_and_the_unit_head(office_client, dbs):
    letter = factories.make_letter(dbs, factories.make_unit(dbs))
    page = office_client.post(f"/staff/letters/{letter.id}/sign-off", data={"version": "1", "unit_head": ""})
    assert page.status_code == 422
    assert "Please name the unit head who signed the letter." in page.get_data(as_text=True)
    page = office_client.post(f"/staff/letters/{letter.id}/sign-off",
                              data={"version": "1", "unit_head": "王强"})
    assert page.status_code == 422
    assert "at least one target" in page.get_data(as_text=True)


def test_unit_staff_read_only_their_own_letter_and_members_none(client, dbs, member):
    own, other = _branch(dbs), _branch(dbs, "pudong")
    own_letter = factories.make_letter(dbs, own, targets={"member_rating": 4.0})
    other_letter = factories.make_letter(dbs, other)
    staff = factories.make_user(dbs, role="branch", unit_id=own.id)
    login(client, staff)
    page = client.get(f"/staff/letters/{own_letter.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Yearly service-quality responsibility letter" in html and "Edit the draft" not in html
    assert client.get(f"/staff/letters/{other_letter.id}").status_code == 404
    assert client.post(f"/staff/letters/{own_letter.id}/targets", data={"version": "1"}).status_code == 403
    assert client.get("/staff/scoreboard").status_code == 200
    client.post("/logout")
    member_client = client.application.test_client()
    member_client.language("en")
    login(member_client, member)
    for url in ("/staff/scoreboard", f"/staff/letters/{own_letter.id}", "/staff/cases", "/staff/stars"):
        assert member_client.get(url).status_code == 403, url


def test_the_letter_page_in_chinese(office_client, dbs):
    letter = factories.make_letter(dbs, factories.make_unit(dbs, name="计费中心"), status="signed_off",
                                   targets={"fix_confirmed": 90})
    office_client.language("zh_Hans")
    page = office_client.get(f"/staff/letters/{letter.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-Hans"' in html and "计费中心" in html


# --- the scoreboard ----------------------------------------------------------------------------


def _figures(dbs, member, unit):
    """One item due this year closed in time and one late: 50%."""
    report = factories.make_gap_submission(dbs, member)
    due = date(YEAR, 1, 10)
    factories.make_item(dbs, [report], department_id=unit.id, status="done", due_on=due,
                        closed_at=datetime(YEAR, 1, 5, tzinfo=UTC))
    factories.make_item(dbs, [report], department_id=unit.id, status="done", due_on=due,
                        closed_at=datetime(YEAR, 1, 20, tzinfo=UTC))


def test_the_scoreboard_shows_states_in_words_and_links_to_the_records(office_client, dbs, member):
    green, amber, red = (factories.make_unit(dbs, name=n) for n in ("Green unit", "Amber unit", "Red unit"))
    for unit, target in ((green, 40), (amber, 53), (red, 90)):
        _figures(dbs, member, unit)
        factories.make_letter(dbs, unit, targets={"gaps_in_time": target}, status="signed_off",
                              tasks=[("Overdue task", date(YEAR, 1, 1), None)] if unit is red else ())
    html = office_client.get(f"/staff/scoreboard?year={YEAR}").get_data(as_text=True)
    for word in ("Target reached", "Close to target", "Target missed"):
        assert word in html
    assert 'data-state="green"' in html and 'data-state="amber"' in html and 'data-state="red"' in html
    assert "0 of 1 done, 1 overdue" in html
    link = f"/staff/letters/figures/gaps_in_time/{red.id}?period={YEAR}"
    assert link in html
    records = office_client.get(link).get_data(as_text=True)
    assert records.count("Improvement item") >= 1 and "50.0%" in records


def test_the_scoreboard_statement_count_does_not_grow_with_units(app, office_client, dbs, member):
    def add_units(n):
        for _ in range(n):
            unit = factories.make_unit(dbs)
            _figures(dbs, member, unit)
            factories.make_letter(dbs, unit, targets={"gaps_in_time": 90},
                                  tasks=[("Task", date(YEAR, 3, 1), None)])
            branch = _branch(dbs)
            factories.make_letter(dbs, branch, targets={"member_rating": 4})
    add_units(1)
    few, _ = count_queries(app, office_client, f"/staff/scoreboard?year={YEAR}")
    add_units(4)
    many, text = count_queries(app, office_client, f"/staff/scoreboard?year={YEAR}")
    assert few == many, text
    assert many <= 25, text


def test_the_scoreboard_exports_as_csv_and_xlsx(office_client, dbs, member):
    unit = factories.make_unit(dbs, name="=Formula unit")
    _figures(dbs, member, unit)
    factories.make_letter(dbs, unit, targets={"gaps_in_time": 90})
    csv = office_client.get(f"/staff/scoreboard.csv?year={YEAR}&period={YEAR}-Q1")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "'=Formula unit" in text and "Target missed" in text and "50.0" in text
    xlsx = office_client.get(f"/staff/scoreboard.xlsx?year={YEAR}")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.get_data())) as book:
        assert any(name.startswith("xl/worksheets/") for name in book.namelist())
    assert office_client.get("/staff/scoreboard.pdf").status_code == 404
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "export")) is not None


def test_staff_of_another_unit_cannot_open_its_records(client, dbs, member):
    unit, own = factories.make_unit(dbs), factories.make_unit(dbs)
    _figures(dbs, member, unit)
    login(client, factories.make_user(dbs, role="product", unit_id=own.id))
    assert client.get(f"/staff/letters/figures/gaps_in_time/{unit.id}?period={YEAR}").status_code == 404
    assert client.get(f"/staff/letters/figures/gaps_in_time/{own.id}?period={YEAR}").status_code == 200
    assert client.get(f"/staff/letters/figures/nonsense/{own.id}").status_code == 404


def test_typed_in_figures_keep_the_input_when_refused(office_client, dbs):
    unit = factories.make_unit(dbs)
    page = office_client.post(f"/staff/letters/figures?year={YEAR}",
                              data={"unit_id": str(unit.id), "measure": "survey_satisfaction",
                                    "period": f"{YEAR}-Q1", "value": "lots"})
    assert page.status_code == 422
    assert 'value="lots"' in page.get_data(as_text=True)
    assert office_client.post(f"/staff/letters/figures?year={YEAR}",
                              data={"unit_id": str(unit.id), "measure": "survey_satisfaction",
                                    "period": f"{YEAR}-Q1", "value": "88.5"}).status_code == 302
    assert "88.5" in office_client.get(f"/staff/letters/figures?year={YEAR}").get_data(as_text=True)


# --- service stars and classic cases ------------------------------------------------------------


def test_office_names_a_service_star_with_the_records_behind_it(office_client, dbs):
    star = factories.make_user(dbs, role="office", name="黄涛")
    item = factories.make_item(dbs, status="done")
    page = office_client.post("/staff/stars/new", data={"user_id": str(star.id), "year": str(YEAR),
                                                        "citation": "Closed every gap in time.",
                                                        "items": "999999"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "No such record: #999999." in html and "Closed every gap in time." in html
    assert office_client.post("/staff/stars/new", data={"user_id": str(star.id), "year": str(YEAR),
                                                        "citation": "Closed every gap in time.",
                                                        "items": str(item.id)}).status_code == 302
    html = office_client.get(f"/staff/stars?year={YEAR}").get_data(as_text=True)
    assert "黄涛" in html and f"/staff/improvements/{item.id}" in html
    assert dbs.scalar(select(ServiceStar)).records[0].record_id == item.id


def test_only_a_closed_item_can_be_a_classic_case(office_client, dbs):
    open_item = factories.make_item(dbs, status="in_progress")
    page = office_client.post("/staff/cases/new", data={"record_kind": "item", "record_id": str(open_item.id),
                                                        "lesson": "Call back."})
    assert page.status_code == 422 and "Only a closed record" in page.get_data(as_text=True)
    done = factories.make_item(dbs, status="done", commitment="roaming",
                               closed_at=datetime.now(UTC) - timedelta(days=1))
    assert office_client.post("/staff/cases/new", data={"record_kind": "item", "record_id": str(done.id),
                                                       "lesson": "Call back."}).status_code == 302
    case = dbs.scalar(select(ClassicCase))
    assert case.commitment == "roaming" and case.title == done.title
    again = office_client.post("/staff/cases/new", data={"record_kind": "item", "record_id": str(done.id),
                                                        "lesson": "Again."})
    assert "already a classic case" in again.get_data(as_text=True)


def test_the_case_library_filters_and_pages_by_keyset(app, office_client, dbs):
    unit = factories.make_unit(dbs, name="Roaming unit")
    for i in range(25):
        item = factories.make_item(dbs, status="done", department_id=unit.id,
                                   commitment="roaming" if i % 2 else "e_channels")
        factories.make_classic_case(dbs, item, lesson=f"Lesson {i:02d}")
    first = office_client.get("/staff/cases").get_data(as_text=True)
    assert "Lesson 24" in first and "Lesson 04" not in first and 'rel="next"' in first
    filtered = office_client.get(f"/staff/cases?commitment=roaming&unit_id={unit.id}&year={YEAR}")
    html = filtered.get_data(as_text=True)
    assert "Lesson 23" in html and "Lesson 24" not in html
    few, _ = count_queries(app, office_client, "/staff/cases?commitment=roaming")
    for _ in range(10):
        factories.make_classic_case(dbs, factories.make_item(dbs, status="done", commitment="roaming"))
    many, text = count_queries(app, office_client, "/staff/cases?commitment=roaming")
    assert few == many, text
