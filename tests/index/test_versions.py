"""Two admins editing the same period (or its figures) on stale forms: the later save is
refused with 409, their input kept and the other's current values shown; nothing overwritten."""
from __future__ import annotations

import io

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.index.models import IndexFigure, IndexPeriod
from tests.conftest import login
from tests.factories import make_user
from tests.index.helpers import GOOD_CSV, make_period

CONFLICT = "Someone else changed this while you were editing."


def period_form(**changes) -> dict:
    return {"label": "2026-10", "kind": "month", "starts_on": "2026-10-01", "ends_on": "2026-10-31",
            "weight_satisfaction": "40", "weight_benchmark": "30", "weight_word_of_mouth": "30",
            "version": "1", **changes}


def two_admins(app, dbs):
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.language("en")
        login(c, make_user(dbs, role="admin"))
    return first, second


def test_the_edit_form_carries_the_version(admin_client, dbs):
    period = make_period(dbs)
    page = admin_client.get(f"/staff/index/periods/{period.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    page = admin_client.get(f"/staff/index/periods/{period.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page  # the figures form


def test_two_admins_saving_a_period_the_later_gets_409_with_input_kept(app, dbs):
    period = make_period(dbs)
    first, second = two_admins(app, dbs)
    url = f"/staff/index/periods/{period.id}/edit"
    # both opened the form at version 1
    assert first.post(url, data=period_form(weight_satisfaction="60")).status_code == 302
    response = second.post(url, data=period_form(weight_satisfaction="25", label="2026-11"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert CONFLICT in html and 'data-testid="conflict"' in html
    assert 'value="25"' in html and 'value="2026-11"' in html     # B's input kept
    assert "60 / 30 / 30" in html                                   # A's saved weights shown
    dbs.expire_all()
    current = dbs.get(IndexPeriod, period.id)
    assert (current.label, current.weight_satisfaction, current.version) == ("2026-10", 60, 2)
    assert [e.action for e in dbs.scalars(select(AuditEntry))] == ["update"]
    # the form now carries the current version: saving again is a deliberate overwrite
    assert 'name="version" type="hidden" value="2"' in html
    again = second.post(url, data=period_form(weight_satisfaction="25", version="2"))
    assert again.status_code == 302
    dbs.expire_all()
    assert dbs.get(IndexPeriod, period.id).weight_satisfaction == 25


def test_a_save_without_or_with_a_forged_version_is_refused(admin_client, dbs):
    period = make_period(dbs)
    url = f"/staff/index/periods/{period.id}/edit"
    for version in ("", "x", "٢", "99"):
        response = admin_client.post(url, data=period_form(weight_satisfaction="60", version=version))
        assert response.status_code == 409, version
    dbs.expire_all()
    assert dbs.get(IndexPeriod, period.id).weight_satisfaction == 40


def test_a_save_slipping_in_before_the_update_is_a_conflict_too(app, admin_client, dbs, monkeypatch):
    from portal.index import services

    period = make_period(dbs)
    real_record = services.record

    def record_then_race(*args, **kwargs):
        with app.extensions["portal.engine"].begin() as conn:
            conn.exec_driver_sql("UPDATE index_periods SET version = version + 1, "
                                 f"weight_benchmark = 10 WHERE id = {period.id:d}")
        monkeypatch.setattr(services, "record", real_record)
        return real_record(*args, **kwargs)

    monkeypatch.setattr(services, "record", record_then_race)
    response = admin_client.post(f"/staff/index/periods/{period.id}/edit",
                                 data=period_form(weight_satisfaction="70"))
    assert response.status_code == 409
    assert 'value="70"' in response.get_data(as_text=True)
    dbs.expire_all()
    current = dbs.get(IndexPeriod, period.id)
    assert (current.weight_satisfaction, current.weight_benchmark) == (40, 10)


# --- the figures form ---------------------------------------------------------------------------


def figures(dbs, period):
    dbs.expire_all()
    return {(f.component, f.commitment): f.own_value
            for f in dbs.scalars(select(IndexFigure).where(IndexFigure.period_id == period.id))}


def test_two_admins_saving_figures_the_later_gets_409_and_the_first_stays(app, dbs):
    period = make_period(dbs, figures=[("satisfaction", "roaming", 50, None)])
    first, second = two_admins(app, dbs)
    url = f"/staff/index/periods/{period.id}/figures"
    saved = first.post(url, data={"satisfaction__roaming__own": "61",
                                  "satisfaction__network_quality__own": "70", "version": "1"})
    assert saved.status_code == 302
    # B's form was opened before A saved: it would remove A's network figure and undo the 61
    response = second.post(url, data={"satisfaction__roaming__own": "77", "version": "1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert CONFLICT in html and 'data-testid="conflict"' in html
    assert 'value="77"' in html                                     # B's input kept
    conflict = html.split('data-testid="conflict"', 1)[1].split("</table>", 1)[0]
    assert "61.0" in conflict and "70.0" in conflict                # A's figures shown
    assert figures(dbs, period) == {("satisfaction", "roaming"): 61,
                                    ("satisfaction", "network_quality"): 70}
    assert 'name="version" type="hidden" value="2"' in html
    assert second.post(url, data={"satisfaction__roaming__own": "77", "version": "2"}).status_code == 302
    assert figures(dbs, period) == {("satisfaction", "roaming"): 77}


def test_an_upload_in_between_makes_an_open_figures_form_stale(admin_client, dbs):
    period = make_period(dbs)
    upload = admin_client.post(f"/staff/index/periods/{period.id}/upload",
                               data={"file": (io.BytesIO(GOOD_CSV.encode()), "f.csv")},
                               content_type="multipart/form-data")
    assert upload.status_code == 302
    response = admin_client.post(f"/staff/index/periods/{period.id}/figures",
                                 data={"satisfaction__roaming__own": "10", "version": "1"})
    assert response.status_code == 409
    assert len(figures(dbs, period)) == 5  # the uploaded figures are all still there


def test_saving_the_same_figures_again_keeps_the_version(admin_client, dbs):
    period = make_period(dbs, figures=[("satisfaction", "roaming", 50, None)])
    url = f"/staff/index/periods/{period.id}/figures"
    assert admin_client.post(url, data={"satisfaction__roaming__own": "50",
                                        "version": "1"}).status_code == 302
    dbs.expire_all()
    assert dbs.get(IndexPeriod, period.id).version == 1


def test_an_upload_racing_a_figures_save_saves_nothing(app, admin_client, dbs, monkeypatch):
    from portal.index import services

    period = make_period(dbs)
    real_record = services.record

    def record_then_race(*args, **kwargs):
        with app.extensions["portal.engine"].begin() as conn:
            conn.exec_driver_sql(f"UPDATE index_periods SET version = version + 1 WHERE id = {period.id:d}")
        monkeypatch.setattr(services, "record", real_record)
        return real_record(*args, **kwargs)

    monkeypatch.setattr(services, "record", record_then_race)
    response = admin_client.post(f"/staff/index/periods/{period.id}/upload",
                                 data={"file": (io.BytesIO(GOOD_CSV.encode()), "f.csv")},
                                 content_type="multipart/form-data")
    assert response.status_code == 409
    assert CONFLICT in response.get_data(as_text=True)
    assert figures(dbs, period) == {}
