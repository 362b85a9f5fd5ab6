"""The photo checks on their own: the type comes from the bytes, each error names its file."""
from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
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
    # The bytes kept are the re-encoded ones (see below), in the same format, and their size
    with Image.open(io.BytesIO(checked.data)) as kept:
        assert (kept.format, kept.size) == (fmt, (12, 7))
    assert checked.size == len(checked.data)
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
    exact = check_photo(upload(padded_png(MAX_PHOTO_BYTES), "exact.png"))
    assert exact.size == len(exact.data) < MAX_PHOTO_BYTES  # the filler is not kept either
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


# --- no metadata kept: where a photo was taken must not reach the staff who download it -------

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (31.0, 13.0, 28.8),
    ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (121.0, 28.0, 1.2),
}


def phone_exif(orientation: int = 6) -> Image.Exif:
    """What a phone writes: the orientation, the camera, the time and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.DateTime] = "2026:03:14 08:15:00"
    exif[ExifTags.IFD.GPSInfo] = GPS
    return exif


def phone_jpeg(size=(40, 20)) -> bytes:
    """A landscape-stored JPEG to be shown rotated (orientation 6), with GPS, XMP and a comment.
    The left half is red and the right half blue, to see which way it was turned."""
    image = Image.new("RGB", size, (220, 0, 0))
    image.paste((0, 0, 220), (size[0] // 2, 0, size[0], size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=phone_exif(), comment=b"Shot at Nanjing Road 100",
               xmp=b"<x:xmpmeta><exif:GPSLatitude>31,13.48N</exif:GPSLatitude></x:xmpmeta>",
               quality=95)
    return buffer.getvalue()


def test_the_test_photo_really_carries_gps():
    with Image.open(io.BytesIO(phone_jpeg())) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert original.getexif()[ExifTags.Base.Orientation] == 6
        assert "xmp" in original.info and "comment" in original.info


def test_jpeg_keeps_no_exif_gps_xmp_or_comment_and_is_turned_upright():
    data = phone_jpeg()
    checked = check_photo(upload(data, "queue.jpg"))
    with Image.open(io.BytesIO(checked.data)) as kept:
        assert kept.format == "JPEG"
        assert dict(kept.getexif()) == {}
        assert kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert not {"exif", "xmp", "comment"} & set(kept.info)
        # orientation 6 = turn 90 degrees clockwise to view: 40x20 stored, 20x40 shown
        assert kept.size == (20, 40) == (checked.width, checked.height)
        # the red left half is now on top, the blue right half at the bottom
        red, blue = kept.convert("RGB").getpixel((10, 5)), kept.convert("RGB").getpixel((10, 35))
        assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]
    for secret in (b"PhoneMaker", b"Nanjing Road", b"GPSLatitude", b"Exif\x00\x00", b"2026:03:14"):
        assert secret not in checked.data
    assert checked.size == len(checked.data) and checked.content_type == "image/jpeg"


def test_png_keeps_no_text_chunks_or_exif_but_keeps_transparency():
    info = PngInfo()
    info.add_text("Location", "31.2245N 121.4669E")
    info.add_itxt("Author", "Li Ming", zip=True)
    image = Image.new("P", (30, 10), 0)
    image.putpalette([255, 255, 255, 200, 0, 0] * 128)
    image.paste(1, (0, 0, 15, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info, exif=phone_exif(), transparency=0)
    checked = check_photo(upload(buffer.getvalue(), "screen.png"))
    with Image.open(io.BytesIO(checked.data)) as kept:
        assert kept.format == "PNG" and kept.text == {}
        assert dict(kept.getexif()) == {}
        assert set(kept.info) <= {"transparency", "dpi", "gamma", "srgb"}
        assert kept.info["transparency"] == 0
        assert kept.size == (10, 30) == (checked.width, checked.height)  # the eXIf orientation
    for secret in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"Location", b"PhoneMaker"):
        assert secret not in checked.data


def test_webp_keeps_no_exif_or_xmp():
    buffer = io.BytesIO()
    Image.new("RGB", (30, 10), (0, 120, 0)).save(buffer, "WEBP", exif=phone_exif(orientation=1),
                                                  xmp=b"<x:xmpmeta>31.2N</x:xmpmeta>")
    checked = check_photo(upload(buffer.getvalue(), "app.webp", "image/webp"))
    with Image.open(io.BytesIO(checked.data)) as kept:
        assert kept.format == "WEBP" and dict(kept.getexif()) == {}
        assert "exif" not in kept.info and "xmp" not in kept.info
        assert kept.size == (30, 10)
    assert b"EXIF" not in checked.data and b"XMP " not in checked.data


def test_the_colour_profile_is_kept():
    """Decided: the ICC profile stays (wide-gamut phone photos would look washed out without
    it); it says nothing about the person, the place or the time."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "JPEG", icc_profile=icc, exif=phone_exif(1))
    checked = check_photo(upload(buffer.getvalue(), "p3.jpg"))
    with Image.open(io.BytesIO(checked.data)) as kept:
        assert kept.info.get("icc_profile") == icc and dict(kept.getexif()) == {}
