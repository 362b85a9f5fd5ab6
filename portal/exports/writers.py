"""Streaming CSV and XLSX downloads of a list.

A list is exported as `Column`s (a translated header and a function of the row) over an iterable
of rows, ideally pulled from the database in batches (`execution_options(yield_per=500)`), so the
memory used stays flat whatever the number of rows:

- CSV: UTF-8 with a byte-order mark (so Excel reads Chinese correctly), written and sent a few
  rows at a time.
- XLSX: portal.exports.xlsx streams the rows into the workbook's zip as they are read, saved to a
  file (an export job's, see portal.exports.jobs) that is then sent in chunks. Bold header row
  frozen in place, column widths from the column spec, dates and times as real Excel dates
  (Shanghai local time).

Every text cell that a spreadsheet could take for a formula (starting with =, +, -, @, tab or
carriage return) gets a leading apostrophe, so a member's text is never run.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response, stream_with_context

from portal.domain import SHANGHAI
from portal.exports import xlsx

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 64 * 1024
CSV_ROWS_PER_CHUNK = 200


@dataclass(frozen=True)
class Column:
    """One exported column: its header (a lazy-translated label), the value of a row, and its
    width in characters in the XLSX file."""

    header: Any
    value: Callable[[Any], Any]
    width: int = 16
    # For rows that are already tuples of cells in column order (`positional`), what the cell
    # holds, so the CSV writer converts only what needs it: "text" (people's text: formula-safe),
    # "label" (the portal's own words, digits), "number", "moment" (a naive local datetime).
    kind: str = "any"
    positional: bool = False


def neutralize(value: Any) -> Any:
    """`value` made safe to open in a spreadsheet: text that starts like a formula gets a leading
    apostrophe; everything else (numbers, negative ones included, dates, None) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """A cell value: lists joined, lazy strings made real; numbers, dates and None kept."""
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _local(value: datetime) -> datetime:
    """An aware datetime as naive Shanghai local time (spreadsheets have no time zones)."""
    if value.tzinfo is not None:
        value = value.astimezone(SHANGHAI).replace(tzinfo=None)
    return value


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name as RFC 5987 UTF-8."""
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    ascii_name = ascii_name.strip() or "export"
    if "." not in ascii_name and "." in filename:
        ascii_name += filename[filename.rfind("."):]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _download(body: Iterable[bytes], filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- CSV ------------------------------------------------------------------------------------------

def _csv_text(value: Any) -> Any:
    # Text and whole numbers first, without the general conversions: they are nearly every
    # cell, and an export writes up to a million rows of fifteen.
    kind = value.__class__
    if kind is str:
        if "\x00" in value:
            value = value.replace("\x00", "")
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if kind is int:
        return value
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralize(value.replace("\x00", ""))
    return value


def csv_chunks(columns: list[Column], rows: Iterable[Any]) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks: BOM and header first, then a few rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_text(str(c.header)) for c in columns])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    cells_of = _positional_cells if all(c.positional for c in columns) else _cells
    for cells in cells_of(columns, rows):
        writer.writerow(cells)
        pending += 1
        if pending >= CSV_ROWS_PER_CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def _cells(columns: list[Column], rows: Iterable[Any]) -> Iterator[list]:
    """Each row's CSV cells through the columns' functions, cell by cell."""
    getters = [c.value for c in columns]
    for row in rows:
        cells = []
        for getter in getters:
            value = getter(row)
            # Text inline (nearly every cell, up to a million rows); the rest through _csv_text.
            if value.__class__ is str:
                if "\x00" in value:  # first: "\x00=..." must not hide a formula
                    value = value.replace("\x00", "")
                cells.append("'" + value if value.startswith(FORMULA_PREFIXES) else value)
            else:
                cells.append(_csv_text(value))
        yield cells


def _positional_cells(columns: list[Column], rows: Iterable[Any]) -> Iterator[list]:
    """Rows whose cells are already in column order, made CSV-ready column by column: text
    neutralized, moments written out, None empty; labels and numbers as they are. (Per column
    rather than per cell: an export writes up to a million rows of fifteen.)"""
    count = len(columns)
    texts = [i for i, c in enumerate(columns) if c.kind == "text"]
    moments = [i for i, c in enumerate(columns) if c.kind == "moment"]
    others = [i for i, c in enumerate(columns) if c.kind not in ("text", "moment", "label", "number")]
    for row in rows:
        cells = list(row[:count])
        for i in texts:
            value = cells[i]
            if not value:
                cells[i] = ""
                continue
            if "\x00" in value:  # first: "\x00=..." must not hide a formula
                value = value.replace("\x00", "")
            cells[i] = "'" + value if value.startswith(FORMULA_PREFIXES) else value
        for i in moments:
            value = cells[i]
            cells[i] = "" if value is None else value.strftime("%Y-%m-%d %H:%M")
        for i in others:
            cells[i] = _csv_text(cells[i])
        yield cells


def csv_response(filename: str, columns: list[Column], rows: Iterable[Any]) -> Response:
    """A streaming CSV download. Rows are read while the response is sent, inside the request
    context (so the database session and the user's language stay available)."""
    return _download(stream_with_context(csv_chunks(columns, rows)), filename, CSV_MIMETYPE)


# --- XLSX -----------------------------------------------------------------------------------------

def _xlsx_value(value: Any) -> Any:
    """A cell value for the workbook: text without control characters and formula-safe, lists
    joined, date-times in Shanghai local time; numbers, dates, booleans and None kept."""
    value = _plain(value)
    if isinstance(value, str):
        if not value.isprintable():  # first: "\x01=..." must not hide a formula
            value = xlsx.ILLEGAL.sub("", value)
        return neutralize(value)
    if isinstance(value, datetime):
        return _local(value)
    return value


def write_xlsx(target, columns: list[Column], rows: Iterable[Any], title: str = "Export") -> None:
    """Write the workbook to the open binary file `target`, one row at a time (portal.exports.xlsx:
    streamed into the zip, measured far faster than openpyxl and xlsxwriter, see
    bench/bench_xlsx.py)."""
    getters = [column.value for column in columns]

    def values() -> Iterator[list[Any]]:
        for row in rows:
            cells = []
            for getter in getters:
                value = getter(row)
                # Plain text and whole numbers inline: nearly every cell, up to a million rows.
                kind = value.__class__
                if kind is str and value.isprintable():
                    if value.startswith(FORMULA_PREFIXES):
                        value = "'" + value
                elif kind is not int and value is not None:
                    value = _xlsx_value(value)
                cells.append(value)
            yield cells

    xlsx.write(target, title, [_xlsx_value(str(c.header)) for c in columns],
               [c.width for c in columns], values())


def _file_chunks(handle) -> Iterator[bytes]:
    try:
        handle.seek(0)
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


def xlsx_response(filename: str, columns: list[Column], rows: Iterable[Any],
                  title: str | None = None) -> Response:
    """An XLSX download. The workbook is written row by row to a temporary file (in memory
    while small, on disk beyond 1 MB), then sent from that file in chunks."""
    handle = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    try:
        write_xlsx(handle, columns, rows, title=title or filename.rsplit(".", 1)[0])
    except BaseException:
        handle.close()
        raise
    response = _download(_file_chunks(handle), filename, XLSX_MIMETYPE)
    response.call_on_close(handle.close)
    return response
