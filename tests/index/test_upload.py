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
        "satisfaction_benchmark__overall__competitor": "80",
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
