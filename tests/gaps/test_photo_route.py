"""Photos are served from the database to their owner and the service office only."""
from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from portal.gaps.models import GapPhoto
from tests.conftest import login
from tests.factories import make_gap_report
from tests.gaps.helpers import image_bytes, photo, report_form
from tests.gaps.test_photos import phone_jpeg


def add_photo(dbs, report, data=None, content_type="image/png", filename="shot.png"):
    data = data if data is not None else image_bytes("PNG")
    p = GapPhoto(report_id=report.id, content_type=content_type, filename=filename,
                 size=len(data), width=8, height=6, data=data)
    dbs.add(p)
    dbs.commit()
    return p


@pytest.fixture
def members_photo(dbs, member):
    report = make_gap_report(dbs, member)
    return report, add_photo(dbs, report)


def test_owner_gets_the_bytes_with_safe_headers(member_client, members_photo):
    report, p = members_photo
    response = member_client.get(f"/reports/{report.id}/photos/{p.id}")
    assert response.status_code == 200
    assert response.data == image_bytes("PNG")
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # never in a shared cache ("no-store": portal/security.py's rule for signed-in pages)
    assert response.headers["Cache-Control"] in ("private", "no-store")
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_uploaded_png_named_jpg_is_served_as_png(member_client, dbs):
    png = image_bytes("PNG", (3, 3))
    data = report_form()
    data["photos"] = [photo(png, "looks-like.jpg", "image/jpeg")]
    location = member_client.post("/reports/new", data=data).headers["Location"]
    report_id = int(location.rsplit("/", 1)[1])
    photo_id = dbs.scalar(select(GapPhoto.id).where(GapPhoto.report_id == report_id))
    response = member_client.get(f"/reports/{report_id}/photos/{photo_id}")
    assert response.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.data)) as served:
        assert (served.format, served.size) == ("PNG", (3, 3))
    assert 'filename="gap-photo-' in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith('.png"')


@pytest.mark.parametrize("role_client", ["office_client", "admin_client"])
def test_office_and_admin_see_photos(request, members_photo, role_client):
    report, p = members_photo
    client = request.getfixturevalue(role_client)
    response = client.get(f"/reports/{report.id}/photos/{p.id}")
    assert response.status_code == 200 and response.data == image_bytes("PNG")


def test_product_staff_get_404(product_client, members_photo):
    report, p = members_photo
    assert product_client.get(f"/reports/{report.id}/photos/{p.id}").status_code == 404


def test_other_member_gets_404(client, dbs, other_member, members_photo):
    report, p = members_photo
    login(client, other_member)
    assert client.get(f"/reports/{report.id}/photos/{p.id}").status_code == 404


def test_anonymous_is_sent_to_login(client, members_photo):
    report, p = members_photo
    response = client.get(f"/reports/{report.id}/photos/{p.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_photo_must_belong_to_the_report_in_the_address(member_client, dbs, member, other_member,
                                                          members_photo):
    report, p = members_photo
    my_other_report = make_gap_report(dbs, member)
    theirs = make_gap_report(dbs, other_member)
    their_photo = add_photo(dbs, theirs)
    assert member_client.get(f"/reports/{my_other_report.id}/photos/{p.id}").status_code == 404
    assert member_client.get(f"/reports/{report.id}/photos/{their_photo.id}").status_code == 404
    assert member_client.get(f"/reports/{theirs.id}/photos/{their_photo.id}").status_code == 404
    assert member_client.get(f"/reports/{report.id}/photos/999999").status_code == 404


def test_office_also_needs_the_matching_report(office_client, dbs, member, members_photo):
    _report, p = members_photo
    another = make_gap_report(dbs, member)
    assert office_client.get(f"/reports/{another.id}/photos/{p.id}").status_code == 404


def _file_report_with(client, dbs, data: bytes, name: str) -> tuple[int, GapPhoto]:
    form = report_form()
    form["photos"] = [photo(data, name)]
    location = client.post("/reports/new", data=form).headers["Location"]
    report_id = int(location.rsplit("/", 1)[1])
    return report_id, dbs.scalar(select(GapPhoto).where(GapPhoto.report_id == report_id))


def test_staff_download_a_photo_without_where_it_was_taken(client, dbs, member, office_user):
    """A member's phone photo carries its GPS position; the office downloads clean bytes."""
    login(client, member)
    report_id, stored = _file_report_with(client, dbs, phone_jpeg(), "queue.jpg")
    assert (stored.width, stored.height) == (20, 40) and stored.size == len(stored.data)
    client.post("/logout")
    login(client, office_user)
    response = client.get(f"/reports/{report_id}/photos/{stored.id}")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert response.data == stored.data
    assert int(response.headers["Content-Length"]) == stored.size
    with Image.open(io.BytesIO(response.data)) as served:
        assert served.size == (20, 40)  # turned upright: its orientation tag is gone with the rest
        assert dict(served.getexif()) == {}
        assert served.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert b"PhoneMaker" not in response.data and b"Nanjing Road" not in response.data
