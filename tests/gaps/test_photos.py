"""The photo checks on their own: the type comes from the bytes, each error names its file."""
from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from portal.gaps.photos import (
    MAX_PHOTO_BYTES,
    PhotosRefused,
    check_photo,
    check_photos,
    clean_filename,
)
from tests.gaps.helpers import image_bytes, padded_png


@pytest.fixture(autouse=True)
def request_context(app):
    from flask import session

    with app.test_request_context():
        session["lang"] = "en"  # messages are matched in English; the site default is Chinese
        yield


def upload(data: bytes, name: str, content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type=content_type)


@pytest.mark.parametrize("fmt, content_type", [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"),
])
def test_accepted_formats_keep_real_type_and_size(fmt, content_type):
    data = image_bytes(fmt, size=(12, 7))
    checked = check_photo(upload(data, f"shop.{fmt.lower()}", "application/octet-stream"))
    assert checked.content_type == content_type
    assert (checked.width, checked.height) == (12, 7)
    assert checked.size == len(data) and checked.data == data
    assert checked.filename == f"shop.{fmt.lower()}"


def test_png_named_jpg_is_kept_as_png():
    checked = check_photo(upload(image_bytes("PNG"), "counter.jpg", "image/jpeg"))
    assert checked.content_type == "image/png"


@pytest.mark.parametrize("data, name", [
    (b"just some text, not a picture\n", "notes.jpg"),
    (image_bytes("GIF"), "anim.png"),
    (image_bytes("BMP"), "scan.jpg"),
    (image_bytes("PNG")[:40], "cut.png"),
])
def test_foreign_or_broken_files_are_refused_by_name(data, name):
    with pytest.raises(PhotosRefused) as refused:
        check_photo(upload(data, name))
    assert refused.value.errors == [f"{name} is not a JPEG, PNG or WebP image."]


def test_size_limit_is_five_megabytes():
    assert check_photo(upload(padded_png(MAX_PHOTO_BYTES), "exact.png")).size == MAX_PHOTO_BYTES
    with pytest.raises(PhotosRefused) as refused:
        check_photo(upload(padded_png(MAX_PHOTO_BYTES + 1), "big.png"))
    assert refused.value.errors == ["big.png is larger than 5 MB."]


def test_empty_file_is_refused():
    with pytest.raises(PhotosRefused) as refused:
        check_photo(upload(b"", "empty.jpg"))
    assert refused.value.errors == ["empty.jpg is empty."]


def test_huge_pixel_count_is_refused_without_decoding():
    data = image_bytes("PNG", size=(8000, 8000), color=(0, 0, 0))
    with pytest.raises(PhotosRefused) as refused:
        check_photo(upload(data, "bomb.png"))
    assert refused.value.errors == ["bomb.png has too many pixels."]


def test_check_photos_collects_every_problem_and_skips_empty_inputs():
    files = [
        upload(b"text", "a.jpg"), upload(image_bytes("PNG"), "b.png"),
        upload(b"", ""),  # an empty file input the browser sends when nothing is chosen
        upload(b"<html>", "c.webp"),
    ]
    with pytest.raises(PhotosRefused) as refused:
        check_photos(files)
    assert refused.value.errors == [
        "a.jpg is not a JPEG, PNG or WebP image.", "c.webp is not a JPEG, PNG or WebP image.",
    ]
    assert check_photos([upload(b"", "")]) == []
    assert check_photos(None) == []


def test_more_than_three_photos_are_refused():
    files = [upload(image_bytes("PNG"), f"p{n}.png") for n in range(4)]
    with pytest.raises(PhotosRefused) as refused:
        check_photos(files)
    assert refused.value.errors == ["You chose 4 photos; a report can have at most 3."]
    assert len(check_photos(files[:3])) == 3


def test_clean_filename_drops_directories_and_control_characters():
    assert clean_filename("C:\\Users\\li\\Pictures\\queue.jpg") == "queue.jpg"
    assert clean_filename("../../etc/passwd\r\n") == "passwd"
    assert clean_filename("营业厅 排队.png") == "营业厅 排队.png"
    assert len(clean_filename("x" * 500 + ".png")) == 200
