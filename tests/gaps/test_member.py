"""Members file service-gap reports with photos, list them and read their own."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import domain
from portal.gaps.models import GapPhoto, ServiceGapReport
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_gap_report
from tests.gaps.helpers import (
    FIVE_MB,
    count_queries,
    image_bytes,
    padded_png,
    photo,
    report_form,
    shanghai_fields,
)


def counts(dbs):
    dbs.expire_all()
    return (dbs.scalar(select(func.count(ServiceGapReport.id))),
            dbs.scalar(select(func.count(GapPhoto.id))))


def test_anonymous_is_sent_to_login(client):
    for url in ("/reports", "/reports/new", "/reports/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role_client", ["product_client", "office_client", "admin_client"])
def test_staff_cannot_file_reports(request, role_client):
    client = request.getfixturevalue(role_client)
    assert client.get("/reports/new").status_code == 403
    assert client.get("/reports").status_code == 403


def test_new_form_defaults_to_members_district_and_lists_vocabularies(member_client):
    response = member_client.get("/reports/new")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<option selected value="xuhui">Xuhui</option>', html)
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    for label in ("Field technician", "SMS or bill notice", "Value-added-service management",
                  "Counter service", "1 - Minor", "4 - Critical"):
        assert label in html
    assert f'value="{domain.shanghai_today().isoformat()}"' in html


def test_member_files_a_report_with_photos(member_client, member, dbs):
    jpeg, png_named_jpg, webp = image_bytes("JPEG", (20, 10)), image_bytes("PNG", (5, 4)), image_bytes("WEBP")
    data = report_form()
    data["photos"] = [photo(jpeg, "queue.jpg"), photo(png_named_jpg, "screen.jpg"),
                      photo(webp, "app.webp", "image/webp")]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 302
    report = dbs.scalar(select(ServiceGapReport))
    assert response.headers["Location"].endswith(f"/reports/{report.id}")
    assert (report.member_id, report.channel, report.commitment, report.district) == (
        member.id, "hotline", "billing_reminders", "jingan")
    assert (report.severity, report.status, report.place) == (3, "new", "10000 hotline")
    assert report.title == "Bill reminder came late"
    stored = dbs.scalars(select(GapPhoto).order_by(GapPhoto.id)).all()
    assert [(p.filename, p.content_type, p.width, p.height) for p in stored] == [
        ("queue.jpg", "image/jpeg", 20, 10), ("screen.jpg", "image/png", 5, 4),
        ("app.webp", "image/webp", 8, 6)]
    # re-encoded without metadata (tests/gaps/test_photos.py): a JPEG still, its size the stored one
    assert stored[0].data.startswith(b"\xff\xd8") and stored[0].size == len(stored[0].data)
    page = member_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your report was sent" in page
    for p in stored:
        assert f'src="/reports/{report.id}/photos/{p.id}"' in page


def test_time_is_shanghai_local_stored_as_utc(member_client, dbs):
    response = member_client.post("/reports/new", data=report_form(
        occurred_on=(domain.shanghai_today() - timedelta(days=2)).isoformat(), occurred_time="08:15"))
    assert response.status_code == 302
    report = dbs.scalar(select(ServiceGapReport))
    expected = datetime.combine(domain.shanghai_today() - timedelta(days=2),
                                datetime.min.time().replace(hour=8, minute=15), tzinfo=domain.SHANGHAI)
    assert report.occurred_at == expected
    assert report.occurred_at.astimezone(UTC).hour == 0  # 08:15 in Shanghai is 00:15 UTC
    page = member_client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "8:15" in page


def test_report_without_photos_is_fine(member_client, dbs):
    response = member_client.post("/reports/new", data=report_form(place=""))
    assert response.status_code == 302
    assert counts(dbs) == (1, 0)


def _assert_kept(html, data):
    assert "Your report was not sent" in html
    assert f'value="{data["place"]}"' in html
    assert f'value="{data["title"]}"' in html
    assert data["description"] in html
    assert f'value="{data["occurred_on"]}"' in html and f'value="{data["occurred_time"]}"' in html


@pytest.mark.parametrize("field, value, message", [
    ("channel", "carrier_pigeon", "Not a valid choice."),
    ("commitment", "free_phones", "Not a valid choice."),
    ("district", "atlantis", "Not a valid choice."),
    ("severity", "9", "Not a valid choice."),
    ("severity", "abc", "Invalid Choice: could not coerce."),
    ("channel", "", "Please choose a channel."),
    ("commitment", "", "Please choose the service commitment it touches."),
    ("title", "", "Please give a title."),
    ("title", "t" * 201, "Please use at most 200 characters."),
    ("description", "   ", "Please describe what happened."),
    ("description", "d" * 5001, "Please use at most 5000 characters."),
    ("place", "p" * 201, "Please use at most 200 characters."),
    ("occurred_time", "25:99", "Please give a time such as 14:30."),
    ("occurred_on", "yesterday", "Please give a date such as 2024-05-31."),
    ("occurred_on", "", "Please give the date."),
])
def test_invalid_values_are_refused_with_input_kept(member_client, dbs, field, value, message):
    data = report_form(**{field: value})
    data["photos"] = [photo(image_bytes("PNG"), "ok.png", "image/png")]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "please choose your photos again" in html
    kept = report_form(**{field: value})
    for name in ("place", "title", "occurred_on", "occurred_time"):
        assert f'value="{kept[name]}"' in html
    assert f"{kept['description'].strip()}</textarea>" in html
    if field in ("channel", "commitment", "district"):
        # The other choices stay as they were chosen.
        others = {"channel": "hotline", "commitment": "billing_reminders", "district": "jingan"}
        for name, code in others.items():
            if name != field:
                assert f'<option selected value="{code}">' in html
    if field != "severity":
        assert '<input checked id="severity-2" name="severity" required type="radio" value="3">' in html
    assert counts(dbs) == (0, 0)


def test_missing_severity_asks_for_one(member_client, dbs):
    data = report_form()
    del data["severity"]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please choose a severity." in html
    assert "Not a valid choice." not in html
    assert counts(dbs) == (0, 0)


def test_future_time_is_refused(member_client, dbs):
    later = datetime.now(domain.SHANGHAI) + timedelta(minutes=10)
    response = member_client.post("/reports/new", data=report_form(**shanghai_fields(later)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The time it happened cannot be in the future." in html
    _assert_kept(html, report_form(**shanghai_fields(later)))
    assert counts(dbs) == (0, 0)


def test_tomorrow_is_refused(member_client, dbs):
    tomorrow = (domain.shanghai_today() + timedelta(days=1)).isoformat()
    response = member_client.post("/reports/new",
                                  data=report_form(occurred_on=tomorrow, occurred_time="00:01"))
    assert response.status_code == 422
    assert "cannot be in the future" in response.get_data(as_text=True)


def test_absurdly_old_time_is_refused(member_client, dbs):
    response = member_client.post("/reports/new",
                                  data=report_form(occurred_on="1999-12-31", occurred_time="23:59"))
    assert response.status_code == 422
    assert "Please report gaps from the last 365 days only." in response.get_data(as_text=True)
    assert counts(dbs) == (0, 0)


def test_text_file_named_jpg_is_refused_and_nothing_saved(member_client, dbs):
    data = report_form()
    data["photos"] = [photo(image_bytes("JPEG"), "good.jpg"),
                      photo(b"I am not a picture at all", "evil.jpg")]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "evil.jpg is not a JPEG, PNG or WebP image." in html
    assert "good.jpg" not in html
    assert "please choose your photos again" in html
    _assert_kept(html, report_form())
    assert counts(dbs) == (0, 0)


def test_oversized_photo_is_refused_with_a_message(member_client, dbs):
    data = report_form()
    data["photos"] = [photo(padded_png(FIVE_MB + 1), "huge.png", "image/png")]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 422
    assert "huge.png is larger than 5 MB." in response.get_data(as_text=True)
    assert counts(dbs) == (0, 0)


def test_photo_of_exactly_five_mb_is_accepted(member_client, dbs):
    data = report_form()
    data["photos"] = [photo(padded_png(FIVE_MB), "edge.png", "image/png")]
    assert member_client.post("/reports/new", data=data).status_code == 302
    assert counts(dbs) == (1, 1)


def test_three_full_size_photos_fit_the_request_limit(member_client, dbs):
    data = report_form(description="x" * 5000)
    data["photos"] = [photo(padded_png(FIVE_MB), f"full{n}.png", "image/png") for n in range(3)]
    assert member_client.post("/reports/new", data=data).status_code == 302
    assert counts(dbs) == (1, 3)


def test_fourth_photo_is_refused(member_client, dbs):
    data = report_form()
    data["photos"] = [photo(image_bytes("PNG"), f"p{n}.png", "image/png") for n in range(4)]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 422
    assert "You chose 4 photos; a report can have at most 3." in response.get_data(as_text=True)
    assert counts(dbs) == (0, 0)


def test_phone_photos_far_over_the_limit_come_back_on_the_form_with_the_text_kept(member_client, dbs):
    """Two 12 MB photos: 24 MB, more than the 16 MB the site once took before answering with its
    413 page, which lost everything typed. Now the form comes back, filled in, with a message on
    the photos field naming each photo."""
    data = report_form()
    data["photos"] = [photo(padded_png(12 * 1024 * 1024), f"phone{n}.png", "image/png") for n in (1, 2)]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    _assert_kept(html, report_form())
    assert ('<p class="error" id="photos-error">phone1.png is larger than 5 MB.<br>'
            'phone2.png is larger than 5 MB.</p>') in html
    assert 'aria-describedby="photos-hint photos-error" aria-invalid="true"' in html
    assert counts(dbs) == (0, 0)


def test_a_body_over_the_sites_limit_still_gets_the_413_page(app, member_client, dbs):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    data = report_form()
    data["photos"] = [photo(padded_png(2 * 1024 * 1024), "giant.png", "image/png")]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 413
    assert "Photos may be at most 5 MB each." in response.get_data(as_text=True)
    assert counts(dbs) == (0, 0)


def test_the_photo_input_tells_the_browser_the_limits_and_messages(member_client):
    """portal.js refuses too many or too large photos before sending, with these."""
    html = member_client.get("/reports/new").get_data(as_text=True)
    assert f'data-max-bytes="{FIVE_MB}"' in html and 'data-max-files="3"' in html
    assert 'data-too-large="{name} is larger than 5 MB."' in html
    assert 'data-too-many="You chose {count} photos; a report can have at most 3."' in html


def test_missing_csrf_token_is_refused(member_client, dbs):
    response = member_client.post("/reports/new", data=report_form(), csrf=False)
    assert response.status_code == 400
    assert counts(dbs) == (0, 0)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_payloads_render_escaped_for_the_member(member_client, dbs, payload):
    data = report_form(place=payload, title=payload, description=payload)
    data["photos"] = [photo(image_bytes("PNG"), f"{payload}.png", "image/png")]
    response = member_client.post("/reports/new", data=data)
    assert response.status_code == 302
    for url in (response.headers["Location"], "/reports"):
        html = member_client.get(url).get_data(as_text=True)
        assert payload not in html
        assert "&lt;" in html
    # A rejected form shows the payloads escaped too.
    rejected = member_client.post("/reports/new", data=report_form(
        place=payload, title=payload, description=payload, channel="bogus")).get_data(as_text=True)
    assert payload not in rejected


def test_member_list_shows_own_reports_newest_first_with_status(member_client, member, other_member, dbs):
    now = datetime.now(UTC)
    make_gap_report(dbs, member, title="Older gap", created_at=now - timedelta(days=2))
    make_gap_report(dbs, member, title="Newer gap", status="in_review", created_at=now - timedelta(hours=1))
    make_gap_report(dbs, other_member, title="Someone else's gap")
    html = member_client.get("/reports").get_data(as_text=True)
    assert html.index("Newer gap") < html.index("Older gap")
    assert "Someone else" not in html
    assert "In review" in html and "Received" in html


def test_member_list_empty(member_client):
    assert "You have not reported a service gap yet." in member_client.get("/reports").get_data(as_text=True)


def test_member_list_is_paginated(member_client, member, dbs):
    for n in range(23):
        make_gap_report(dbs, member, title=f"Paged gap {n:02d}")
    first = member_client.get("/reports").get_data(as_text=True)
    second = member_client.get("/reports?page=2").get_data(as_text=True)
    assert first.count("Paged gap") == 20 and second.count("Paged gap") == 3
    assert "Page 2 of 2" in second


def _add_photos(dbs, report, n=2):
    for i in range(n):
        dbs.add(GapPhoto(report_id=report.id, content_type="image/png", filename=f"{i}.png",
                         size=10, width=8, height=6, data=image_bytes("PNG")))
    dbs.commit()


def test_member_list_query_count_is_fixed_and_skips_photo_bytes(app, member_client, member, dbs):
    for _ in range(3):
        _add_photos(dbs, make_gap_report(dbs, member))
    with_3, _sql = count_queries(app, member_client, "/reports")
    for _ in range(27):
        _add_photos(dbs, make_gap_report(dbs, member))
    with_30, sql = count_queries(app, member_client, "/reports")
    assert with_3 == with_30 <= 5  # one of them: what became of each report (member_status)
    assert "gap_photos.data" not in sql
    html = member_client.get("/reports").get_data(as_text=True)
    assert '<td data-label="Photos">2</td>' in html


def test_member_detail_shows_everything(member_client, member, dbs):
    report = make_gap_report(dbs, member, channel="field_technician", commitment="network_quality",
                             district="minhang", place="Home", severity=4, title="No signal",
                             description="Line one\nLine two")
    _add_photos(dbs, report, 1)
    html = member_client.get(f"/reports/{report.id}").get_data(as_text=True)
    for text in ("No signal", "Field technician", "Network quality", "Minhang", "Home",
                 "4 - Critical", "Line one\nLine two", "Received", "0.png"):
        assert text in html
    photo_id = dbs.scalar(select(GapPhoto.id).where(GapPhoto.report_id == report.id))
    assert f'<img src="/reports/{report.id}/photos/{photo_id}"' in html


def test_another_members_report_is_404(member_client, other_member, dbs):
    theirs = make_gap_report(dbs, other_member)
    assert member_client.get(f"/reports/{theirs.id}").status_code == 404
    assert member_client.get("/reports/999999").status_code == 404


def test_pages_render_in_chinese(client, member, dbs):
    report = make_gap_report(dbs, member)
    _add_photos(dbs, report, 1)
    login(client, member)
    client.language("zh_Hans")
    for url in ("/reports", "/reports/new", f"/reports/{report.id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert 'lang="zh' in response.get_data(as_text=True)
    rejected = client.post("/reports/new", data=report_form(channel="bogus"))
    assert rejected.status_code == 422
