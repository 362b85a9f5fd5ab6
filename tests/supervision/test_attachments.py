"""Photos and screenshots of a support request: limits and types on filing (checked and
re-encoded as gap photos are), and who may download them (404 for every staff user who may not
see the request, 403 for members)."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from portal.gaps.photos import MAX_PHOTO_BYTES
from portal.supervision.models import SupportAttachment, SupportRequest
from tests import factories
from tests.conftest import login
from tests.gaps.helpers import padded_png
from tests.gaps.test_photos import phone_jpeg


def _png(color=(0, 120, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 10), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def units(dbs):
    return {"network": factories.make_unit(dbs, name="网络运维部"),
            "billing": factories.make_unit(dbs, name="计费中心"),
            "xuhui": factories.make_unit(dbs, kind="district_branch", district="xuhui", name="徐汇分公司"),
            "minhang": factories.make_unit(dbs, kind="district_branch", district="minhang",
                                           name="闵行分公司")}


def _as(client, dbs, user_id):
    from portal.accounts.models import User

    client.post("/logout")
    login(client, dbs.get(User, user_id))


def _file(client, units, files, title="基站投诉需现场测试"):
    return client.post("/hotline/new", data={
        "title": title, "category": "network", "urgency": "normal",
        "department_id": str(units["network"].id), "attachments": files,
    }, content_type="multipart/form-data")


def test_photos_are_kept_re_encoded_by_their_real_type(client, dbs, units):
    _as(client, dbs, units["xuhui"].a_contact_id)
    response = _file(client, units, [(io.BytesIO(phone_jpeg()), "site.jpg"),
                                     (io.BytesIO(_png()), "screen.jpg")])  # a PNG named .jpg
    assert response.status_code == 302
    request = dbs.scalar(select(SupportRequest))
    kept = dbs.scalars(select(SupportAttachment).where(SupportAttachment.request_id == request.id)
                       .order_by(SupportAttachment.id)).all()
    assert [(a.filename, a.content_type) for a in kept] == [("site.jpg", "image/jpeg"),
                                                            ("screen.jpg", "image/png")]
    assert b"Nanjing Road" not in kept[0].data and b"GPS" not in kept[0].data
    page = client.get(f"/hotline/{request.id}").get_data(as_text=True)
    assert "site.jpg" in page and f"/hotline/{request.id}/attachments/{kept[1].id}" in page
    download = client.get(f"/hotline/{request.id}/attachments/{kept[1].id}")
    assert download.status_code == 200 and download.mimetype == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert Image.open(io.BytesIO(download.data)).format == "PNG"


@pytest.mark.parametrize("files, message", [
    ([(io.BytesIO(b"not an image at all"), "notes.jpg")], "notes.jpg is not a JPEG, PNG or WebP image."),
    ([(io.BytesIO(b""), "empty.png")], "empty.png is empty."),
    ([(io.BytesIO(padded_png(MAX_PHOTO_BYTES + 1)), "big.png")], "big.png is larger than 5 MB."),
    ([(io.BytesIO(b"%PDF-1.4"), "letter.pdf")], "letter.pdf is not a JPEG, PNG or WebP image."),
    ([(io.BytesIO(_png()), f"p{n}.png") for n in range(4)], "at most 3"),
])
def test_refused_uploads_save_nothing_and_keep_the_input(client, dbs, units, files, message):
    _as(client, dbs, units["xuhui"].a_contact_id)
    response = _file(client, units, files, title="Typed title kept")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "Typed title kept" in html
    assert dbs.scalar(select(SupportRequest)) is None
    assert dbs.scalar(select(SupportAttachment)) is None


def test_a_good_photo_and_a_bad_one_are_refused_together(client, dbs, units):
    _as(client, dbs, units["xuhui"].a_contact_id)
    response = _file(client, units, [(io.BytesIO(_png()), "ok.png"),
                                     (io.BytesIO(b"<svg/>"), "drawing.svg")])
    assert response.status_code == 422 and "drawing.svg" in response.get_data(as_text=True)
    assert dbs.scalar(select(SupportAttachment)) is None


@pytest.fixture
def attached(dbs, units):
    request = factories.make_support_request(dbs, units["xuhui"], units["network"])
    other = factories.make_support_request(dbs, units["minhang"], units["billing"])
    rows = []
    for r in (request, other):
        row = SupportAttachment(request_id=r.id, content_type="image/png", filename="s.png",
                                size=len(_png()), data=_png())
        dbs.add(row)
        rows.append(row)
    dbs.commit()
    return request, rows[0], other, rows[1]


def test_who_may_download(client, dbs, units, office_user, member, attached):
    request, photo, other, other_photo = attached
    url = f"/hotline/{request.id}/attachments/{photo.id}"
    # the filing branch's staff, the department's contacts, the supervision office
    for user_id in (units["xuhui"].a_contact_id, units["xuhui"].b_contact_id,
                    units["network"].a_contact_id, units["network"].b_contact_id, office_user.id):
        _as(client, dbs, user_id)
        assert client.get(url).status_code == 200, user_id
    # staff of another branch or another department: as if it did not exist
    for user_id in (units["minhang"].a_contact_id, units["billing"].a_contact_id):
        _as(client, dbs, user_id)
        assert client.get(url).status_code == 404, user_id
    # a photo of another request, asked for through a request one may see
    _as(client, dbs, units["xuhui"].a_contact_id)
    assert client.get(f"/hotline/{request.id}/attachments/{other_photo.id}").status_code == 404
    assert client.get(f"/hotline/{request.id}/attachments/999999").status_code == 404
    # members hold no hotline capability at all; visitors are sent to sign in
    _as(client, dbs, member.id)
    assert client.get(url).status_code == 403
    client.post("/logout")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
