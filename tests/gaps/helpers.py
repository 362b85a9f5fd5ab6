"""Real small images made with Pillow, and the filled-in report form a member would send."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from PIL import Image

from portal import domain
from tests.queries import count_queries  # noqa: F401  (re-exported for the area's tests)

FIVE_MB = 5 * 1024 * 1024


def image_bytes(fmt: str = "PNG", size=(8, 6), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def padded_png(total: int) -> bytes:
    """A real PNG followed by filler bytes, `total` bytes long (Pillow still reads it)."""
    data = image_bytes("PNG")
    return data + b"\0" * (total - len(data))


def photo(data: bytes, name: str, content_type: str = "image/jpeg"):
    return (io.BytesIO(data), name, content_type)


def shanghai_fields(moment: datetime) -> dict:
    local = moment.astimezone(domain.SHANGHAI)
    return {"occurred_on": local.strftime("%Y-%m-%d"), "occurred_time": local.strftime("%H:%M")}


def report_form(**overrides) -> dict:
    values = {
        "channel": "hotline",
        "commitment": "billing_reminders",
        "district": "jingan",
        "place": "10000 hotline",
        **shanghai_fields(datetime.now(domain.SHANGHAI) - timedelta(hours=3)),
        "severity": "3",
        "title": "Bill reminder came late",
        "description": "The usage reminder arrived two days after I went over my plan.",
    }
    values.update(overrides)
    return values
