"""The first worksheet of an XLSX workbook, read safely.

The archive is checked before any XML is parsed: a workbook that expands beyond a limit,
or whose parts are compressed implausibly well (a "zip bomb"), is refused. Cells come back
as the text a validator reads: errors such as ``#DIV/0!`` kept as text, dates in ISO form,
numbers without float noise.
"""

from __future__ import annotations

import io
import math
import zipfile
from datetime import date, datetime, time

MAX_EXPANDED_BYTES = 100 * 1024 * 1024
RATIO_LIMIT = 100  # compressed:expanded ratio refused for a part larger than RATIO_MIN_PART
RATIO_MIN_PART = 1024 * 1024
MAX_PARTS = 10_000

Record = tuple[int, list[str]]  # spreadsheet row number, cell texts


def archive_problem(data: bytes, max_expanded_bytes: int = MAX_EXPANDED_BYTES) -> tuple[str, str, str] | None:
    """None when the archive is safe to open, else ('unreadable' | 'too-large', why, why in
    Malay). An unreadable archive's why is the ZIP reader's own message, in both.

    Python's zipfile stops at each part's declared size and checks its CRC, so the sizes
    in the central directory bound what openpyxl can inflate.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception as exc:  # zipfile raises many types on damaged archives
        return "unreadable", str(exc), str(exc)
    if len(parts) > MAX_PARTS:
        return ("too-large", f"the workbook holds {len(parts)} parts",
                f"buku kerja ini mengandungi {len(parts)} bahagian")
    total = sum(p.file_size for p in parts)
    if total > max_expanded_bytes:
        return ("too-large", f"the workbook expands to {total:,} bytes, more than the {max_expanded_bytes:,} allowed",
                f"buku kerja ini mengembang kepada {total:,} bait, melebihi had {max_expanded_bytes:,} bait "
                "yang dibenarkan")
    for p in parts:
        if p.file_size > RATIO_MIN_PART and p.file_size > RATIO_LIMIT * max(p.compress_size, 1):
            return ("too-large", f"the part {p.filename} is compressed more than {RATIO_LIMIT}:1 "
                                 f"({p.compress_size:,} -> {p.file_size:,} bytes)",
                    f"bahagian {p.filename} dimampatkan lebih daripada {RATIO_LIMIT}:1 "
                    f"({p.compress_size:,} -> {p.file_size:,} bait)")
    return None


def first_sheet_records(data: bytes) -> tuple[list[Record], list[str], str]:
    """Non-empty rows of the first worksheet, every sheet name, and the title of the sheet
    read ('' when there is no worksheet). Raises on a malformed workbook."""
    from openpyxl import load_workbook  # imported here: CSV-only use never pays for it

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        if not workbook.worksheets:
            return [], list(workbook.sheetnames), ""
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # trust the cells, not a possibly wrong <dimension>
        records: list[Record] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                records.append((number, cells))
        return records, list(workbook.sheetnames), sheet.title
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet value as the text the validators read (no float noise, ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()
