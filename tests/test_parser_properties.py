"""Properties of the readers and checks: any input gives problems, never an exception; a
valid file, however it is spelled and saved, reads back to the rows it was made from."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.problems import Problem, errors
from etl.readers import read_sheet
from etl.register import check_register
from etl.returns import ReturnRow, ValidationContext, check_return, load_agencies, load_catalogue
from etl.sector import check_sector

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = load_catalogue(ROOT / "data" / "reference")
CTX = ValidationContext(catalogue=CATALOGUE, agencies=load_agencies(ROOT / "data" / "reference"),
                        today=date(2025, 11, 15))
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADERS = ["agency_code", "period", "indicator_code", "value", "notes", "unit", "breakdown_type",
           "breakdown_code", "value_status", "system_id", "sector_code", "HC_TOTAL", "", "x y"]


def assert_only_problems(result) -> None:
    rows, problems = result
    assert isinstance(rows, list)
    for p in problems:
        assert isinstance(p, Problem) and p.file and p.message
        assert p.row is None or p.row >= 1


def check_everything(data: bytes) -> None:
    sheet, problems = read_sheet(data, "any.csv")
    assert sheet is not None or errors(problems)
    for check in (check_return, check_register, check_sector):
        assert_only_problems(check(data, "any.csv", CTX))


# ---- nothing raises ---------------------------------------------------------------------

@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data):
    check_everything(data)


@FAST
@given(st.sampled_from([b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"\xd0\xcf\x11\xe0"]),
       st.binary(max_size=500))
def test_arbitrary_bytes_behind_a_magic_number_never_raise(magic, rest):
    check_everything(magic + rest)


cell_text = st.text(alphabet=st.sampled_from(list('ab1.,;" \n\r\t-#%Q2025éÿ€\u2028=')), max_size=12)


@FAST
@given(header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
       rows=st.lists(st.lists(cell_text, max_size=10), max_size=12),
       sep=st.sampled_from([",", ";"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_malformed_csv_never_raises(header, rows, sep, encoding):
    lines = [sep.join(header)] + [sep.join(cells) for cells in rows]
    data = "\n".join(lines).encode(encoding, errors="replace")
    check_everything(data)


excel_value = st.one_of(
    st.none(), st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.text(max_size=10).map(lambda t: "".join(c for c in t if c.isprintable())),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["#DIV/0!", "#N/A", "#VALUE!", "=1+1"]))


@SLOW
@given(st.lists(st.lists(excel_value, max_size=8), max_size=8), st.booleans())
def test_arbitrary_workbooks_never_raise(rows, with_header):
    from openpyxl import Workbook

    wb = Workbook()
    if with_header:
        wb.active.append(["agency_code", "period", "indicator_code", "value", "notes"])
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    check_everything(out.getvalue())


@SLOW
@given(st.integers(0, 10_000), st.integers(0, 255))
def test_damaged_workbooks_never_raise(position, byte):
    data = bytearray((ROOT / "tests" / "fixtures" / "returns" / "numbers.xlsx").read_bytes())
    data[position % len(data)] = byte
    check_everything(bytes(data))


# ---- a valid file reads back to its rows ------------------------------------------------

SIMPLE = ["HC_AI_SPEC", "TXN_AI", "SANDBOX_N", "CASESTUDY_N", "AI_INCIDENTS", "GOV_AI_LEAD",
          "SRV_HRS_SAVED_SUM", "TXN_AI_BASE_DAYS"]  # in no relation, not cumulative
AGENCIES = ["JPN", "JPA", "LHDN", "MOH"]
QUARTERS = [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)][:-1]
SPELLINGS = ["{y}Q{q}", "{y}-Q{q}", "{y} Q{q}", "Q{q} {y}", "Q{q}-{y}", "q{q} {y}"]
BREAKDOWNS = [("", "")] + [("STATE", str(i)) for i in range(1, 17)] + [("MSIC", s) for s in "ACJOPQ"]


@st.composite
def return_row(draw, notes_alphabet):
    indicator = draw(st.sampled_from(SIMPLE))
    spec = CATALOGUE.indicators[indicator]
    if spec.kind == "flag":
        values = st.sampled_from([0.0, 1.0])
    elif spec.kind == "integer":
        values = st.integers(0, 10**12).map(float)
    else:
        values = st.floats(0, 1e12, allow_nan=False)
    if spec.allow_blank:
        values = st.one_of(st.none(), values)
    btype, bcode = draw(st.sampled_from(BREAKDOWNS))
    notes = draw(st.text(alphabet=notes_alphabet, max_size=20))
    return ReturnRow(0, draw(st.sampled_from(AGENCIES)), draw(st.sampled_from(QUARTERS)), indicator,
                     btype, bcode, draw(values), draw(st.sampled_from("AEP")), notes.strip())


def rows_strategy(alphabet):
    return st.lists(return_row(alphabet), min_size=1, max_size=25, unique_by=lambda r: r.key)


def spelled(row: ReturnRow, spelling: str, shout: bool) -> list[str]:
    y, q = row.period.split("Q")
    text = "" if row.value is None else (str(int(row.value)) if row.value.is_integer() else repr(row.value))
    agency = f" {row.agency_code.lower()} " if shout else row.agency_code
    return [agency, spelling.format(y=y, q=q), row.indicator_code.lower() if shout else row.indicator_code,
            text, row.breakdown_type.lower(), row.breakdown_code, row.value_status, row.notes]


COLUMNS = ["agency_code", "period", "indicator_code", "value", "breakdown_type", "breakdown_code",
           "value_status", "notes"]
UTF8_NOTES = st.characters(blacklist_categories=("Cc", "Cs"))
CP1252_NOTES = st.sampled_from(list("abc XYZ,;\"'=\néèàüñöç"))


def numbered(rows: list[ReturnRow]) -> list[ReturnRow]:
    return [ReturnRow(i + 2, *[getattr(r, f) for f in COLUMNS[:2]], r.indicator_code, r.breakdown_type,
                      r.breakdown_code, r.value, r.value_status, r.notes) for i, r in enumerate(rows)]


@FAST
@given(rows=rows_strategy(UTF8_NOTES), sep=st.sampled_from([",", ";"]),
       newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(),
       spelling=st.sampled_from(SPELLINGS), shout=st.booleans())
def test_valid_utf8_csv_round_trips(rows, sep, newline, bom, spelling, shout):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    writer.writerows(spelled(r, spelling, shout) for r in rows)
    data = out.getvalue().encode("utf-8-sig" if bom else "utf-8")
    parsed, problems = check_return(data, "ok.csv", CTX)
    assert errors(problems) == []
    assert parsed == numbered(rows)


@FAST
@given(rows=rows_strategy(CP1252_NOTES), sep=st.sampled_from([",", ";"]))
def test_valid_windows_1252_csv_round_trips(rows, sep):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(spelled(r, "{y}Q{q}", False) for r in rows)
    parsed, problems = check_return(out.getvalue().encode("cp1252"), "ok.csv", CTX)
    assert errors(problems) == []
    assert parsed == numbered(rows)


@SLOW
@given(rows=rows_strategy(st.sampled_from(list("abc XYZ,;\"'éñ"))))  # '=...' would be a formula
def test_valid_workbook_round_trips(rows):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(COLUMNS)
    for r in rows:
        cells = spelled(r, "{y}Q{q}", False)
        cells[3] = r.value  # numbers as numbers, blank as an empty cell
        cells[5] = int(r.breakdown_code) if r.breakdown_type == "STATE" else r.breakdown_code
        wb.active.append([c if c != "" else None for c in cells])
    out = io.BytesIO()
    wb.save(out)
    parsed, problems = check_return(out.getvalue(), "ok.xlsx", CTX)
    assert errors(problems) == []
    # the workbook writer keeps 16 significant digits, so values compare approximately
    expected = numbered(rows)
    assert [replace(r, value=None) for r in parsed] == [replace(r, value=None) for r in expected]
    assert [r.value for r in parsed] == [r.value if r.value is None else pytest.approx(r.value, rel=1e-15)
                                         for r in expected]
