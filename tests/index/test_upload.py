"""CSV upload and the figures entry form: checked line by line, all or nothing, audited."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.index.models import IndexFigure
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_user
from tests.index.helpers import GOOD_CSV, make_period


def upload(client, period, data: bytes, name="figures.csv", **kwargs):
    return client.post(f"/staff/index/periods/{period.id}/upload",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kwargs)


def stored(dbs, period):
    dbs.expire_all()
    return {(f.component, f.commitment): (f.own_value, f.competitor_value)
            for f in dbs.scalars(select(IndexFigure).where(IndexFigure.period_id == period.id))}


def test_good_file_is_saved_and_audited(admin_client, dbs, admin_user):
    period = make_period(dbs)
    response = upload(admin_client, period, GOOD_CSV.encode())
    assert response.status_code == 302
    assert stored(dbs, period) == {
        ("satisfaction", "network_quality"): (80, None),
        ("satisfaction", "billing_reminders"): (70, None),
        ("satisfaction", "roaming"): (90, None),
        ("satisfaction_benchmark", ""): (84, 80),
        ("word_of_mouth", ""): (30, 10),
    }
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "5 figures of 2026-10 were saved from the file." in page
    assert "68.0" in page  # the index of the fixed data set
    entry = dbs.scalars(select(AuditEntry).where(AuditEntry.action == "index.upload")).one()
    assert entry.actor_id == admin_user.id and entry.object_id == period.id
    assert entry.after["rows"] == 5


def test_upload_replaces_only_the_rows_given(admin_client, dbs):
    period = make_period(dbs, figures=[("satisfaction", "network_quality", 50, None),
                                       ("satisfaction", "counter_service", 60, None)])
    data = b"component,commitment,own_value,competitor_value\nsatisfaction,network_quality,81.5,\n"
    assert upload(admin_client, period, data).status_code == 302
    assert stored(dbs, period) == {("satisfaction", "network_quality"): (81.5, None),
                                   ("satisfaction", "counter_service"): (60, None)}


def test_file_with_a_byte_order_mark(admin_client, dbs):
    period = make_period(dbs)
    data = "\ufeff".encode() + GOOD_CSV.replace("\n", "\r\n").encode()
    assert upload(admin_client, period, data).status_code == 302
    assert len(stored(dbs, period)) == 5


def test_bad_lines_are_each_reported_and_nothing_is_saved(admin_client, dbs):
    period = make_period(dbs, figures=[("satisfaction", "roaming", 55, None)])
    data = (
        b"component,commitment,own_value,competitor_value\n"
        b"satisfaction,network_quality,80,\n"          # line 2: fine
        b"satisfaction,network_quality,81,\n"          # line 3: same figure as line 2
        b"happiness,roaming,80,\n"                     # line 4: unknown component
        b"satisfaction,,80,\n"                         # line 5: satisfaction needs an area
        b"satisfaction,roaming,eighty,\n"              # line 6: not a number
        b"\n"                                          # line 7: blank, skipped
        b"satisfaction_benchmark,overall,84,\n"        # line 8: competitor missing
        b"word_of_mouth,overall,30,140\n"              # line 9: out of range
        b"satisfaction,moon,80,\n"                     # line 10: unknown area
        b"satisfaction,roaming,101,\n"                 # line 11: above 100
    )
    response = upload(admin_client, period, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nothing of it was stored" in page
    for line in (3, 4, 5, 6, 8, 9, 10, 11):
        assert f"Line {line}:" in page, line
    assert "Line 2:" not in page and "Line 7:" not in page
    assert "the same figure is already on line 2" in page
    assert "Unknown component happiness" in page
    # Nothing of the file, not even its good line 2, was stored.
    assert stored(dbs, period) == {("satisfaction", "roaming"): (55, None)}
    assert dbs.scalars(select(AuditEntry).where(AuditEntry.action == "index.upload")).all() == []


def test_non_utf8_file_is_refused(admin_client, dbs):
    period = make_period(dbs)
    data = "component,commitment,own_value,competitor_value\nsatisfaction,roaming,80,\n" \
           "satisfaction,e_channels,满意,\n".encode("gbk")
    response = upload(admin_client, period, data)
    assert response.status_code == 422
    assert "The file is not UTF-8 text" in response.get_data(as_text=True)
    assert stored(dbs, period) == {}


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"own,component\nsatisfaction,roaming\n", "Line 1 must be the header"),
    (b"component,commitment,own_value,competitor_value\n", "The file holds no figures."),
])
def test_empty_or_headless_files(admin_client, dbs, data, message):
    period = make_period(dbs)
    response = upload(admin_client, period, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(dbs, period) == {}


def test_hostile_text_in_a_file_comes_back_escaped(admin_client, dbs):
    period = make_period(dbs)
    data = ("component,commitment,own_value,competitor_value\n"
            + "".join(f"{p.replace(',', ' ')},roaming,1,\n" for p in XSS_PAYLOADS)).encode()
    page = upload(admin_client, period, data).get_data(as_text=True)
    assert "<script>alert" not in page and "<svg/onload" not in page
    assert "&lt;script&gt;" in page


def test_upload_needs_csrf(admin_client, dbs):
    period = make_period(dbs)
    assert upload(admin_client, period, GOOD_CSV.encode(), csrf=False).status_code == 400
    assert stored(dbs, period) == {}


@pytest.mark.parametrize("role", ["member", "product", "office"])
def test_only_admins_upload(client, dbs, role):
    period = make_period(dbs)
    login(client, make_user(dbs, role=role))
    assert upload(client, period, GOOD_CSV.encode()).status_code == 403
    assert client.get(f"/staff/index/periods/{period.id}").status_code == 403
    assert client.get("/staff/index/periods").status_code == 403
    assert stored(dbs, period) == {}


def test_anonymous_is_sent_to_login(client, dbs):
    period = make_period(dbs)
    response = upload(client, period, GOOD_CSV.encode())
    assert response.status_code == 302 and "/login" in response.location


def test_unknown_period_is_404(admin_client):
    assert upload(admin_client, type("P", (), {"id": 999})(), GOOD_CSV.encode()).status_code == 404


# --- the figures entry form ----------------------------------------------------------------------


def test_figures_form_saves_and_removes_blanks(admin_client, dbs):
    period = make_period(dbs, figures=[("satisfaction", "counter_service", 60, None)])
    response = admin_client.post(f"/staff/index/periods/{period.id}/figures", data={
        "satisfaction__network_quality__own": "80",
        "satisfaction_benchmark__overall__own": "84",
        "satisfaction_benchmark__overall__competitor": "80", "version": "1",
    })
    assert response.status_code == 302
    assert stored(dbs, period) == {("satisfaction", "network_quality"): (80, None),
                                   ("satisfaction_benchmark", ""): (84, 80)}
    assert dbs.scalars(select(AuditEntry).where(AuditEntry.action == "index.figures")).one()


def test_figures_form_refuses_bad_values_and_keeps_the_input(admin_client, dbs):
    period = make_period(dbs)
    response = admin_client.post(f"/staff/index/periods/{period.id}/figures", data={
        "satisfaction__network_quality__own": "80",
        "satisfaction__roaming__own": "180",
        "word_of_mouth__overall__own": "30",  # competitor missing
    })
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The figures were not saved" in page
    assert "The competitor value is missing." in page
    assert 'value="180"' in page and 'value="80"' in page
    assert stored(dbs, period) == {}


def test_no_file_chosen(admin_client, dbs):
    period = make_period(dbs)
    response = admin_client.post(f"/staff/index/periods/{period.id}/upload", data={},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Please choose a CSV file." in response.get_data(as_text=True)


# --- many bad lines: the first ones on the page, every one in the error report ------------------

HEADER = b"component,commitment,own_value,competitor_value\n"


def error_report(client, period, data: bytes, **kwargs):
    return client.post(f"/staff/index/periods/{period.id}/upload/errors.csv",
                       data={"file": (io.BytesIO(data), "figures.csv")},
                       content_type="multipart/form-data", **kwargs)


def report_rows(response) -> list[list[str]]:
    import csv

    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the UTF-8 (and Chinese) right
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_file_of_100k_bad_lines_lists_50_errors_and_the_count(admin_client, dbs):
    period = make_period(dbs, figures=[("satisfaction", "roaming", 55, None)])
    data = HEADER + b"x,,1,\n" * 100_000  # 600 kB: every line an unknown component
    response = upload(admin_client, period, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert len(response.data) < 200_000
    assert "The file has 100,000 errors; the first 50 are listed." in page
    assert "… and 99,950 more." in page
    assert page.count("Unknown component x") == 50
    assert "Line 51:" in page and "Line 52:" not in page  # line 1 is the header
    assert f'formaction="/staff/index/periods/{period.id}/upload/errors.csv"' in page
    assert "Download the error report" in page
    assert stored(dbs, period) == {("satisfaction", "roaming"): (55, None)}  # nothing saved

    report = error_report(admin_client, period, data)
    assert report.status_code == 200
    assert report.headers["Content-Type"].startswith("text/csv")
    assert report.headers["Content-Disposition"].startswith("attachment")
    assert "index-2026-10-errors.csv" in report.headers["Content-Disposition"]
    rows = report_rows(report)
    assert rows[0] == ["Line", "Column", "Problem"]
    assert len(rows) == 1 + 100_000
    assert rows[1][:2] == ["2", "component"] and rows[1][2].startswith("Unknown component x")
    assert rows[-1][:2] == ["100001", "component"]
    assert stored(dbs, period) == {("satisfaction", "roaming"): (55, None)}


def test_few_errors_show_no_count_but_the_report_names_each_column(admin_client, dbs):
    period = make_period(dbs)
    data = HEADER + (b"satisfaction,roaming,80,\n"
                     b"satisfaction,moon,80,\n"            # line 3: unknown area
                     b"word_of_mouth,overall,30,abc\n"     # line 4: competitor not a number
                     b"satisfaction_benchmark,,,\n")       # line 5: both values missing
    page = upload(admin_client, period, data).get_data(as_text=True)
    assert "The file has" not in page and "more." not in page
    assert "Line 3: Unknown commitment area moon." in page
    rows = report_rows(error_report(admin_client, period, data))
    assert [r[:2] for r in rows[1:]] == [["3", "commitment"], ["4", "competitor_value"],
                                         ["5", "own_value"], ["5", "competitor_value"]]


def test_report_of_hostile_text_cannot_run_in_a_spreadsheet(admin_client, dbs):
    period = make_period(dbs)
    rows = report_rows(error_report(admin_client, period, HEADER + b"=cmd|' /C calc'!A0,,1,\n"))
    assert rows[1][2].startswith("Unknown component =cmd")  # text, not a formula: starts with U


def test_report_of_a_good_file_says_so(admin_client, dbs):
    period = make_period(dbs)
    response = error_report(admin_client, period, GOOD_CSV.encode())
    assert response.status_code == 302
    assert "has no errors" in admin_client.get(response.location).get_data(as_text=True)
    assert stored(dbs, period) == {}  # the report never saves anything


def test_report_without_a_file_and_of_a_file_refused_whole(admin_client, dbs):
    period = make_period(dbs)
    response = admin_client.post(f"/staff/index/periods/{period.id}/upload/errors.csv", data={},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Please choose the CSV file to get its error report." in response.get_data(as_text=True)
    rows = report_rows(error_report(admin_client, period, b"\xff\xfe not utf-8"))
    assert rows[1][0] == "" and "not UTF-8" in rows[1][2]
    # a file refused whole offers no report button
    page = upload(admin_client, period, b"\xff\xfe not utf-8").get_data(as_text=True)
    assert "Download the error report" not in page


@pytest.mark.parametrize("role", ["member", "product", "office"])
def test_only_admins_get_a_report(client, dbs, role):
    period = make_period(dbs)
    login(client, make_user(dbs, role=role))
    assert error_report(client, period, HEADER + b"x,,1,\n").status_code == 403


def test_report_needs_csrf_and_a_known_period(admin_client, dbs):
    period = make_period(dbs)
    assert error_report(admin_client, period, HEADER + b"x,,1,\n", csrf=False).status_code == 400
    missing = type("P", (), {"id": 999})()
    assert error_report(admin_client, missing, HEADER + b"x,,1,\n").status_code == 404


# --- numbers: plain decimals with ASCII digits only ---------------------------------------------

@pytest.mark.parametrize("value", [
    "٨١",        # Arabic-Indic digits: float() reads 81
    "8_1",       # Python's digit separator: float() reads 81
    "１２",       # full-width digits: float() reads 12
    "1e2",       # exponent: float() reads 100
    "inf", "nan", "0x51", "81.", "8 1", "81%",
])
def test_numbers_other_than_plain_decimals_are_refused(admin_client, dbs, value):
    period = make_period(dbs)
    data = HEADER + f"satisfaction,roaming,{value},\n".encode()
    response = upload(admin_client, period, data)
    assert response.status_code == 422
    assert ("Line 2: the own value is not a number such as 81 or 81.5"
            in response.get_data(as_text=True))
    assert stored(dbs, period) == {}


@pytest.mark.parametrize("own, competitor, expected", [
    ("81", "", (81, None)), ("81.5", "", (81.5, None)), (" 0.5 ", "", (0.5, None)),
    (".5", "", (0.5, None)), ("+81", "", (81, None)),
])
def test_plain_decimals_are_read(admin_client, dbs, own, competitor, expected):
    period = make_period(dbs)
    data = HEADER + f"satisfaction,roaming,{own},{competitor}\n".encode()
    assert upload(admin_client, period, data).status_code == 302
    assert stored(dbs, period) == {("satisfaction", "roaming"): expected}


def test_negative_nps_is_read(admin_client, dbs):
    period = make_period(dbs)
    assert upload(admin_client, period, HEADER + b"word_of_mouth,overall,-12,-30.5\n").status_code == 302
    assert stored(dbs, period) == {("word_of_mouth", ""): (-12, -30.5)}


@pytest.mark.parametrize("value", ["٨١", "8_1", "１２", "1e2", "nan"])
def test_the_figures_form_refuses_them_too(admin_client, dbs, value):
    period = make_period(dbs)
    response = admin_client.post(f"/staff/index/periods/{period.id}/figures", data={
        "satisfaction__roaming__own": value, "satisfaction__network_quality__own": "80",
        "version": "1",
    })
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # Once at its input, once in the error summary at the top (linked to the input).
    assert page.count("Please give a number such as 81 or 81.5.") == 2
    assert ('<p class="error" id="satisfaction__roaming__own-error">Please give a number such as 81 '
            'or 81.5.') in page
    assert '<a href="#satisfaction__roaming__own">' in page
    assert stored(dbs, period) == {}
