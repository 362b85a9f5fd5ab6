"""Streaming CSV and XLSX downloads of a list.

A list is exported as `Column`s (a translated header and a function of the row) over an iterable
of rows, ideally pulled from the database in batches (`execution_options(yield_per=500)`), so the
memory used stays flat whatever the number of rows:

- CSV: UTF-8 with a byte-order mark (so Excel reads Chinese correctly), written and sent a few
  rows at a time.
- XLSX: openpyxl in write-only mode (rows go to disk as they are written, strings inline), saved
  to a temporary file that is then sent in chunks. Bold header row frozen in place, column widths
  from the column spec, dates and times as real Excel dates (Shanghai local time).

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
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.domain import SHANGHAI

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
CHUNK_SIZE = 64 * 1024
CSV_ROWS_PER_CHUNK = 200
XLSX_MAX_CELL = 32767  # Excel refuses longer cell text


@dataclass(frozen=True)
class Column:
    """One exported column: its header (a lazy-translated label), the value of a row, and its
    width in characters in the XLSX file."""

    header: Any
    value: Callable[[Any], Any]
    width: int = 16


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
    for row in rows:
        writer.writerow([_csv_text(c.value(row)) for c in columns])
        pending += 1
        if pending >= CSV_ROWS_PER_CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def csv_response(filename: str, columns: list[Column], rows: Iterable[Any]) -> Response:
    """A streaming CSV download. Rows are read while the response is sent, inside the request
    context (so the database session and the user's language stay available)."""
    return _download(stream_with_context(csv_chunks(columns, rows)), filename, CSV_MIMETYPE)


# --- XLSX -----------------------------------------------------------------------------------------

def _xlsx_cell(ws, value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=_local(value))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        value = neutralize(ILLEGAL_CHARACTERS_RE.sub("", value))[:XLSX_MAX_CELL]
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # never a formula, whatever the text
        return cell
    return value


def write_xlsx(target, columns: list[Column], rows: Iterable[Any], title: str = "Export") -> None:
    """Write the workbook to the open binary file `target`, one row at a time."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=ILLEGAL_CHARACTERS_RE.sub("", title)[:31] or "Export")
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=neutralize(ILLEGAL_CHARACTERS_RE.sub("", str(column.header))))
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_xlsx_cell(ws, column.value(row)) for column in columns])
    wb.save(target)


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
