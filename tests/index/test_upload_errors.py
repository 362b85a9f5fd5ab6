"""The CSV upload as an admin meets it: a refused file's errors at the top of the page, a template
file to start from, and column headers in Chinese or English."""
from __future__ import annotations

import csv
import io

import pytest

from portal.index import services
from tests.conftest import login
from tests.factories import make_user
from tests.index.helpers import make_period
from tests.index.test_upload import HEADER, stored, upload

ZH_HEADER = "分项,服务承诺,本方数值,竞争对手数值\n"


# --- errors at the top ----------------------------------------------------------------------------


def test_a_refused_files_errors_open_the_page(admin_client, dbs):
    period = make_period(dbs)
    data = HEADER + b"satisfaction,roaming,80,\n" + b"x,,1,\n" * 60
    response = upload(admin_client, period, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page.index("data-error-summary")
    # Above everything else of the period: its index card, its figures and the upload form.
    assert summary < page.index('data-testid="period-index"') < page.index('id="upload"')
    assert page.index('data-testid="upload-errors"') > summary
    assert "The file has 60 errors; the first 50 are listed." in page
    assert "… and 10 more." in page
    # One box: what was not saved, a link to the file field, the lines.
    assert page.count("nothing of it was stored") == 2  # in the summary and at the field
    assert '<a href="#file">CSV file: The file was not saved' in page
    assert 'id="file-error"' in page and 'aria-invalid="true"' in page
    assert page.count("data-error-summary") == 1
    assert "<title>Error: " in page
    assert stored(dbs, period) == {}


def test_no_file_chosen_is_said_at_the_top_too(admin_client, dbs):
    period = make_period(dbs)
    response = admin_client.post(f"/staff/index/periods/{period.id}/upload", data={},
                                 content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert page.index("data-error-summary") < page.index('id="upload"')
    assert '<a href="#file">CSV file: Please choose a CSV file.</a>' in page


# --- the template file ----------------------------------------------------------------------------


def rows_of(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the Chinese right
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_page_links_the_template_file(admin_client, dbs):
    period = make_period(dbs)
    page = admin_client.get(f"/staff/index/periods/{period.id}").get_data(as_text=True)
    assert 'href="/staff/index/figures-template.csv"' in page


def test_the_template_has_the_header_and_a_line_per_figure(admin_client):
    response = admin_client.get("/staff/index/figures-template.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == ["component", "commitment", "own_value", "competitor_value"]
    assert len(rows) == 1 + len(services.figure_keys())
    assert ["satisfaction", "roaming", "", ""] in rows
    assert ["word_of_mouth", "overall", "", ""] in rows


def test_the_template_in_chinese_has_chinese_headers_and_is_read_back(admin_client, dbs):
    admin_client.language("zh_Hans")
    rows = rows_of(admin_client.get("/staff/index/figures-template.csv"))
    assert rows[0] == ["分项", "服务承诺", "本方数值", "竞争对手数值"]
    # Filled in: two figures kept, the other lines deleted, as the page says.
    filled = [rows[0]] + [r[:2] + (["80", ""] if r[0] == "satisfaction" else ["84", "80"])
                          for r in rows[1:] if r[:2] in (["satisfaction", "roaming"],
                                                          ["satisfaction_benchmark", "overall"])]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(filled)
    period = make_period(dbs)
    response = upload(admin_client, period, ("\ufeff" + buffer.getvalue()).encode())
    assert response.status_code == 302
    assert stored(dbs, period) == {("satisfaction", "roaming"): (80, None),
                                   ("satisfaction_benchmark", ""): (84, 80)}


@pytest.mark.parametrize("role", ["member", "product", "office"])
def test_only_admins_get_the_template(client, dbs, role):
    login(client, make_user(dbs, role=role))
    assert client.get("/staff/index/figures-template.csv").status_code == 403


# --- headers in Chinese or English ------------------------------------------------------------------


@pytest.mark.parametrize("header", [
    ZH_HEADER,
    " 分项 , 服务承诺 ,本方数值,竞争对手数值\n",
    "Component,Commitment,Own value,Competitor value\n",
    "component,commitment,own_value,competitor_value\n",
])
def test_headers_in_chinese_or_english_are_read(admin_client, dbs, header):
    period = make_period(dbs)
    data = (header + "satisfaction,roaming,80,\nword_of_mouth,overall,30,10\n").encode()
    assert upload(admin_client, period, data).status_code == 302
    assert stored(dbs, period) == {("satisfaction", "roaming"): (80, None),
                                   ("word_of_mouth", ""): (30, 10)}


def test_an_unknown_header_names_both_accepted_forms(admin_client, dbs):
    period = make_period(dbs)
    response = upload(admin_client, period, "指标,领域,数值,对手\nsatisfaction,roaming,80,\n".encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("Line 1 must be the header: component,commitment,own_value,competitor_value, "
            "or in Chinese 分项,服务承诺,本方数值,竞争对手数值.") in page
    assert stored(dbs, period) == {}
