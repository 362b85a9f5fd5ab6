"""The CSV and XLSX writers on their own: content read back, formula cells, streaming memory."""
from __future__ import annotations

import csv
import gc
import io
import tempfile
import tracemalloc
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from portal.exports.writers import (
    Column,
    content_disposition,
    csv_chunks,
    csv_response,
    neutralize,
    write_xlsx,
    xlsx_response,
)

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
            '=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0"]

COLUMNS = [
    Column("ID", lambda r: r["id"], 8),
    Column("标题", lambda r: r["title"], 40),
    Column("Score", lambda r: r["score"]),
    Column("Due", lambda r: r["due"], 12),
    Column("Submitted at", lambda r: r["at"], 18),
    Column("Tags", lambda r: r["tags"]),
]


def _rows(n: int, title: str = "宽带很慢 slow broadband"):
    for i in range(n):
        yield {"id": i + 1, "title": f"{title} {i} " + "x" * 80, "score": -i,
               "due": date(2026, 3, 1), "at": datetime(2026, 3, 1, 16, 30, tzinfo=UTC),
               "tags": ["网络", "billing"]}


def _csv(rows, columns=COLUMNS) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(csv_chunks(columns, rows))
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _xlsx(rows, columns=COLUMNS):
    buffer = io.BytesIO()
    write_xlsx(buffer, columns, rows, title="Submissions")
    buffer.seek(0)
    return load_workbook(buffer).active


@pytest.mark.parametrize("text", FORMULAS)
def test_neutralize_formula_prefixes(text):
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "中文 =1", "", " =1", 5, -5, -1.5, None,
                                   date(2026, 1, 1)])
def test_neutralize_leaves_safe_values(value):
    assert neutralize(value) == value


def test_csv_has_bom_header_and_chinese():
    raw, table = _csv(_rows(2))
    assert raw.startswith(b"\xef\xbb\xbf")
    assert table[0] == ["ID", "标题", "Score", "Due", "Submitted at", "Tags"]
    assert table[1][1].startswith("宽带很慢 slow broadband 0")
    # Numbers stay numbers (a negative one is not taken for a formula), dates are ISO,
    # times are Shanghai local time, lists are joined.
    assert table[2][0] == "2" and table[2][2] == "-1"
    assert table[1][3] == "2026-03-01"
    assert table[1][4] == "2026-03-02 00:30"
    assert table[1][5] == "网络, billing"


def test_csv_neutralizes_every_formula_prefix():
    rows = [{"id": 1, "title": t, "score": None, "due": None, "at": None, "tags": [t]} for t in FORMULAS]
    _, table = _csv(rows)
    assert [r[1] for r in table[1:]] == ["'" + t for t in FORMULAS]
    assert all(r[2] == "" for r in table[1:])


def test_csv_a_nul_byte_does_not_hide_a_formula():
    rows = [{"id": 1, "title": "\x00=1+1", "score": None, "due": None, "at": None, "tags": []}]
    _, table = _csv(rows)
    assert table[1][1] == "'=1+1"


def test_xlsx_header_is_bold_frozen_with_widths():
    ws = _xlsx(_rows(3))
    header = [c for c in next(ws.iter_rows(min_row=1, max_row=1))]
    assert [c.value for c in header] == ["ID", "标题", "Score", "Due", "Submitted at", "Tags"]
    assert all(c.font.b for c in header)
    assert ws.freeze_panes == "A2"
    # Excel's width of N characters is stored as N plus the cell padding.
    assert 8 <= ws.column_dimensions["A"].width < 9
    assert 40 <= ws.column_dimensions["B"].width < 41
    assert ws.title == "Submissions"


def test_xlsx_values_dates_and_chinese():
    ws = _xlsx(_rows(2))
    row = [c for c in next(ws.iter_rows(min_row=2, max_row=2))]
    assert row[0].value == 1 and row[0].data_type == "n"
    assert row[1].value.startswith("宽带很慢 slow broadband 0")
    assert not row[1].font.b
    assert row[2].value == 0
    assert ws.cell(row=3, column=3).value == -1 and ws.cell(row=3, column=3).data_type == "n"
    assert row[3].is_date and row[3].value == datetime(2026, 3, 1)
    assert row[3].number_format == "yyyy-mm-dd"
    assert row[4].is_date and row[4].value == datetime(2026, 3, 2, 0, 30)  # Shanghai time
    assert "hh:mm" in row[4].number_format
    assert row[5].value == "网络, billing"


def test_xlsx_neutralizes_every_formula_prefix_and_drops_control_characters():
    texts = FORMULAS + ["bell\x07 =1", "\x01=1+1"]
    rows = [{"id": 1, "title": t, "score": None, "due": None, "at": None, "tags": []} for t in texts]
    ws = _xlsx(rows)
    values = [ws.cell(row=i + 2, column=2) for i in range(len(texts))]
    assert all(c.data_type == "s" for c in values)
    # A carriage return survives (written as a character reference, not as a bare \r that an XML
    # reader would turn into a newline).
    assert [c.value for c in values[:len(FORMULAS)]] == ["'" + t for t in FORMULAS]
    assert values[-2].value == "bell =1"
    assert values[-1].value == "'=1+1"


def test_content_disposition_has_ascii_and_utf8_names():
    value = content_disposition("提交-2026.csv")
    assert value.startswith("attachment; ")
    assert 'filename="-2026.csv"' in value
    assert "filename*=UTF-8''%E6%8F%90%E4%BA%A4-2026.csv" in value
    assert content_disposition('a"b.xlsx') == "attachment; filename=\"ab.xlsx\"; filename*=UTF-8''a%22b.xlsx"


def test_responses_stream_with_download_headers(app):
    with app.test_request_context("/"):
        response = csv_response("submissions.csv", COLUMNS, _rows(3))
        assert response.is_streamed
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="submissions.csv"')
        body = b"".join(response.response)
        assert body.startswith(b"\xef\xbb\xbfID,")
        response = xlsx_response("submissions.xlsx", COLUMNS, _rows(3))
        assert response.is_streamed
        assert response.mimetype.endswith("spreadsheetml.sheet")
        body = b"".join(response.response)
        response.close()
    ws = load_workbook(io.BytesIO(body)).active
    assert ws.max_row == 4


def _peak(consume, n: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        consume(n)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _consume_csv(n: int) -> None:
    total = 0
    for chunk in csv_chunks(COLUMNS, _rows(n)):
        total += len(chunk)
    assert total > n * 100


def _consume_xlsx(n: int) -> None:
    with tempfile.TemporaryFile() as sink:  # the bytes go to a file, as xlsx_response's do
        write_xlsx(sink, COLUMNS, _rows(n))


@pytest.mark.parametrize("consume", [_consume_csv, _consume_xlsx], ids=["csv", "xlsx"])
def test_memory_stays_flat(consume, tmp_path):
    consume(50)  # warm up imports and caches
    small = _peak(consume, 2000)
    large = _peak(consume, 20000)
    # Ten times the rows (about 2.5 MB of text for 20000) must not need ten times the memory.
    assert large < 2 * small, (small, large)
    assert large < 2_000_000, large
