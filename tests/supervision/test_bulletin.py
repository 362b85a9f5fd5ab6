"""The monthly bulletin of analysed cases: picking, analysis, publishing, who reads it, XLSX."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.domain import SHANGHAI, shanghai_today
from portal.supervision.models import Bulletin, BulletinCase
from tests import factories
from tests.conftest import login
from tests.queries import page_statements


def _last_month():
    return (shanghai_today().replace(day=1) - timedelta(days=1)).replace(day=1)


MONTH = _last_month()
CODE = f"{MONTH:%Y-%m}"
URL = f"/hotline/bulletins/{CODE}"
ANALYSIS = {"analysis": "客户等了三天才有人处理", "root_cause": "A角休假，无人代岗",
            "changes_made": "A角休假时由B角自动接单"}


def _filed(day: int = 10):
    return datetime(MONTH.year, MONTH.month, day, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def units(dbs):
    return {"network": factories.make_unit(dbs, name="网络运维部"),
            "xuhui": factories.make_unit(dbs, kind="district_branch", district="xuhui", name="徐汇分公司"),
            "minhang": factories.make_unit(dbs, kind="district_branch", district="minhang",
                                           name="闵行分公司")}


@pytest.fixture
def requests_(dbs, units):
    return [factories.make_support_request(dbs, units["xuhui"], units["network"], filed_at=_filed(d),
                                           title=f"Case of day {d}") for d in (5, 12, 20)]


def _as(client, dbs, user_id):
    from portal.accounts.models import User

    client.post("/logout")
    login(client, dbs.get(User, user_id))


def _case(dbs, request_id) -> BulletinCase:
    dbs.expire_all()
    return dbs.scalar(select(BulletinCase).where(BulletinCase.request_id == request_id))


def _analyse(client, case, **texts):
    data = {f"case{case.id}-{k}": v for k, v in {**ANALYSIS, **texts}.items()}
    data[f"case{case.id}-version"] = str(case.version)
    return client.post(f"{URL}/cases/{case.id}/analysis", data=data)


def _published(client, dbs, office_user, requests_) -> Bulletin:
    login(client, office_user)
    for r in requests_[:2]:
        if _case(dbs, r.id) is None:
            assert client.post(f"{URL}/pick", data={"request_id": str(r.id)}).status_code == 302
        assert _analyse(client, _case(dbs, r.id)).status_code == 302
    bulletin = dbs.scalar(select(Bulletin))
    assert client.post(f"{URL}/publish", data={"version": str(bulletin.version)}).status_code == 302
    dbs.expire_all()
    return dbs.scalar(select(Bulletin))


def test_office_picks_analyses_and_publishes(client, dbs, office_user, requests_):
    login(client, office_user)
    page = client.get(URL).get_data(as_text=True)
    assert "Case of day 5" in page and "Pick a first case below" in page
    for r in requests_:
        assert client.post(f"{URL}/pick", data={"request_id": str(r.id)}).status_code == 302
    again = client.post(f"{URL}/pick", data={"request_id": str(requests_[0].id)})
    assert again.status_code == 422 and "in the bulletin already" in again.get_data(as_text=True)
    out = _case(dbs, requests_[2].id)
    assert client.post(f"{URL}/cases/{out.id}/remove").status_code == 302
    assert _case(dbs, requests_[2].id) is None

    # analysis required: one case analysed, the other only in part
    first, second = _case(dbs, requests_[0].id), _case(dbs, requests_[1].id)
    assert _analyse(client, first).status_code == 302
    assert _analyse(client, second, root_cause="").status_code == 302
    bulletin = dbs.scalar(select(Bulletin))
    refused = client.post(f"{URL}/publish", data={"version": str(bulletin.version)})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Every case needs its analysis" in html and str(requests_[1].id) in html
    dbs.expire_all()
    assert dbs.scalar(select(Bulletin)).status == "draft"

    assert _analyse(client, _case(dbs, requests_[1].id)).status_code == 302
    done = client.post(f"{URL}/publish", data={"version": str(bulletin.version)}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "The bulletin is published" in html and "A角休假时由B角自动接单" in html
    assert 'name="request_id"' not in html  # no more picking
    dbs.expire_all()
    published = dbs.scalar(select(Bulletin))
    assert published.status == "published" and published.published_by_id == office_user.id
    actions = [e.action for e in dbs.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "support_bulletin").order_by(AuditEntry.id))]
    assert actions[:1] == ["create"] and actions.count("pick") == 3 and "unpick" in actions
    assert actions[-1] == "publish"
    # published: no more changes
    late = client.post(f"{URL}/pick", data={"request_id": str(requests_[2].id)})
    assert late.status_code == 422 and "no longer changes" in late.get_data(as_text=True)


def test_an_analysis_keeps_what_was_typed_and_a_stale_one_is_a_conflict(client, dbs, office_user,
                                                                         requests_):
    login(client, office_user)
    client.post(f"{URL}/pick", data={"request_id": str(requests_[0].id)})
    case = _case(dbs, requests_[0].id)
    too_long = _analyse(client, case, analysis="x" * 5001)
    assert too_long.status_code == 422 and "A角休假，无人代岗" in too_long.get_data(as_text=True)
    assert _analyse(client, case).status_code == 302
    stale = _analyse(client, case, analysis="changed")  # the page's version 1 again
    assert "Someone else changed this" in client.get(stale.headers["Location"]).get_data(as_text=True)
    assert _case(dbs, requests_[0].id).analysis == ANALYSIS["analysis"]


def test_only_requests_of_the_month_are_picked(client, dbs, office_user, units):
    other = factories.make_support_request(dbs, units["xuhui"], units["network"],
                                           filed_at=_filed(1) - timedelta(days=40))
    login(client, office_user)
    response = client.post(f"{URL}/pick", data={"request_id": str(other.id)})
    assert response.status_code == 422 and "filed in this month" in response.get_data(as_text=True)
    assert dbs.scalar(select(Bulletin)) is None
    assert client.get("/hotline/bulletins/2999-01").status_code == 404  # a month to come
    assert client.get("/hotline/bulletins/nonsense").status_code == 404


def test_who_reads_what(client, dbs, units, office_user, member, requests_):
    login(client, office_user)
    client.post(f"{URL}/pick", data={"request_id": str(requests_[0].id)})
    # a draft: the office only
    for reader in (units["minhang"].a_contact_id, units["network"].a_contact_id):
        _as(client, dbs, reader)
        assert client.get(URL).status_code == 404
        assert client.get(f"{URL}.xlsx").status_code == 404
        assert CODE not in client.get("/hotline/bulletins").get_data(as_text=True)
    # a department's contact holds the office role but does not supervise: no writes
    _as(client, dbs, units["network"].a_contact_id)
    assert client.post(f"{URL}/pick", data={"request_id": str(requests_[1].id)}).status_code == 403
    _as(client, dbs, units["minhang"].a_contact_id)  # branch staff: no supervision.manage
    assert client.post(f"{URL}/pick", data={"request_id": str(requests_[1].id)}).status_code == 403
    client.post("/logout")
    _published(client, dbs, office_user, requests_)
    # published: every unit's staff, a branch that filed none of the cases too
    _as(client, dbs, units["minhang"].a_contact_id)
    assert CODE in client.get("/hotline/bulletins").get_data(as_text=True)
    html = client.get(URL).get_data(as_text=True)
    main = html.split('<main')[1].split('</main>')[0]
    assert "A角休假，无人代岗" in main and "Case of day 5" in main and "<form" not in main
    assert client.get(f"{URL}.xlsx").status_code == 200
    # members: nothing
    client.post("/logout")
    login(client, member)
    for url in ("/hotline/bulletins", URL, f"{URL}.xlsx"):
        assert client.get(url).status_code == 403, url


def test_the_xlsx_reads_back(client, dbs, units, office_user, requests_):
    _published(client, dbs, office_user, requests_)
    response = client.get(f"{URL}.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert f"bulletin-{CODE}.xlsx" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("No.", "What the front line needs", "District branch", "Department")
    assert rows[0][-3:] == ("What went wrong", "Root cause", "What was changed")
    assert [r[0] for r in rows[1:]] == [requests_[0].id, requests_[1].id]
    assert rows[1][2] == "Xuhui branch" and rows[1][3] == "网络运维部"
    assert rows[1][-3:] == (ANALYSIS["analysis"], ANALYSIS["root_cause"], ANALYSIS["changes_made"])
    exports = dbs.scalars(select(AuditEntry).where(AuditEntry.object_type == "export")).all()
    assert exports[-1].after["list"] == "support_bulletin" and exports[-1].after["rows"] == 2
    client.language("zh_Hans")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{URL}.xlsx").data)).active
    header = next(sheet.iter_rows(values_only=True))
    assert header[2:4] == ("区县分公司", "责任部门")
    assert next(sheet.iter_rows(min_row=2, values_only=True))[2] == "徐汇区分公司"


def test_pages_in_both_languages_and_printable(client, dbs, office_user, requests_):
    _published(client, dbs, office_user, requests_)
    for lang in ("en", "zh_Hans"):
        client.language(lang)
        for url in ("/hotline/bulletins", URL):
            response = client.get(url)
            assert response.status_code == 200, url
            assert f'<html lang="{"en" if lang == "en" else "zh"}' in response.get_data(as_text=True)
    html = client.get(URL).get_data(as_text=True)
    assert "supervision" in html and ".css" in html and 'class="meta no-print"' in html
    css = client.get(next(part.split('"')[0] for part in html.split('href="')
                          if "supervision" in part.split('"')[0] and ".css" in part.split('"')[0]))
    body = css.get_data(as_text=True)
    assert "@media print" in body and ".site-header" in body and "form" in body


def test_statement_counts_are_fixed(app, client, dbs, units, office_user, requests_):
    login(client, office_user)
    client.post(f"{URL}/pick", data={"request_id": str(requests_[0].id)})
    draft_few = len(page_statements(app, client, URL))
    list_few = len(page_statements(app, client, "/hotline/bulletins"))
    for r in requests_[1:]:
        client.post(f"{URL}/pick", data={"request_id": str(r.id)})
    for d in (21, 22, 23):
        factories.make_support_request(dbs, units["minhang"], units["network"], filed_at=_filed(d))
    assert len(page_statements(app, client, URL)) == draft_few
    dbs.add(Bulletin(month=(MONTH - timedelta(days=1)).replace(day=1), status="published"))
    dbs.commit()
    assert len(page_statements(app, client, "/hotline/bulletins")) == list_few
    for case in dbs.scalars(select(BulletinCase)).all():
        case.analysis, case.root_cause, case.changes_made = "a", "b", "c"
    dbs.commit()
    bulletin = dbs.scalar(select(Bulletin).where(Bulletin.month == MONTH))
    client.post(f"{URL}/publish", data={"version": str(bulletin.version)})
    _as(client, dbs, units["minhang"].a_contact_id)
    few = len(page_statements(app, client, URL))
    dbs.delete(dbs.scalar(select(BulletinCase)))
    dbs.commit()
    assert len(page_statements(app, client, URL)) == few
