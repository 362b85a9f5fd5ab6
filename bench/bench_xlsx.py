"""openpyxl write-only against xlsxwriter constant_memory: time and peak RSS for ROWS rows.

`python bench/bench_xlsx.py [ROWS]` (default 100000). Each writer runs in its own process (so
the peak RSS is its own) and writes 15 columns like the inbox export's, Chinese text included, to
a temporary file: openpyxl write-only (the former writer), xlsxwriter constant_memory, and the
portal's `write_xlsx` as it is now (portal.exports.xlsx, its own streamed writer, through
the column functions).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

from rss import peak_rss_mb

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000


def _rows(n: int):
    start = datetime(2026, 1, 1, 8, 0)
    for i in range(n):
        yield (i, "服务短板", start + timedelta(minutes=i), "新", f"排队时间过长 {i}",
               "=SUM(A1) 等了四十分钟" * 3, "移动用户", "徐汇", "营业厅", "营业厅服务", 3, "",
               "陈", "a, b", "12, 13")


def run_openpyxl(path: str, n: int) -> None:
    """The portal's former writer: openpyxl write-only, WriteOnlyCell per styled cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from portal.exports.writers import neutralize

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="Bench")
    ws.freeze_panes = "A2"
    header = []
    for i in range(15):
        cell = WriteOnlyCell(ws, value=f"C{i}")
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in _rows(n):
        cells = []
        for value in row:
            if isinstance(value, str):
                value = WriteOnlyCell(ws, value=neutralize(value))
                value.data_type = "s"
            elif isinstance(value, datetime):
                value = WriteOnlyCell(ws, value=value)
                value.number_format = "yyyy-mm-dd hh:mm"
            cells.append(value)
        ws.append(cells)
    wb.save(path)


def run_portal(path: str, n: int) -> None:
    """The portal's writer as it is now (portal.exports.writers.write_xlsx)."""
    from portal.exports.writers import Column, write_xlsx

    columns = [Column(f"C{i}", (lambda r, i=i: r[i]), 16) for i in range(15)]
    with open(path, "wb") as fh:
        write_xlsx(fh, columns, _rows(n), title="Bench")


def run_xlsxwriter(path: str, n: int) -> None:
    import xlsxwriter

    from portal.exports.writers import neutralize

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("Bench")
    bold = wb.add_format({"bold": True})
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, [f"C{i}" for i in range(15)], bold)
    for r, row in enumerate(_rows(n), start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(r, c, neutralize(value))
            elif isinstance(value, datetime):
                ws.write_datetime(r, c, value, when)
            else:
                ws.write(r, c, value)
    wb.close()


def child(name: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.xlsx")
        started = time.perf_counter()
        {"openpyxl": run_openpyxl, "xlsxwriter": run_xlsxwriter, "portal": run_portal}[name](path, n)
        seconds = time.perf_counter() - started
        size = os.path.getsize(path)
    peak_mb = peak_rss_mb()
    print(f"{name:<11} {n:>8} rows  {seconds:6.2f} s  peak RSS {peak_mb:6.1f} MB  file {size / 1e6:.1f} MB")


def main() -> None:
    for name in ("openpyxl", "xlsxwriter", "portal"):
        subprocess.run([sys.executable, __file__, "--child", name, str(ROWS)], check=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
