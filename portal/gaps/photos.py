"""Checking the photos attached to a service-gap report.

The type of a photo is what Pillow finds in its bytes, never its name or the type the browser
claims: a text file named `.jpg` is refused, a PNG named `.jpg` is kept as a PNG. Each error names
the file it is about. Nothing here touches the database.

The bytes kept are never the member's own: every photo is decoded and encoded again in its own
format (`reencode`), turned upright by its EXIF orientation first and without any of its metadata.
A phone's photo carries where it was taken (EXIF GPS), the camera's serial number, the time and
often XMP with more of the same; staff download the photos, so none of it may reach them.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps
from werkzeug.datastructures import FileStorage

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_MB = 5
# Pillow formats accepted, with the content type each is served with.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A bigger image decodes to hundreds of MB in memory: refused as a decompression bomb.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
WEBP_QUALITY = 85
FILENAME_MAX_LENGTH = 200


@dataclass
class CheckedPhoto:
    filename: str
    content_type: str
    size: int
    width: int
    height: int
    data: bytes


class PhotosRefused(Exception):
    """One or more photos cannot be kept; `errors` holds one translated message per problem."""

    def __init__(self, errors: list[str]):
        super().__init__(errors)
        self.errors = errors


def clean_filename(raw: str | None) -> str:
    """The name to show: no directories (old browsers send a full path), no control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:FILENAME_MAX_LENGTH]


def check_photo(upload: FileStorage) -> CheckedPhoto:
    """The photo's bytes, real type and size, or PhotosRefused with one message naming the file."""
    name = clean_filename(upload.filename) or _("unnamed file")
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotosRefused([_("%(name)s is larger than %(mb)s MB.", name=name, mb=MAX_PHOTO_MB)])
    if not data:
        raise PhotosRefused([_("%(name)s is empty.", name=name)])
    not_an_image = _("%(name)s is not a JPEG, PNG or WebP image.", name=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                width, height = image.size
                if image_format not in CONTENT_TYPES:
                    raise PhotosRefused([not_an_image])
                if width * height > MAX_PIXELS:
                    raise PhotosRefused([_("%(name)s has too many pixels.", name=name)])
                image.verify()
    except PhotosRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotosRefused([_("%(name)s has too many pixels.", name=name)]) from None
    except Exception:  # Pillow raises many kinds on broken or foreign files
        raise PhotosRefused([not_an_image]) from None
    try:
        clean, width, height = reencode(data, image_format)
    except Exception:  # verify() passes some files whose pixels cannot be decoded (truncated data)
        raise PhotosRefused([not_an_image]) from None
    return CheckedPhoto(
        filename=name, content_type=CONTENT_TYPES[image_format], size=len(clean),
        width=width, height=height, data=clean,
    )


def _strip_metadata(image: Image.Image) -> None:
    """Empty the image's `info`, since Pillow's encoders read parts of it (a JPEG's comment, a
    PNG's ICC profile), keeping only what the pixels need to look the same:
    - the ICC colour profile: phones shoot in wide-gamut colour spaces (Display P3) and the photo
      would look washed out without it; it describes the camera's colours, not the person, the
      place or the time;
    - a PNG's transparent colour (tRNS), part of the picture itself.
    EXIF (GPS included), XMP, comments and PNG text chunks are only written when passed to
    `save`, and nothing of them is."""
    image.info = {key: image.info[key] for key in ("icc_profile", "transparency")
                  if image.info.get(key) is not None}


def reencode(data: bytes, image_format: str) -> tuple[bytes, int, int]:
    """The photo encoded again in `image_format` without metadata, upright (its EXIF orientation
    applied to the pixels, since the tag itself goes): (bytes, width, height). An animated PNG
    or WebP keeps its first frame (a report's photo is a still)."""
    with Image.open(io.BytesIO(data)) as image:
        ImageOps.exif_transpose(image, in_place=True)  # loads the pixels; no copy of them
        _strip_metadata(image)
        options: dict = {"format": image_format, "icc_profile": image.info.get("icc_profile")}
        if image_format == "JPEG":
            options.update(quality=JPEG_QUALITY, optimize=True)
        elif image_format == "PNG":
            options.update(optimize=True, transparency=image.info.get("transparency"))
        else:  # WEBP
            options.update(quality=WEBP_QUALITY)
        buffer = io.BytesIO()
        image.save(buffer, **{k: v for k, v in options.items() if v is not None})
        return buffer.getvalue(), image.width, image.height


def check_photos(uploads: Iterable[FileStorage] | None) -> list[CheckedPhoto]:
    """Every chosen photo checked; PhotosRefused with all the problems found, if any."""
    uploads = [u for u in (uploads or []) if isinstance(u, FileStorage) and u.filename]
    if len(uploads) > MAX_PHOTOS:
        raise PhotosRefused([
            _("You chose %(count)s photos; a report can have at most %(max)s.",
              count=len(uploads), max=MAX_PHOTOS)
        ])
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_photo(upload))
        except PhotosRefused as exc:
            errors.extend(exc.errors)
    if errors:
        raise PhotosRefused(errors)
    return checked
