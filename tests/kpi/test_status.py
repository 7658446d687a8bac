"""Targets, trajectories, status words and projections."""

from __future__ import annotations

import pytest

from etl import periods
from etl.kpi.targets import segment_rows
from tests.kpi.builders import add_agency, add_return, add_system, new_warehouse


def headcount(con, agency: str, literate: dict[str, float], total: float = 100) -> None:
    for i, (period, value) in enumerate(literate.items()):
        add_return(con, agency, period, {"HC_TOTAL": total, "HC_AI_LIT": value}, submission_id=i + 1)


@pytest.mark.parametrize("q2_value, status", [(25.714, "on_track"), (24.0, "at_risk"), (20.0, "off_track")])
def test_status_against_a_trajectory_from_the_first_quarter(two_agencies, run, q2_value, status):
    # K01: 60 by 2026Q4; A1 starts at 20 in 2025Q1, so 2025Q2 should be 20 + 40/7
    headcount(two_agencies, "A1", {"2025Q1": 20, "2025Q2": q2_value})
    values = run(two_agencies, "K01")
    row = values.row("K01", "2025Q2", "agency", "A1")
    assert row["trajectory"] == pytest.approx(20 + 40 / 7)
    assert row["target"] == 60
    assert row["status"] == status
    assert values.row("K01", "2025Q1", "agency", "A1")["status"] == "on_track"


def test_awaiting_data_below_minimum_coverage(two_agencies, run):
    headcount(two_agencies, "A1", {"2025Q1": 20})
    add_agency(two_agencies, "A3", "MOF")
    values = run(two_agencies, "K01")
    national = values.row("K01", "2025Q1")
    assert (national["value"], national["reported"], national["expected"]) == (20.0, 1, 3)
    assert national["status"] == "awaiting_data"  # 1 of 3 is under half
    assert values.row("K01", "2025Q3")["status"] == "awaiting_data"


def test_the_line_starts_at_the_first_quarter_with_enough_coverage(two_agencies, run):
    # K01 needs half the agencies: in 2025Q1 one of three reported (20 %), in 2025Q2 two (30 %).
    add_agency(two_agencies, "A3", "MOF")
    headcount(two_agencies, "A1", {"2025Q1": 20, "2025Q2": 30, "2025Q3": 40})
    headcount(two_agencies, "A2", {"2025Q2": 30, "2025Q3": 40})
    values = run(two_agencies, "K01")
    first = values.row("K01", "2025Q1")
    assert (first["value"], first["status"]) == (20.0, "awaiting_data")
    # 30 in 2025Q2 to 60 by 2026Q4: six quarters, 5 a quarter
    assert values.row("K01", "2025Q3")["trajectory"] == pytest.approx(35)
    assert values.row("K01", "2025Q2")["trajectory"] == pytest.approx(30)
    assert values.row("K01", "2025Q1")["trajectory"] == pytest.approx(30)  # before the line starts: its start
    assert values.row("K01", "2025Q1", "agency", "A1")["trajectory"] == pytest.approx(20)  # A1's own line


def test_no_target_where_none_applies(two_agencies, run):
    add_return(two_agencies, "A1", "2025Q1", {"DSA_SIGNED": 4, "DS_AI_READY": 2})
    values = run(two_agencies, "K22", "K08")
    assert values.row("K22", "2025Q1")["status"] == "no_target"
    assert values.row("K08", "2025Q1", "agency", "A1")["target"] is None  # 300 is a national count


def test_definition_baseline_draws_the_line(two_agencies, run):
    # K12: 57 in 2021Q3 to 80 by 2026Q4
    add_return(two_agencies, "A1", "2025Q4", {"SVC_TOTAL": 100, "SVC_E2E": 60})
    values = run(two_agencies, "K12")
    row = values.row("K12", "2025Q4", "agency", "A1")
    span = periods.index("2026Q4") - periods.index("2021Q3")
    expected = 57 + 23 * (periods.index("2025Q4") - periods.index("2021Q3")) / span
    assert row["trajectory"] == pytest.approx(expected)
    assert row["status"] == "off_track"  # 60 is 21% under about 75.6


@pytest.mark.parametrize("incidents, status", [(2.05, "on_track"), (2.2, "at_risk"), (3, "off_track")])
def test_down_is_good(two_agencies, run, incidents, status):
    # K18: incidents per 100 production systems, under 2; A1 has 100 systems in production
    for i in range(100):
        add_system(two_agencies, "A1", "2025Q1", f"S{i}", stage="production")
    add_return(two_agencies, "A1", "2025Q1", {"AI_INCIDENTS": incidents})
    values = run(two_agencies, "K18")
    assert values.row("K18", "2025Q1", "agency", "A1")["status"] == status


def test_absolute_thresholds_for_a_zero_target(two_agencies, run):
    add_system(two_agencies, "A1", "2025Q1", "S1", stage="pilot", risk_tier="prohibited")
    add_system(two_agencies, "A2", "2025Q1", "S2", stage="retired", risk_tier="prohibited")
    values = run(two_agencies, "K14")
    assert values.row("K14", "2025Q1", "agency", "A1")["status"] == "off_track"
    assert values.row("K14", "2025Q1", "agency", "A2")["status"] == "on_track"


def test_per_year_target_is_pro_rata(two_agencies, run):
    add_return(two_agencies, "A1", "2025Q2", {"SANDBOX_N": 2, "CASESTUDY_N": 1})
    add_return(two_agencies, "A2", "2025Q2", {"SANDBOX_N": 0, "CASESTUDY_N": 0})
    values = run(two_agencies, "K26")
    assert values.row("K26", "2025Q2")["trajectory"] == 3.0
    assert values.row("K26", "2025Q2", period_type="ytd")["trajectory"] == 6.0
    assert values.row("K26", "2025Q2")["status"] == "on_track"


def test_growth_target_compounds(two_agencies, run):
    add_return(two_agencies, "A1", "2025Q1", {"DS_AI_READY": 100})
    add_return(two_agencies, "A1", "2025Q3", {"DS_AI_READY": 110})
    values = run(two_agencies, "K21")
    row = values.row("K21", "2025Q3", "agency", "A1")
    assert row["trajectory"] == pytest.approx(100 * 1.25 ** 0.5)
    assert row["status"] == "on_track"  # (111.8 - 110) / 111.8 = 1.6%, within 5%


def test_segments_follow_the_dated_targets(definitions):
    rows = {(r[1], r[2]): r for r in segment_rows(definitions["K01"], ["2026Q4", "2027Q1", "2031Q1"])}
    assert rows[("2026Q4", "quarter")][3:8] == ("dated", 60, periods.index("2026Q4"), 60, None)
    assert rows[("2027Q1", "quarter")][7:9] == (periods.index("2026Q4"), 60)  # from the 2026 target
    assert rows[("2031Q1", "ytd")][4] == 90


def projection(con) -> dict[tuple, dict]:
    cur = con.execute("SELECT * FROM kpi_projection WHERE level = 'agency'")
    names = [c[0] for c in cur.description]
    return {(r[0], r[2], r[3]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def test_projection_gives_the_quarter_the_target_is_reached(two_agencies, run):
    headcount(two_agencies, "A1", {"2025Q1": 20, "2025Q2": 25, "2025Q3": 30, "2025Q4": 35})
    headcount(two_agencies, "A2", {"2025Q1": 30, "2025Q2": 28, "2025Q3": 26, "2025Q4": 24})
    run(two_agencies, "K01")
    found = projection(two_agencies)
    soon = found[("K01", "A1", "2026Q4")]
    assert soon["projected_value"] == pytest.approx(55)
    assert (soon["attainment_period"], soon["note"]) == ("2027Q1", "after_target_date")
    later = found[("K01", "A1", "2030Q4")]
    assert (later["attainment_period"], later["note"]) == ("2028Q3", "on_pace")
    falling = found[("K01", "A2", "2026Q4")]
    assert (falling["attainment_period"], falling["note"]) == (None, "not_at_this_pace")
    assert falling["points"] == 4 and falling["slope_per_quarter"] == pytest.approx(-2)


def test_a_flat_series_has_no_slope(two_agencies, run):
    # A1 exactly flat; A2 flat but for 1e-8, far below 1e-9 x its value a quarter
    headcount(two_agencies, "A1", {"2025Q1": 30, "2025Q2": 30, "2025Q3": 30, "2025Q4": 30})
    headcount(two_agencies, "A2", {"2025Q1": 30, "2025Q2": 30.00000001, "2025Q3": 30, "2025Q4": 30.00000001},
              total=100)
    run(two_agencies, "K01")
    found = projection(two_agencies)
    for agency in ("A1", "A2"):
        row = found[("K01", agency, "2026Q4")]
        assert row["slope_per_quarter"] == 0.0, agency
        assert (row["attainment_period"], row["note"]) == (None, "not_at_this_pace"), agency
        assert row["projected_value"] == pytest.approx(30), agency


def test_projection_needs_three_quarters(two_agencies, run):
    headcount(two_agencies, "A1", {"2025Q3": 20, "2025Q4": 25})
    run(two_agencies, "K01")
    assert projection(two_agencies)[("K01", "A1", "2026Q4")]["note"] == "insufficient_data"


def test_reached_standing_target(two_agencies, run):
    add_return(two_agencies, "A1", "2025Q4", {"HC_GENAI_ACCESS": 10, "HC_GENAI_ACTIVE": 7})
    run(two_agencies, "K05")
    row = projection(two_agencies)[("K05", "A1", None)]
    assert (row["attainment_period"], row["note"]) == ("2025Q4", "reached")


def test_empty_warehouse_materialises_nothing(run):
    con = new_warehouse()
    counts = run(con).con.execute("SELECT count(*) FROM kpi_value").fetchall()
    assert counts == [(0,)]
