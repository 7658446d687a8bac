"""The AI use-case register: one row per AI system, a snapshot per agency and period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from etl.problems import errors
from etl.register import REGISTER_RULES, RegisterRow, check_register
from etl.returns import ValidationContext, load_agencies, load_catalogue

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = load_catalogue(ROOT / "data" / "reference")
AGENCIES = load_agencies(ROOT / "data" / "reference")
HEADER = ("agency_code,period,system_id,title,function,focus_sector,msic_section,stage,risk_tier,"
          "impact_assessment,human_oversight,citizen_facing,uses_genai,sandbox,build_mode,"
          "states_served,pilot_start_period,production_period,est_hours_saved,est_cost_saved_rm")
GOOD = ("JPN,2025Q3,JPN-001,MyKad renewal assistant,service delivery,public services,O,production,"
        "high,yes,Y,true,1,tidak,in-house,10;1;14,2024Q2,2025Q1,1200.5,35000")


def context(scope: str | None = None) -> ValidationContext:
    return ValidationContext(catalogue=CATALOGUE, agencies=AGENCIES, today=date(2025, 11, 15),
                             agency_scope=scope)


def check(*lines: str, header: str = HEADER, scope: str | None = None):
    data = "\n".join((header,) + lines) + "\n"
    return check_register(data.encode(), "register.csv", context(scope))


def with_cell(column: str, value: str, line: str = GOOD) -> str:
    cells = line.split(",")
    cells[HEADER.split(",").index(column)] = value
    return ",".join(cells)


def located(problems) -> list[tuple[str, int | None, str]]:
    return [(p.code, p.row, p.column) for p in errors(problems)]


def test_a_good_row_is_read_into_typed_fields():
    rows, problems = check(GOOD)
    assert problems == []
    assert rows == [RegisterRow(
        source_row=2, agency_code="JPN", period="2025Q3", system_id="JPN-001",
        title="MyKad renewal assistant", function="service delivery", focus_sector="public services",
        msic_section="O", stage="production", risk_tier="high", impact_assessment=True,
        human_oversight=True, citizen_facing=True, uses_genai=True, sandbox=False,
        build_mode="in_house", states_served="1;10;14", pilot_start_period="2024Q2",
        production_period="2025Q1", est_hours_saved=1200.5, est_cost_saved_rm=35000.0)]


def test_optional_cells_may_be_blank_and_blank_states_mean_national():
    line = GOOD
    for column in ("function", "focus_sector", "msic_section", "build_mode", "states_served",
                   "pilot_start_period", "production_period", "est_hours_saved", "est_cost_saved_rm"):
        line = with_cell(column, "", line)
    rows, problems = check(line)
    assert errors(problems) == []
    row = rows[0]
    assert (row.states_served, row.msic_section, row.production_period, row.est_hours_saved) == ("", "", None, None)


def test_optional_columns_may_be_left_out():
    header = "agency_code,period,system_id,title,stage,risk_tier,impact_assessment,human_oversight," \
             "citizen_facing,uses_genai,sandbox"
    rows, problems = check("jpn,2025-Q3,S1,Chatbot,Pilot,Minimal,no,no,YA,No,n", header=header)
    assert problems == []
    row = rows[0]
    assert (row.agency_code, row.period, row.stage, row.citizen_facing) == ("JPN", "2025Q3", "pilot", True)


@pytest.mark.parametrize("column, value, code", [
    ("stage", "live", "bad-stage"),
    ("risk_tier", "medium", "bad-risk-tier"),
    ("impact_assessment", "maybe", "bad-impact-assessment"),
    ("sandbox", "2", "bad-sandbox"),
    ("build_mode", "outsourced", "bad-build-mode"),
    ("msic_section", "Z", "bad-msic-section"),
    ("states_served", "1;17", "bad-states-served"),
    ("period", "2025-13", "bad-period"),
    ("pilot_start_period", "soon", "bad-pilot-start-period"),
    ("est_hours_saved", "-5", "bad-est-hours-saved"),
    ("est_cost_saved_rm", "\"1,000\"", "bad-est-cost-saved-rm"),
    ("title", "", "value-required"),
    ("system_id", "x" * 65, "bad-system-id"),
])
def test_bad_cells_are_located(column, value, code):
    _, problems = check(GOOD, with_cell(column, value))
    assert located(problems) == [(code, 3, column)]
    assert all(p.file == "register.csv" and p.expected for p in problems)


def test_missing_required_column():
    header = HEADER.replace(",risk_tier", "")
    line = ",".join(c for i, c in enumerate(GOOD.split(",")) if i != 8)
    _, problems = check(line, header=header)
    assert located(problems) == [("missing-column", 1, "risk_tier")]


def test_duplicate_system_in_one_snapshot_names_both_rows():
    _, problems = check(GOOD, with_cell("title", "other"), with_cell("system_id", "jpn-001"))
    assert located(problems) == [("duplicate-system", 3, "system_id"), ("duplicate-system", 4, "system_id")]
    assert "rows 2 and 3" in errors(problems)[0].message


def test_same_system_in_two_periods_is_fine():
    _, problems = check(GOOD, with_cell("period", "2025Q2"))
    assert errors(problems) == []


def test_production_after_the_register_period():
    _, problems = check(with_cell("production_period", "2025Q4"))
    codes = located(problems)
    assert ("after-period", 2, "production_period") in codes


def test_production_before_pilot():
    _, problems = check(with_cell("pilot_start_period", "2025Q2"))
    assert located(problems) == [("production-before-pilot", 2, "production_period")]


def test_agency_and_period_rules_are_shared_with_the_return():
    lines = [with_cell("agency_code", "XYZ"), with_cell("agency_code", "GOVT"),
             with_cell("agency_code", "LHDN"), with_cell("period", "2026Q1")]
    _, problems = check(*lines, scope="JPN")
    assert sorted(located(problems)) == [
        ("agency-not-submitting", 3, "agency_code"), ("agency-out-of-scope", 2, "agency_code"),
        ("agency-out-of-scope", 3, "agency_code"), ("agency-out-of-scope", 4, "agency_code"),
        ("future-period", 5, "period"), ("unknown-agency", 2, "agency_code")]


def test_rules_are_named():
    assert [r.__name__ for r in REGISTER_RULES][-4:] == [
        "duplicate_system", "production_after_period", "production_before_pilot", "none_beside_systems"]


NONE = "JPN,2025Q3" + "," * (len(HEADER.split(",")) - 2)  # only the agency and the quarter


def test_a_row_with_only_the_agency_and_the_quarter_says_it_has_no_ai_system():
    rows, problems = check(NONE)
    assert problems == [] and len(rows) == 1 and rows[0].declares_none
    assert (rows[0].agency_code, rows[0].period) == ("JPN", "2025Q3") and not GOOD_ROW.declares_none
    # checked like any row: the agency, its scope and the quarter
    _, problems = check(NONE.replace("JPN", "LHDN", 1), NONE.replace("2025Q3", "2026Q2"), scope="JPN")
    assert sorted(located(problems)) == [("agency-out-of-scope", 2, "agency_code"), ("future-period", 3, "period")]
    # not beside systems of the same quarter; a row with a title but no system id is no such row
    _, problems = check(GOOD, NONE, NONE.replace("2025Q3", "2025Q2"))
    assert located(problems) == [("none-beside-systems", 3, "system_id")]
    _, problems = check(with_cell("system_id", ""))
    assert located(problems) == [("value-required", 2, "system_id")]


GOOD_ROW = check(GOOD)[0][0]


def test_a_sheet_can_be_passed_instead_of_bytes():
    from etl.readers import read_sheet

    sheet, _ = read_sheet(f"{HEADER}\n{GOOD}\n".encode(), "r.csv")
    rows, problems = check_register(sheet, "r.csv", context())
    assert len(rows) == 1 and problems == []
