"""The quarterly return: parsing (long and wide layouts) and the meaning rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from etl import periods
from etl.problems import WARNING, errors
from etl.readers import read_sheet
from etl.return_rules import RETURN_RULES
from etl.returns import (
    ReturnRow,
    ValidationContext,
    check_return,
    load_agencies,
    load_catalogue,
    number_or_reason,
    parse_return,
    validate_return,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "returns"
CATALOGUE = load_catalogue(ROOT / "data" / "reference")
AGENCIES = load_agencies(ROOT / "data" / "reference")
TODAY = date(2025, 11, 15)  # the latest quarter accepted is 2025Q3
H = "agency_code,period,indicator_code,value,notes\n"


def context(accepted: dict | None = None, scope: str | None = None) -> ValidationContext:
    values = accepted or {}
    return ValidationContext(catalogue=CATALOGUE, agencies=AGENCIES, today=TODAY,
                             accepted=lambda agency: values.get(agency, {}), agency_scope=scope)


def check(name: str, ctx: ValidationContext | None = None):
    return check_return((FIXTURES / name).read_bytes(), name, ctx or context())


def check_text(text: str, ctx: ValidationContext | None = None):
    return check_return(text.encode(), "t.csv", ctx or context())


def located(problems) -> list[tuple[str, str, int | None, str]]:
    return [(p.code, p.file, p.row, p.column) for p in problems]


# ---- every nasty file: the exact located errors ----------------------------------------

ERRORS_BY_FIXTURE = {
    "utf8_bom.csv": [("negative-value", 3, "value")],
    "cp1252_notes.csv": [("not-a-number", 3, "value")],
    "utf16.csv": [("unsupported-format", None, "")],
    "semicolon.csv": [("not-a-number", 4, "value")],
    "crlf.csv": [("bad-flag", 4, "value")],
    "wide.csv": [("not-a-number", 3, "HC_AI_LIT")],
    "wide_unknown_column.csv": [("unknown-indicator-column", 1, "HC_TOTL")],
    "period_spellings.csv": [("bad-period", 8, "period")],
    "lowercase_codes.csv": [],
    "broken_quoting.csv": [("broken-quoting", 3, "")],
    "ragged_rows.csv": [("ragged-row", 3, "F"), ("ragged-row", 5, "value")],
    "wrong_header.csv": [("missing-column", 1, c) for c in ("agency_code", "period", "indicator_code", "value")],
    "missing_column.csv": [("missing-column", 1, "value")],
    "empty.csv": [("empty-file", None, "")],
    "header_only.csv": [("no-data-rows", 1, "")],
    "formula_notes.csv": [],
    "huge_number.csv": [("not-a-number", 2, "value")],
    "nan.csv": [("not-a-number", 2, "value")],
    "inf.csv": [("not-a-number", 2, "value")],
    "neg_inf.csv": [("not-a-number", 2, "value")],
    "div0.csv": [("not-a-number", 3, "value")],
    "date_value.csv": [("not-a-number", 2, "value"), ("not-a-number", 3, "value")],
    "decimal_comma.csv": [("not-a-number", 2, "value")],
    "thousands.csv": [("not-a-number", 2, "value"), ("not-a-number", 3, "value")],
    "percent.csv": [("not-a-number", 2, "value")],
    "negative.csv": [("negative-value", 2, "value")],
    "flag_two.csv": [("bad-flag", 2, "value")],
    "active_gt_access.csv": [("relation-broken", 4, "value")],
    "future_period.csv": [("future-period", 3, "period")],
    "duplicate_keys.csv": [("duplicate-key", 4, "value")],
    "unknown_agency.csv": [("unknown-agency", 2, "agency_code")],
    "unknown_indicator.csv": [("unknown-indicator", 3, "indicator_code")],
    "non_submitting.csv": [("agency-not-submitting", 2, "agency_code"),
                           ("agency-not-submitting", 3, "agency_code")],
    "blank_lines.csv": [("not-a-number", 4, "value")],
    "duplicate_columns.csv": [("duplicate-column", 1, "Value")],
    "breakdowns.csv": [("bad-breakdown", 2, "breakdown_code"), ("bad-breakdown", 3, "breakdown_code"),
                       ("bad-breakdown", 4, "breakdown_code"), ("bad-breakdown", 5, "breakdown_type")],
    "unit_mismatch.csv": [("unit-mismatch", 2, "unit")],
    "value_status.csv": [("bad-value-status", 2, "value_status")],
    "blank_value.csv": [("value-required", 2, "value")],
    "title_row.csv": [("title-row", 1, ""), ("not-a-number", 4, "value")],
    "legacy.xls": [("unsupported-format", None, "")],
    "image_named.csv": [("unsupported-format", None, "")],
    "several_sheets.xlsx": [("negative-value", 3, "value")],
    "title_row.xlsx": [("title-row", 1, ""), ("not-a-number", 5, "value")],
    "excel_errors.xlsx": [("not-a-number", r, "value") for r in (2, 3, 4, 5)],
    "numbers.xlsx": [("not-a-number", 4, "value")],
}


@pytest.mark.parametrize("name", sorted(ERRORS_BY_FIXTURE))
def test_fixture_errors_are_located(name):
    _, problems = check(name)
    expected = [(code, name, row, column) for code, row, column in ERRORS_BY_FIXTURE[name]]
    assert located(errors(problems)) == expected


def test_every_fixture_is_covered():
    special = {"cumulative_falling.csv", "out_of_scope.csv"}  # need accepted values / a scope
    on_disk = {p.name for p in FIXTURES.iterdir()}
    assert on_disk - special == set(ERRORS_BY_FIXTURE)
    assert len(on_disk) >= 30


def test_every_problem_says_what_is_accepted():
    for name in ERRORS_BY_FIXTURE:
        for p in check(name)[1]:
            assert p.file == name and p.expected, p
            assert p.message


def test_cumulative_falling_below_the_accepted_quarter():
    ctx = context({"JPN": {("DS_OPEN", "", ""): {"2025Q1": 45.0, "2025Q2": 50.0}}})
    _, problems = check("cumulative_falling.csv", ctx)
    assert located(errors(problems)) == [("cumulative-falls", "cumulative_falling.csv", 2, "value")]
    assert "2025Q2" in problems[0].message and "50" in problems[0].message
    assert problems[0].expected == "at least 50"


def test_out_of_scope_rows():
    _, problems = check("out_of_scope.csv", context(scope="JPN"))
    assert located(errors(problems)) == [("agency-out-of-scope", "out_of_scope.csv", 3, "agency_code")]
    assert "you may only submit for JPN" in errors(problems)[0].message


# ---- what the good files turn into ------------------------------------------------------

def test_codes_are_trimmed_and_upper_cased():
    rows, _ = check("lowercase_codes.csv")
    assert [(r.agency_code, r.indicator_code, r.breakdown_type, r.breakdown_code) for r in rows] == [
        ("JPN", "HC_TOTAL", "", ""), ("JPN", "HC_TOTAL", "STATE", "1"), ("JPN", "HC_TOTAL", "MSIC", "O")]


def test_period_spellings_are_normalised():
    rows, _ = check("period_spellings.csv")
    assert [r.period for r in rows] == ["2025Q3", "2025Q2", "2025Q1", "2024Q4", "2024Q3", "2024Q2"]


def test_wide_layout_becomes_long():
    rows, _ = check("wide.csv")
    assert [(r.source_row, r.agency_code, r.indicator_code, r.value) for r in rows] == [
        (2, "JPN", "HC_TOTAL", 1200.0), (2, "JPN", "HC_AI_LIT", 300.0), (2, "JPN", "GOV_AI_POLICY", 1.0),
        (3, "LHDN", "HC_TOTAL", 900.0), (3, "LHDN", "GOV_AI_POLICY", 1.0)]
    assert rows.layout == "wide"


def test_wide_layout_problems_name_the_indicator_column():
    _, problems = check_text("agency_code,period,GOV_AI_POLICY,HC_TOTAL\nJPN,2025Q3,2,10\n")
    assert located(errors(problems)) == [("bad-flag", "t.csv", 2, "GOV_AI_POLICY")]


def test_rows_are_plain_dataclasses_matching_the_stored_columns():
    from dataclasses import asdict

    rows, _ = check("utf8_bom.csv")
    assert list(asdict(rows[0])) == ["source_row", "agency_code", "period", "indicator_code",
                                     "breakdown_type", "breakdown_code", "value", "value_status", "notes"]


def test_formula_in_notes_is_accepted_verbatim():
    rows, problems = check("formula_notes.csv")
    assert errors(problems) == []
    assert rows[0].notes == '=HYPERLINK("http://x","y")'


def test_windows_1252_notes_reach_the_row():
    rows, _ = check("cp1252_notes.csv")
    assert rows[0].notes == "Disahkan oleh Puan Zoë Ramírez – Jabatan"


def test_blank_value_where_allowed_is_not_reported():
    rows, _ = check("blank_value.csv")
    assert rows == [ReturnRow(3, "JPN", "2025Q3", "SRV_N", "", "", None, "A", "not surveyed")]


def test_value_status_and_unit_are_case_insensitive():
    rows, _ = check("value_status.csv")
    assert [r.value_status for r in rows] == ["E"]
    rows, _ = check("unit_mismatch.csv")
    assert [(r.indicator_code, r.value) for r in rows] == [("BUD_AI_RM", 10.5)]


def test_long_layout_unknown_column_is_a_warning():
    _, problems = check_text("agency_code,period,indicator_code,value,remarks\nJPN,2025Q3,HC_TOTAL,5,x\n")
    assert [(p.code, p.row, p.column, p.level) for p in problems if p.code == "unknown-column"] == [
        ("unknown-column", 1, "remarks", WARNING)]
    assert errors(problems) == []


def test_wide_layout_with_breakdown_and_status():
    rows, problems = check_text("agency_code,period,breakdown_type,breakdown_code,value_status,HC_TOTAL\n"
                                "JPN,2025Q3,STATE,10,E,100\n")
    assert errors(problems) == []
    assert rows == [ReturnRow(2, "JPN", "2025Q3", "HC_TOTAL", "STATE", "10", 100.0, "E", "")]


def test_wide_blank_required_cell_names_the_indicator_column():
    _, problems = check_text("agency_code,period,HC_TOTAL,SRV_N\nJPN,2025Q3,,\n")
    assert located(errors(problems)) == [("value-required", "t.csv", 2, "HC_TOTAL")]


# ---- value cells ------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("1234", 1234.0), ("1234.5", 1234.5), ("-3", -3.0), ("+2", 2.0), (".5", 0.5), ("5.", 5.0),
    ("1e3", 1000.0), ("1E+06", 1e6), ("0", 0.0), ("1000000000000000", 1e15),
])
def test_accepted_numbers(text, value):
    assert number_or_reason(text) == (value, "")


@pytest.mark.parametrize("text, why", [
    ("1,234", "decimal point"), ("12,5", "decimal point"), ("1 234", "decimal point"),
    ("1.234,5", "decimal point"), ("NaN", "finite"), ("inf", "finite"), ("-Infinity", "finite"),
    ("1e999", "finite"), ("1e16", "implausibly large"), ("-", "dash"), ("\u2013", "dash"),
    ("#DIV/0!", "#DIV/0!"), ("#n/a", "#N/A"), ("#REF!", "#REF!"), ("#NAME?", "#NAME?"),
    ("#NUM!", "#NUM!"), ("#NULL!", "#NULL!"), ("#VALUE!", "#VALUE!"), ("2025-09-30", "date"),
    ("30/09/2025", "date"), ("45%", "percent"), ("twelve", "not a number"), ("1_000", "not a number"),
    ("\u0661\u0662", "not a number"), ("0x10", "not a number"), ("RM100", "not a number"),
])
def test_refused_numbers_say_why(text, why):
    value, reason = number_or_reason(text)
    assert value is None and why in reason


# ---- meaning rules ----------------------------------------------------------------------

def test_rules_are_small_named_functions():
    names = [rule.__name__ for rule in RETURN_RULES]
    assert len(names) == len(set(names)) >= 12
    assert "relation_broken" in names and "cumulative_falls" in names


def test_relations_ignore_values_the_file_replaces():
    # A file replaces whole (agency, period) pairs, so accepted values of the same pair
    # no longer exist once it is accepted and cannot break a relation.
    ctx = context({"JPN": {("HC_GENAI_ACCESS", "", ""): {"2025Q3": 100.0},
                           ("HC_AI_LIT", "", ""): {"2025Q3": 500.0}}})
    _, problems = check_text(H + "JPN,2025Q3,HC_GENAI_ACTIVE,150,\nJPN,2025Q3,HC_TOTAL,400,\n", ctx)
    assert not [p for p in errors(problems) if p.code == "relation-broken"]


def test_cumulative_ignores_the_value_the_file_replaces():
    ctx = context({"JPN": {("HC_AI_LIT", "", ""): {"2025Q2": 300.0, "2025Q3": 500.0}}})
    _, problems = check_text(H + "JPN,2025Q3,HC_AI_LIT,400,\n", ctx)
    assert not errors(problems)
    _, problems = check_text(H + "JPN,2025Q3,HC_AI_LIT,250,\n", ctx)
    [p] = errors(problems)
    assert p.code == "cumulative-falls" and "2025Q2" in p.message


def test_relation_with_a_factor():
    _, problems = check_text(H + "JPN,2025Q3,CSAT_AI_N,10,\nJPN,2025Q3,CSAT_AI_SUM,51,\n")
    [p] = errors(problems)
    assert (p.code, p.row) == ("relation-broken", 3)
    assert "more than 5 x CSAT_AI_N = 10" in p.message and p.expected == "CSAT_AI_SUM at most 50"


def test_relations_hold_within_one_breakdown_only():
    _, problems = check_text("agency_code,period,indicator_code,value,breakdown_type,breakdown_code\n"
                             "JPN,2025Q3,HC_TOTAL,100,STATE,1\nJPN,2025Q3,HC_AI_LIT,150,STATE,2\n"
                             "JPN,2025Q3,HC_AI_LIT,150,STATE,1\n")
    assert [(p.code, p.row) for p in errors(problems)] == [("relation-broken", 4)]


def test_cumulative_falling_within_the_file():
    _, problems = check_text(H + "JPN,2025Q2,DS_OPEN,60,\nJPN,2025Q3,DS_OPEN,55,\n")
    [p] = errors(problems)
    assert (p.code, p.row) == ("cumulative-falls", 3) and "row 2 of this file" in p.message


def test_cumulative_rising_is_fine_and_stocks_may_fall():
    ctx = context({"JPN": {("DS_OPEN", "", ""): {"2025Q2": 50.0}, ("HC_TOTAL", "", ""): {"2025Q2": 50.0}}})
    _, problems = check_text(H + "JPN,2025Q3,DS_OPEN,51,\nJPN,2025Q3,HC_TOTAL,40,\n", ctx)
    assert errors(problems) == []


def test_integer_indicator_must_be_whole():
    _, problems = check_text(H + "JPN,2025Q3,HC_TOTAL,12.5,\nJPN,2025Q3,HC_AI_SPEC,2.5,\n")
    assert [(p.code, p.row) for p in errors(problems)] == [("not-whole", 2)]


def test_future_period_names_the_latest_accepted_quarter():
    _, problems = check("future_period.csv")
    [p] = errors(problems)
    assert "2025Q3" in p.message and p.expected == "2025Q3 or earlier"


def test_quarter_ending_today_is_not_over_yet():
    ctx = ValidationContext(CATALOGUE, AGENCIES, date(2025, 9, 30))
    _, problems = check_text(H + "JPN,2025Q3,HC_TOTAL,1,\n", ctx)
    assert [p.code for p in errors(problems)] == ["future-period"]


def test_unknown_agency_reported_once_with_the_count():
    _, problems = check_text(H + "XYZ,2025Q3,HC_TOTAL,1,\nXYZ,2025Q3,HC_AI_LIT,1,\n")
    [p] = errors(problems)
    assert p.row == 2 and "(2 rows)" in p.message


def test_a_negative_value_is_reported_once_not_again_by_each_relation():
    _, problems = check_text(H + "JPN,2025Q3,HC_TOTAL,-5,\nJPN,2025Q3,HC_AI_LIT,0,\nJPN,2025Q3,HC_GENAI_ACCESS,9,\n")
    assert [(p.code, p.row) for p in errors(problems)] == [("negative-value", 2)]


def test_far_from_previous_quarter_is_a_warning():
    ctx = context({"JPN": {("AI_INCIDENTS", "", ""): {"2025Q2": 2.0}, ("SANDBOX_N", "", ""): {"2025Q2": 0.0},
                           ("HC_TOTAL", "", ""): {"2025Q2": 100.0}}})
    _, problems = check_text(H + "JPN,2025Q3,HC_TOTAL,400,\n"
                             "JPN,2025Q3,AI_INCIDENTS,7,\nJPN,2025Q3,SANDBOX_N,9,\n", ctx)
    assert errors(problems) == []
    far = [(p.row, p.column, p.level) for p in problems if p.code == "far-from-previous"]
    assert far == [(2, "value", WARNING), (3, "value", WARNING)]


def test_missing_required_indicators_are_a_warning():
    _, problems = check_text(H + "JPN,2025Q3,HC_TOTAL,100,\n")
    [p] = [p for p in problems if p.code == "required-missing"]
    assert p.level == WARNING and p.row == 2 and "DS_OPEN" in p.message


def test_a_quarter_given_only_by_breakdown_rows_misses_every_required_indicator():
    # A stray row of another quarter replaces that quarter's return: the analyst is told.
    _, problems = check_text(H.replace(",notes", ",breakdown_type,breakdown_code,notes")
                             + "JPN,2025Q3,HC_TOTAL,100,,,\nJPN,2025Q2,HC_TOTAL,40,STATE,3,\n")
    missing = {p.message.split(":")[0]: (p.row, p.level) for p in problems if p.code == "required-missing"}
    assert missing["JPN 2025Q2"] == (3, WARNING)
    assert "HC_TOTAL" in next(p.value for p in problems if p.message.startswith("JPN 2025Q2"))


def test_accepted_values_of_other_agencies_are_never_consulted():
    asked = []
    ctx = context(scope="JPN")
    ctx.accepted = lambda agency: asked.append(agency) or {}
    check_text(H + "JPN,2025Q3,DS_OPEN,1,\nLHDN,2025Q3,DS_OPEN,1,\nJPN,2025Q3,HC_TOTAL,5,\n", ctx)
    assert asked == ["JPN"]


def test_accepted_values_of_many_agencies_are_asked_once():
    asked = []

    def many(agencies, first, last):
        asked.append((agencies, first, last))
        return {"JPN": {("DS_OPEN", "", ""): {"2025Q1": 60.0}}}

    ctx = context()
    ctx.accepted = lambda agency: pytest.fail("per-agency lookup used")
    ctx.accepted_many = many
    _, problems = check_text(H + "JPN,2025Q2,DS_OPEN,50,\nJPN,2025Q3,DS_OPEN,55,\nLHDN,2025Q3,DS_OPEN,1,\n"
                             "XYZ,2025Q3,DS_OPEN,1,\n", ctx)
    assert asked == [(["JPN", "LHDN"], "2025Q1", "2025Q3")]
    assert [(p.code, p.row) for p in errors(problems)] == [("cumulative-falls", 2), ("unknown-agency", 5)]


def test_parse_then_validate_equals_check():
    data = (FIXTURES / "active_gt_access.csv").read_bytes()
    sheet, _ = read_sheet(data, "a.csv")
    rows, parse_problems = parse_return(sheet, CATALOGUE)
    assert parse_problems == []
    validated = sorted(validate_return(rows, context(), "a.csv"), key=lambda p: p.row or 0)
    assert validated == check_return(data, "a.csv", context())[1]


def test_catalogue_is_read_from_reference_data():
    assert len(CATALOGUE.indicators) == 29 and len(CATALOGUE.relations) == 11
    spec = CATALOGUE.indicators["GOV_AI_POLICY"]
    assert (spec.kind, spec.min_value, spec.max_value, spec.allow_blank) == ("flag", 0.0, 1.0, False)
    assert CATALOGUE.indicators["DS_OPEN"].temporal == "cumulative"
    assert {"C1_ENT_AI_PCT", "C2_GARI_RANK", "C3_UPSKILLED", "C4_DIGITAL_GDP_PCT"} <= set(CATALOGUE.context)
    assert AGENCIES["JPN"] is True and AGENCIES["GOVT"] is False and AGENCIES["MAMPU"] is False


# ---- speed ------------------------------------------------------------------------------

def _big_return(n_agencies: int, quarters: list[str]) -> bytes:
    codes = [c for c in CATALOGUE.indicators]
    agencies = [a for a, ok in AGENCIES.items() if ok][:n_agencies]
    lines = [H.strip()]
    for agency in agencies:
        for q in quarters:
            lines += [f"{agency},{q},{c},{1 if c.startswith('GOV_') else 5},note" for c in codes]
    return ("\n".join(lines) + "\n").encode()


def test_thirty_thousand_rows_are_checked_whole():
    # Speed is measured by `python app.py bench` against DuckDB's read_csv, not asserted here.
    quarters = periods.span("2020Q4", "2025Q3")
    data = _big_return(52, quarters)
    rows, problems = check_return(data, "big.csv", context())
    assert len(rows) == 52 * 20 * 29 >= 30_000
    assert errors(problems) == []


def test_every_problem_code_has_a_malay_heading():
    """Malay pages name the kind of each problem in Malay: every code the checks can give
    (every hyphenated string literal of the reading and checking modules) has a heading."""
    import ast
    import re

    from dashboard.i18n import problem_heading
    from etl.problems import KINDS_MS

    code = re.compile(r"^[a-z]+(-[a-z]+)+$")
    found = set()
    for name in ("readers", "xlsx", "returns", "return_rules", "register", "sector", "ingest"):
        tree = ast.parse((ROOT / "etl" / f"{name}.py").read_text())
        found |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                  and code.match(n.value)}
    assert len(found) >= 40 and found - set(KINDS_MS) == set()
    _, problems = check("negative.csv")
    assert problem_heading(problems[0].code, "ms") == KINDS_MS[problems[0].code] and not problem_heading(
        problems[0].code, "en")
