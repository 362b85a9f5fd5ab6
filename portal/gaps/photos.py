"""Checking the photos attached to a service-gap report.

The type of a photo is what Pillow finds in its bytes, never its name or the type the browser
claims: a text file named `.jpg` is refused, a PNG named `.jpg` is kept as a PNG. Each error names
the file it is about. Nothing here touches the database.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image
from werkzeug.datastructures import FileStorage

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_MB = 5
# Pillow formats accepted, with the content type each is served with.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A bigger image decodes to hundreds of MB in memory: refused as a decompression bomb.
MAX_PIXELS = 50_000_000
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
    return CheckedPhoto(
        filename=name, content_type=CONTENT_TYPES[image_format], size=len(data),
        width=width, height=height, data=data,
    )


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
