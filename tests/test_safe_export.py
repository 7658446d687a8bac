"""Every CSV or XLSX the product writes neutralises text that a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from etl.problems import problem
from etl.safe_export import csv_bytes, error_sheet, neutralise, xlsx_bytes

DANGEROUS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\t=1", "\r=1", "=HYPERLINK(\"http://x\",\"y\")"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_starting_like_a_formula_is_prefixed_with_a_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "", " =1", "a=b", 12, -3.5, 0, None, True])
def test_other_values_pass_unchanged(value):
    assert neutralise(value) == value


def test_csv_neutralises_text_but_not_numbers():
    data = csv_bytes(["name", "value"], [["=1+1", -5], ["-x", 2.5], ["ok", None]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "value"], ["'=1+1", "-5"], ["'-x", "2.5"], ["ok", ""]]


def test_xlsx_never_stores_a_formula():
    data = xlsx_bytes([("Sheet", ["a", "b"], [["=1+1", "@x"], ["+2", 3]])])
    ws = load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values == [["a", "b"], ["'=1+1", "'@x"], ["'+2", 3]]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_drops_characters_xml_cannot_hold_and_keeps_times():
    stamp = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    data = xlsx_bytes([("S", ["text", "when"], [["bad\x01text", stamp]])])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A2"].value == "badtext"
    assert ws["B2"].value == datetime(2026, 11, 26, 8, 30)


def test_error_sheet_locates_every_problem_and_neutralises_values():
    problems = [problem("not-a-number", "'=2+2' is not a number", file="r.csv", row=7, column="value",
                        value="=2+2", expected="a number", message_ms="'=2+2' bukan nombor", expected_ms="nombor"),
                problem("unknown-column", "ignored", file="r.csv", row=1, column="extra", level="warning")]
    ws = load_workbook(io.BytesIO(error_sheet(problems, "r.csv"))).worksheets
    rows = [[c.value for c in row] for row in ws[0].iter_rows()]
    assert rows[0][0].startswith("row") and "problem" in rows[0][4]
    assert rows[1][:4] == [7, "value", "'=2+2", "error"]
    assert rows[1][5] == "a number"
    assert rows[2][3] == "warning"
    assert rows[0][8] == "kind of problem / jenis masalah" and rows[1][8] == "Bukan nombor"  # the kind, in Malay
    assert rows[0][9:] == ["problem in Malay / masalah dalam Bahasa Malaysia",
                           "what is accepted in Malay / yang diterima dalam Bahasa Malaysia"]
    assert rows[1][9:] == ["'=2+2' bukan nombor", "nombor"]  # the sentence and what is accepted, in Malay
    assert rows[2][9:] == [None, None]  # a problem without Malay (recorded before it was given) leaves them blank
    summary = {r[0].value: r[1].value for r in ws[1].iter_rows(min_row=2)}
    assert summary["errors / ralat"] == 1 and summary["warnings / amaran"] == 1


def test_error_sheet_is_safe_against_hostile_file_names():
    data = error_sheet([], "=cmd|' /C calc'!A0.csv")
    ws = load_workbook(io.BytesIO(data)).worksheets[1]
    assert ws["B2"].value.startswith("'=")
