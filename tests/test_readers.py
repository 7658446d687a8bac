"""Reading CSV and XLSX files into sheets: encodings, delimiters, broken files, workbooks."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pytest

from etl.problems import ERROR, WARNING
from etl.readers import (
    Sheet,
    cell_text,
    choose_delimiter,
    column_letter,
    detect_kind,
    normalise_header,
    read_sheet,
)

FIXTURES = Path(__file__).parent / "fixtures" / "returns"


def read(name: str) -> tuple[Sheet | None, list]:
    return read_sheet((FIXTURES / name).read_bytes(), name)


def located(problems: list) -> list[tuple[str, str, int | None, str, str]]:
    return [(p.code, p.file, p.row, p.column, p.level) for p in problems]


def xlsx_bytes(rows: list[list], extra_sheets: int = 0) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    for i in range(extra_sheets):
        wb.create_sheet(f"Extra{i}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---- files the reader refuses or flags, with the exact location ------------------------

@pytest.mark.parametrize("name, expected", [
    ("utf16.csv", [("unsupported-format", "utf16.csv", None, "", ERROR)]),
    ("legacy.xls", [("unsupported-format", "legacy.xls", None, "", ERROR)]),
    ("image_named.csv", [("unsupported-format", "image_named.csv", None, "", ERROR)]),
    ("empty.csv", [("empty-file", "empty.csv", None, "", ERROR)]),
    ("header_only.csv", [("no-data-rows", "header_only.csv", 1, "", ERROR)]),
    ("broken_quoting.csv", [("broken-quoting", "broken_quoting.csv", 3, "", ERROR)]),
    ("ragged_rows.csv", [("ragged-row", "ragged_rows.csv", 3, "F", ERROR),
                         ("ragged-row", "ragged_rows.csv", 5, "value", ERROR)]),
    ("duplicate_columns.csv", [("duplicate-column", "duplicate_columns.csv", 1, "Value", ERROR)]),
    ("title_row.csv", [("title-row", "title_row.csv", 1, "", ERROR)]),
    ("title_row.xlsx", [("title-row", "title_row.xlsx", 1, "", ERROR)]),
    ("several_sheets.xlsx", [("several-sheets", "several_sheets.xlsx", None, "", WARNING)]),
])
def test_reader_problems_are_located(name, expected):
    _, problems = read(name)
    assert located(problems) == expected


def test_refusals_say_which_formats_are_accepted():
    for name in ("utf16.csv", "legacy.xls"):
        _, problems = read(name)
        assert "CSV or XLSX" in problems[0].message
        assert "CSV" in problems[0].expected and "XLSX" in problems[0].expected


def test_legacy_xls_is_named_as_such():
    _, problems = read("legacy.xls")
    assert ".xls" in problems[0].message


# ---- encodings, delimiters, line endings ------------------------------------------------

def test_utf8_bom_is_not_part_of_the_first_column_name():
    sheet, problems = read("utf8_bom.csv")
    assert problems == []
    assert sheet.columns[0] == "agency_code"
    assert sheet.rows[1] == (3, ["JPN", "2025Q3", "HC_AI_LIT", "-5", ""])


def test_windows_1252_notes_are_decoded():
    sheet, problems = read("cp1252_notes.csv")
    assert problems == []
    assert sheet.rows[0][1][4] == "Disahkan oleh Puan Zoë Ramírez – Jabatan"


def test_semicolon_file_keeps_commas_inside_cells():
    sheet, problems = read("semicolon.csv")
    assert problems == []
    assert sheet.columns == ["agency_code", "period", "indicator_code", "value", "notes"]
    assert sheet.rows[0][1][4] == "semak, sahkan"
    assert sheet.rows[2] == (4, ["JPN", "2025Q3", "SRV_HRS_SAVED_SUM", "12,5", ""])


def test_crlf_line_endings_leave_no_carriage_returns():
    sheet, problems = read("crlf.csv")
    assert problems == []
    assert [n for n, _ in sheet.rows] == [2, 3, 4]
    assert all("\r" not in c for _, cells in sheet.rows for c in cells)


def test_blank_lines_are_skipped_but_counted_as_rows():
    sheet, problems = read("blank_lines.csv")
    assert problems == []
    assert [n for n, _ in sheet.rows] == [2, 4]


def test_formula_text_is_kept_verbatim():
    sheet, _ = read("formula_notes.csv")
    assert sheet.rows[0][1][4] == '=HYPERLINK("http://x","y")'


def test_byte_undefined_in_windows_1252_is_refused():
    _, problems = read_sheet(b"agency_code,period\nJPN,2025Q3 \x81\n", "odd.csv")
    assert located(problems) == [("unsupported-format", "odd.csv", None, "", ERROR)]


def test_control_characters_mean_not_a_text_file():
    _, problems = read_sheet(b"agency_code,period\nJPN,\x07\n", "bell.csv")
    assert problems[0].code == "unsupported-format"


def test_bom_followed_by_invalid_utf8_is_refused():
    _, problems = read_sheet(b"\xef\xbb\xbfagency_code\n\xff\xfe\n", "bad.csv")
    assert problems[0].code == "bad-encoding"


def test_whitespace_only_file_is_empty():
    _, problems = read_sheet(b" \r\n\n ", "blank.csv")
    assert problems[0].code == "empty-file"


@pytest.mark.parametrize("text, delimiter", [
    ("a,b,c\n1,2,3\n", ","),
    ("a;b;c\n1;2,5;3\n", ";"),
    ('"x;y",b,c\n', ","),
    ("Title only\na;b\n", ";"),
    ("single\n1\n", ","),
])
def test_delimiter_is_decided_from_the_header_line(text, delimiter):
    assert choose_delimiter(text) == delimiter


def test_trailing_delimiters_on_every_line_are_tolerated():
    sheet, problems = read_sheet(b"agency_code,period,\nJPN,2025Q3,\n", "t.csv")
    assert problems == []
    assert sheet.columns == ["agency_code", "period"]
    assert sheet.rows == [(2, ["JPN", "2025Q3"])]


def test_header_names_are_normalised():
    sheet, _ = read_sheet(b" Agency Code ,PERIOD,Indicator  code\nJPN,2025Q3,X\n", "h.csv")
    assert sheet.columns == ["agency_code", "period", "indicator_code"]
    assert sheet.raw_columns == ["Agency Code", "PERIOD", "Indicator  code"]
    assert normalise_header("  Value\u00a0Status ") == "value_status"


def test_blank_header_cell_is_reported_with_its_letter():
    _, problems = read_sheet(b"agency_code,,value\nJPN,x,1\n", "b.csv")
    assert located(problems) == [("blank-column-name", "b.csv", 1, "B", ERROR)]


# ---- XLSX -------------------------------------------------------------------------------

def test_excel_errors_and_dates_are_kept_as_text():
    sheet, problems = read("excel_errors.xlsx")
    assert problems == []
    values = [cells[3] for _, cells in sheet.rows]
    assert values[:5] == ["#DIV/0!", "#N/A", "#VALUE!", "2025-09-30", "12"]
    assert float(values[5]) == pytest.approx(0.3)


def test_numbers_have_no_float_noise():
    sheet, problems = read("numbers.xlsx")
    assert problems == []
    assert [cells[3] for _, cells in sheet.rows] == ["1200", "2.25", "TRUE"]
    assert sheet.rows[1][1] == ["JPN", "2025Q3", "HC_AI_SPEC", "2.25", ""]  # padded to the header


def test_first_sheet_only_and_rows_numbered_as_in_excel():
    sheet, _ = read("several_sheets.xlsx")
    assert sheet.format == "xlsx"
    assert [n for n, _ in sheet.rows] == [2, 3]


def test_title_row_above_the_header_is_reported_and_header_found():
    sheet, problems = read("title_row.xlsx")
    assert sheet.header_row == 3
    assert [n for n, _ in sheet.rows] == [4, 5]
    assert "row 3" in problems[0].message and "title" in problems[0].message


def test_stray_value_right_of_the_table_in_a_worksheet():
    data = xlsx_bytes([["agency_code", "period"], ["JPN", "2025Q3", None, "oops"]])
    _, problems = read_sheet(data, "s.xlsx")
    assert located(problems) == [("ragged-row", "s.xlsx", 2, "D", ERROR)]


def test_blank_rows_above_the_header_give_a_warning():
    data = xlsx_bytes([[], ["agency_code", "period", "value"], ["JPN", "2025Q3", 1]])
    sheet, problems = read_sheet(data, "b.xlsx")
    assert located(problems) == [("blank-rows-above-header", "b.xlsx", 2, "", WARNING)]
    assert sheet.rows == [(3, ["JPN", "2025Q3", "1"])]


def test_workbook_whose_sheet_is_empty():
    _, problems = read_sheet(xlsx_bytes([]), "e.xlsx")
    assert problems[0].code == "empty-file"


def test_xlsx_is_detected_by_its_bytes_not_its_name():
    sheet, problems = read_sheet(xlsx_bytes([["agency_code"], ["JPN"]]), "named.csv")
    assert problems == [] and sheet.format == "xlsx"


def test_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    _, problems = read_sheet(out.getvalue(), "x.xlsx")
    assert located(problems) == [("unsupported-format", "x.xlsx", None, "", ERROR)]


def test_truncated_zip_is_refused():
    data = xlsx_bytes([["agency_code"], ["JPN"]])
    _, problems = read_sheet(data[: len(data) // 2], "cut.xlsx")
    assert problems[0].code == "unsupported-format"


def _bomb(size: int) -> bytes:
    """A zip whose only member is ``size`` zero bytes: tiny on disk, huge expanded."""
    out = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z, \
            z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return out.getvalue()


def test_zip_bomb_compression_ratio_is_refused_before_parsing():
    data = _bomb(4 * 1024 * 1024)
    assert len(data) < 20_000
    sheet, problems = read_sheet(data, "bomb.xlsx")
    assert sheet is None
    assert located(problems) == [("archive-too-large", "bomb.xlsx", None, "", ERROR)]
    assert "100:1" in problems[0].message


def test_zip_bomb_expanded_size_limit():
    data = _bomb(101 * 1024 * 1024)
    _, problems = read_sheet(data, "big.xlsx")
    assert problems[0].code == "archive-too-large"
    assert "104,857,600" in problems[0].message


def test_expanded_size_limit_is_a_parameter():
    data = xlsx_bytes([["agency_code"], ["JPN"]])
    _, problems = read_sheet(data, "w.xlsx", max_expanded_bytes=1000)
    assert problems[0].code == "archive-too-large"


@pytest.mark.parametrize("value, text", [
    (None, ""), (12, "12"), (12.0, "12"), (-3.0, "-3"), (0.1, "0.1"), (2.5e20, "2.5e+20"),
    (1 / 3, "0.3333333333333333"), (float("nan"), "nan"), (True, "TRUE"), (False, "FALSE"),
    (datetime(2025, 9, 30), "2025-09-30"), (datetime(2025, 9, 30, 8, 15), "2025-09-30 08:15:00"),
    (date(2025, 1, 2), "2025-01-02"), (time(8, 30), "08:30:00"), ("  text ", "text"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


# ---- what kind of file ------------------------------------------------------------------

@pytest.mark.parametrize("header, kind", [
    ("agency_code,period,indicator_code,value", "return"),
    ("agency_code,period,HC_TOTAL,HC_AI_LIT", "return"),
    ("agency_code,period,system_id,title,stage", "register"),
    ("sector_code,period,indicator_code,value", "sector"),
    ("agency_code,period,value", None),
    ("a,b,c", None),
])
def test_detect_kind(header, kind):
    sheet, _ = read_sheet((header + "\n" + ",".join("x" * len(header.split(","))) + "\n").encode(), "k.csv")
    assert detect_kind(sheet) == kind
