"""Spreadsheet-safe exports: every CSV or XLSX the product writes goes through here.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
run as a formula when the file is opened in a spreadsheet program (CSV/formula injection).
Such text is prefixed with a single quote, so it is shown as the text it is. Numbers,
booleans, dates and empty cells pass unchanged: only text is ever neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from etl.problems import KINDS_MS, Problem

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold; they are dropped from exported text.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Cell = Any
SheetSpec = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]

# The Malay columns come last (the first nine are as they always were): the kind of problem,
# the sentence and what is accepted, in Malay.
ERROR_SHEET_COLUMNS = ("row", "column", "value", "level", "problem", "what is accepted", "code", "file",
                       "kind of problem", "problem in Malay", "what is accepted in Malay")
ERROR_SHEET_LABELS_MS = ("baris", "lajur", "nilai", "tahap", "masalah", "yang diterima", "kod", "fail",
                         "jenis masalah", "masalah dalam Bahasa Malaysia", "yang diterima dalam Bahasa Malaysia")


def neutralise(value: Cell) -> Cell:
    """A text cell made safe to open in a spreadsheet; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Cell]) -> list[Cell]:
    return [neutralise(v) for v in row]


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(neutralise(value))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, bom: bool = True) -> bytes:
    """UTF-8 CSV (with a byte-order mark so spreadsheet programs read it as UTF-8)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(h) for h in header])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, str):
        return neutralise(_ILLEGAL_XML.sub("", value))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # XLSX has no time zones; values are UTC
    return value


def xlsx_bytes(sheets: Sequence[SheetSpec], *, widths: dict[str, int] | None = None) -> bytes:
    """A workbook with one sheet per ``(title, header, rows)``; text cells neutralised.

    Every text value is written as a string cell (``data_type 's'``), so nothing the
    product writes is ever stored as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        ws = workbook.create_sheet(title=_sheet_title(title))
        _append(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            _append(ws, row)
        ws.freeze_panes = "A2"
        for letter, width in (widths or {}).items():
            ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _append(ws, row: Iterable[Cell]) -> None:
    values = [_xlsx_value(v) for v in row]
    ws.append(values)
    for cell, value in zip(ws[ws.max_row], values, strict=True):
        if isinstance(value, str):
            cell.data_type = "s"


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Sheet"
    return cleaned[:31]


def problem_rows(problems: Sequence[Problem]) -> list[list[Cell]]:
    """The cells of an error sheet, one row per problem, in the order they were found."""
    return [[p.row if p.row is not None else "", p.column, p.value, p.level, p.message, p.expected,
             p.code, p.file, KINDS_MS.get(p.code, ""), p.message_ms, p.expected_ms] for p in problems]


def error_sheet(problems: Sequence[Problem], file_name: str, *, total: int | None = None) -> bytes:
    """The XLSX error sheet of a checked file: every problem located, plus a summary sheet."""
    header = [f"{en} / {ms}" for en, ms in zip(ERROR_SHEET_COLUMNS, ERROR_SHEET_LABELS_MS, strict=True)]
    n_errors = sum(p.level == "error" for p in problems)
    summary = [
        ("file / fail", file_name),
        ("errors / ralat", n_errors),
        ("warnings / amaran", len(problems) - n_errors),
        ("problems found / masalah ditemui", total if total is not None else len(problems)),
        ("note / nota", "Row numbers are as shown in a spreadsheet (header = row 1). "
                        "Nombor baris seperti dalam hamparan (pengepala = baris 1)."),
    ]
    return xlsx_bytes(
        [("Problems", header, problem_rows(problems)), ("Summary", ["item", "value"], summary)],
        widths={"A": 8, "B": 18, "C": 24, "D": 10, "E": 70, "F": 50, "G": 22, "H": 28, "I": 40, "J": 70,
                "K": 50},
    )
