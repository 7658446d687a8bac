"""Sector reports: context series by MSIC section, state and period."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from etl.problems import errors
from etl.returns import ValidationContext, load_agencies, load_catalogue
from etl.sector import SECTOR_RULES, SectorRow, check_sector

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = load_catalogue(ROOT / "data" / "reference")
HEADER = "sector_code,period,indicator_code,value,state_code,source"


def context() -> ValidationContext:
    return ValidationContext(catalogue=CATALOGUE, agencies=load_agencies(ROOT / "data" / "reference"),
                             today=date(2025, 11, 15))


def check(*lines: str, header: str = HEADER):
    data = "\n".join((header,) + lines) + "\n"
    return check_sector(data.encode(), "sector.csv", context())


def located(problems) -> list[tuple[str, int | None, str]]:
    return [(p.code, p.row, p.column) for p in errors(problems)]


def test_context_indicators_are_reference_data():
    with (ROOT / "data" / "reference" / "context_indicators.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["indicator_code", "name_en", "name_ms", "unit", "min_value",
                                     "max_value", "description_en"]
        codes = {r["indicator_code"]: r for r in reader}
    assert {"C1_ENT_AI_PCT", "C2_GARI_RANK", "C3_UPSKILLED", "C4_DIGITAL_GDP_PCT"} <= set(codes)
    assert "E_AI_TANY" in codes["C1_ENT_AI_PCT"]["description_en"]
    assert CATALOGUE.context["C2_GARI_RANK"].kind == "integer"


def test_good_rows():
    rows, problems = check("c,2025q2,c1_ent_ai_pct,17.5,01,DOSM survey 2025",
                           "ALL,2024,C2_GARI_RANK,24,,Oxford Insights",
                           "J,Q3 2025,C1_ENT_AI_PCT,30,,")
    assert problems == []
    assert rows == [
        SectorRow(2, "C", "2025Q2", "C1_ENT_AI_PCT", 17.5, 1, "DOSM survey 2025"),
        SectorRow(3, "ALL", "2024", "C2_GARI_RANK", 24.0, None, "Oxford Insights"),
        SectorRow(4, "J", "2025Q3", "C1_ENT_AI_PCT", 30.0, None, "")]


def test_optional_columns_may_be_left_out():
    rows, problems = check("ALL,2025,C4_DIGITAL_GDP_PCT,25.5", header="sector_code,period,indicator_code,value")
    assert problems == [] and rows[0].state_code is None and rows[0].source == ""


@pytest.mark.parametrize("line, expected", [
    ("Z,2025Q2,C1_ENT_AI_PCT,10,,", [("bad-sector", 3, "sector_code")]),
    ("C,2025-13,C1_ENT_AI_PCT,10,,", [("bad-period", 3, "period")]),
    ("C,2025Q2,C9_UNKNOWN,10,,", [("unknown-indicator", 3, "indicator_code")]),
    ("C,2025Q2,C1_ENT_AI_PCT,,,", [("value-required", 3, "value")]),
    ("C,2025Q2,C1_ENT_AI_PCT,12%,,", [("not-a-number", 3, "value")]),
    ("C,2025Q1,C1_ENT_AI_PCT,101,,", [("out-of-range", 3, "value")]),
    ("ALL,2024,C2_GARI_RANK,0,,", [("out-of-range", 3, "value")]),
    ("ALL,2024,C2_GARI_RANK,24.5,,", [("out-of-range", 3, "value")]),
    ("C,2025Q2,C1_ENT_AI_PCT,10,17,", [("bad-state", 3, "state_code")]),
    ("C,2025Q4,C1_ENT_AI_PCT,10,,", [("future-period", 3, "period")]),
    ("ALL,2026,C3_UPSKILLED,10,,", [("future-period", 3, "period")]),
    ("c,2025-Q2,C1_ENT_AI_PCT,11,,", [("duplicate-key", 3, "indicator_code")]),
])
def test_bad_rows_are_located(line, expected):
    _, problems = check("C,2025Q2,C1_ENT_AI_PCT,10,,", line)
    assert located(problems) == expected
    assert all(p.file == "sector.csv" and p.expected for p in problems)


def test_current_year_is_accepted():
    _, problems = check("ALL,2025,C3_UPSKILLED,1000000,,")
    assert errors(problems) == []


def test_missing_column():
    _, problems = check("C,2025Q2,10", header="sector_code,period,value")
    assert located(problems) == [("missing-column", 1, "indicator_code")]


def test_rules_are_named():
    assert [r.__name__ for r in SECTOR_RULES] == [
        "unknown_context_indicator", "outside_range", "future_sector_period", "duplicate_sector_key"]
